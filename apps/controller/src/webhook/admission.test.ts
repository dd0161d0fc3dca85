import { validateObject } from '@bmlb/metallb-api';
import { describe, expect, it } from 'vitest';
import { type AdmissionRequest, admissionResponse, ConfigAdmission } from './admission.ts';

const NS = 'metallb-system';
const valid = (raw: object) => {
  const r = validateObject(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.object as object;
};
const pool = (name: string, addresses: string[]) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata: { name, namespace: NS },
  spec: { addresses },
});
const peer = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'metallb.io/v1beta2',
  kind: 'BGPPeer',
  metadata: { name, namespace: NS },
  spec,
});
const bfd = (name: string) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BFDProfile',
  metadata: { name, namespace: NS },
  spec: {},
});

function req(
  operation: AdmissionRequest['operation'],
  object: Record<string, unknown>,
  extra = {},
): AdmissionRequest {
  const [group, version] = (object.apiVersion as string).split('/') as [string, string];
  const md = object.metadata as { name: string; namespace?: string };
  return {
    uid: 'u1',
    kind: { group, version, kind: object.kind as string },
    operation,
    namespace: md.namespace,
    name: md.name,
    object: operation === 'DELETE' ? null : object,
    oldObject: operation === 'DELETE' ? object : null,
    ...extra,
  };
}

describe('admission of metallb.io objects', () => {
  const cached = [valid(pool('prod-pool', ['203.0.113.0/24'])), valid(bfd('tor-bfd'))];
  const adm = new ConfigAdmission({ namespace: NS, cached: () => cached });

  it('admits the seed objects', async () => {
    expect(await adm.review(req('CREATE', pool('second', ['198.51.100.0/24'])))).toEqual({ allowed: true });
    expect(
      await adm.review(
        req(
          'CREATE',
          peer('tor1', { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.1', bfdProfile: 'tor-bfd' }),
        ),
      ),
    ).toEqual({ allowed: true });
  });

  it("MetalLB v0.16 fields: admits serviceSelectors and localASN, refuses asPathPrepend as bmlb's, not as unknown", async () => {
    const adv = (spec: Record<string, unknown>) => ({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'BGPAdvertisement',
      metadata: { name: 'web', namespace: NS },
      spec,
    });
    expect(
      await adm.review(req('CREATE', adv({ serviceSelectors: [{ matchLabels: { tier: 'web' } }] }))),
    ).toEqual({ allowed: true });
    expect(
      await adm.review(
        req(
          'CREATE',
          peer('tor9', { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.9', localASN: 64999 }),
        ),
      ),
    ).toEqual({ allowed: true });
    expect(await adm.review(req('CREATE', adv({ asPathPrepend: 2 })))).toEqual({
      allowed: false,
      message:
        'BGPAdvertisement/metallb-system/web: spec.asPathPrepend: asPathPrepend is not supported by bmlb: its speaker announces each Service IP with an AS_PATH of its own AS only (MetalLB supports it only with its frr-k8s backend); remove the field [unsupported-field]',
    });
  });

  it('refuses overlapping pools, naming both', async () => {
    const d = await adm.review(req('CREATE', pool('overlap', ['203.0.113.128/25'])));
    expect(d.allowed).toBe(false);
    expect(d.message).toBe(
      'IPAddressPool/metallb-system/overlap: spec.addresses[0]: "203.0.113.128/25" overlaps "203.0.113.0/24" of IPAddressPool metallb-system/prod-pool (spec.addresses[0]) at 203.0.113.128-203.0.113.255 [overlapping-pools]',
    );
  });

  it('refuses an edit of an existing pool that would overlap another', async () => {
    const adm2 = new ConfigAdmission({
      namespace: NS,
      cached: () => [...cached, valid(pool('b', ['198.51.100.0/24']))],
    });
    const d = await adm2.review(req('UPDATE', pool('prod-pool', ['198.51.100.0/23'])));
    expect(d.allowed).toBe(false);
    expect(d.message).toContain('[overlapping-pools]');
  });

  it('refuses a peer without an ASN and a reference to a missing BFD profile', async () => {
    const noASN = await adm.review(req('CREATE', peer('p', { peerASN: 65000, peerAddress: '10.0.0.9' })));
    expect(noASN.allowed).toBe(false);
    expect(noASN.message).toContain('spec.myASN');
    const missing = await adm.review(
      req('CREATE', peer('p', { myASN: 1, peerASN: 2, peerAddress: '10.0.0.9', bfdProfile: 'nope' })),
    );
    expect(missing).toEqual({
      allowed: false,
      message:
        'BGPPeer/metallb-system/p: spec.bfdProfile: BFDProfile "nope" does not exist in namespace metallb-system (known: tor-bfd) [unknown-bfd-profile]',
    });
  });

  it('refuses an unknown field and objects outside the namespace (MetalLB’s text)', async () => {
    const d = await adm.review(
      req('CREATE', {
        ...pool('x', ['192.0.2.0/24']),
        spec: { addresses: ['192.0.2.0/24'], autoAssing: true },
      }),
    );
    expect(d.message).toContain('spec.autoAssing: unknown field "autoAssing"');
    const o = await adm.review(
      req('CREATE', { ...pool('x', ['192.0.2.0/24']), metadata: { name: 'x', namespace: 'default' } }),
    );
    expect(o).toEqual({ allowed: false, message: 'resource must be created in metallb-system namespace' });
  });

  it('a BFDProfile in use may not be deleted; an unused one may', async () => {
    const withPeer = new ConfigAdmission({
      namespace: NS,
      cached: () => [
        ...cached,
        valid(peer('tor1', { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.1', bfdProfile: 'tor-bfd' })),
      ],
    });
    expect(await withPeer.review(req('DELETE', bfd('tor-bfd')))).toEqual({
      allowed: false,
      message: 'failed to delete BFDProfile tor-bfd, used by BGPPeer tor1',
    });
    expect(await adm.review(req('DELETE', bfd('tor-bfd')))).toEqual({ allowed: true });
  });

  it('a problem that existed before does not block unrelated changes', async () => {
    const broken = new ConfigAdmission({
      namespace: NS,
      cached: () => [
        ...cached,
        valid(peer('bad', { myASN: 1, peerASN: 2, peerAddress: '10.0.0.7', bfdProfile: 'gone' })),
      ],
    });
    expect((await broken.review(req('CREATE', pool('new', ['192.0.2.0/24'])))).allowed).toBe(true);
    // …but an edit of the broken object that keeps it broken is refused.
    const again = await broken.review(
      req('UPDATE', peer('bad', { myASN: 1, peerASN: 3, peerAddress: '10.0.0.7', bfdProfile: 'gone' })),
    );
    expect(again.allowed).toBe(false);
  });

  it('a refusal is confirmed against a fresh list (an object the cache has not seen yet)', async () => {
    const lagging = new ConfigAdmission({
      namespace: NS,
      cached: () => [],
      live: async () => [valid(bfd('tor-bfd'))],
    });
    expect(
      await lagging.review(
        req(
          'UPDATE',
          peer('tor1', { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.1', bfdProfile: 'tor-bfd' }),
        ),
      ),
    ).toEqual({ allowed: true });
  });

  it('AdmissionReview answers', () => {
    expect(admissionResponse('u', { allowed: true })).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u', allowed: true },
    });
    expect(admissionResponse('u', { allowed: false, message: 'no' }).response).toEqual({
      uid: 'u',
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: 'no' },
    });
  });
});
