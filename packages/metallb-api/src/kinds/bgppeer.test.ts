import { describe, expect, it } from 'vitest';
import { type BGPPeerV1beta1, convertBGPPeerToV1beta2, normalizePeer, validateBGPPeer } from './bgppeer.ts';

const v1 = (spec: unknown) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'BGPPeer',
  metadata: { name: 'p1', namespace: 'metallb-system' },
  spec,
});
const v2 = (spec: unknown) => ({ ...v1(spec), apiVersion: 'metallb.io/v1beta2' });
const ref = { kind: 'BGPPeer', namespace: 'metallb-system', name: 'p1' };
const base = { myASN: 65100, peerASN: 65000, peerAddress: '10.0.0.1' };
const errorsOf = (raw: unknown) => {
  const r = validateBGPPeer(raw);
  return r.ok ? [] : r.errors;
};
const rules = (raw: unknown) => errorsOf(raw).map((e) => [e.path, e.rule]);

describe('BGPPeer v1beta1 → normalized', () => {
  it('converts every field and the legacy node selector', () => {
    const raw = v1({
      ...base,
      sourceAddress: '10.0.0.10',
      peerPort: 1179,
      holdTime: '9s',
      keepaliveTime: '3s',
      routerID: '10.0.0.10',
      password: 'secret',
      bfdProfile: 'fast',
      ebgpMultiHop: true,
      nodeSelectors: [
        {
          matchLabels: { rack: 'r1' },
          matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }],
        },
      ],
    });
    const r = validateBGPPeer(raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(normalizePeer(r.object)).toEqual({
      name: 'p1',
      namespace: 'metallb-system',
      apiVersion: 'metallb.io/v1beta1',
      myASN: 65100,
      peerASN: 65000,
      peerAddress: '10.0.0.1',
      peerAddressFamily: 4,
      sourceAddress: '10.0.0.10',
      port: 1179,
      holdTime: 9,
      keepaliveTime: 3,
      timersExplicit: true,
      routerID: '10.0.0.10',
      nodeSelectors: [
        {
          matchLabels: { rack: 'r1' },
          matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }],
        },
      ],
      password: 'secret',
      bfdProfile: 'fast',
      enableGracefulRestart: false,
      ebgpMultiHop: true,
      disableMP: false,
      dualStackAddressFamily: false,
      ibgp: false,
    });
  });

  it('convertBGPPeerToV1beta2 gives a valid v1beta2 object', () => {
    const r = validateBGPPeer(v1({ ...base, peerPort: 0, nodeSelectors: [{}] }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = convertBGPPeerToV1beta2(r.object as BGPPeerV1beta1);
    expect(c.apiVersion).toBe('metallb.io/v1beta2');
    expect(c.spec).toEqual({ ...base, nodeSelectors: [{}], disableMP: false, dualStackAddressFamily: false });
    expect(validateBGPPeer(c).ok).toBe(true);
    expect(normalizePeer(r.object).port).toBe(179);
  });

  it('v1beta1 requires peerASN and peerAddress', () => {
    expect(errorsOf(v1({ myASN: 65100 }))).toEqual([
      { ...ref, path: 'spec.peerASN', rule: 'required', message: 'required field peerASN is missing' },
      {
        ...ref,
        path: 'spec.peerAddress',
        rule: 'required',
        message: 'required field peerAddress is missing',
      },
    ]);
  });

  it('v1beta1 rejects v1beta2-only fields as unknown', () => {
    expect(rules(v1({ ...base, dynamicASN: 'external' }))).toEqual([['spec.dynamicASN', 'unknown-field']]);
  });

  it('v1beta1 legacy operator is checked', () => {
    expect(
      errorsOf(
        v1({ ...base, nodeSelectors: [{ matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] }] }),
      ),
    ).toEqual([
      {
        ...ref,
        path: 'spec.nodeSelectors[0].matchExpressions[0].operator',
        rule: 'invalid-label-selector',
        message: 'invalid operator "in": must be In, NotIn, Exists or DoesNotExist',
      },
    ]);
  });
});

describe('BGPPeer v1beta2 → normalized', () => {
  it('dynamicASN, interface, passwordSecret, graceful restart, vrf, connectTime, disableMP', () => {
    const r = validateBGPPeer(
      v2({
        myASN: 65100,
        dynamicASN: 'internal',
        interface: 'eth1',
        passwordSecret: { name: 'tor-pw' },
        enableGracefulRestart: true,
        vrf: 'red',
        connectTime: '5s',
        disableMP: true,
        dualStackAddressFamily: true,
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(normalizePeer(r.object)).toEqual({
      name: 'p1',
      namespace: 'metallb-system',
      apiVersion: 'metallb.io/v1beta2',
      myASN: 65100,
      dynamicASN: 'internal',
      interface: 'eth1',
      port: 179,
      holdTime: 90,
      keepaliveTime: 30,
      timersExplicit: false,
      connectTime: 5,
      nodeSelectors: [],
      passwordSecret: { name: 'tor-pw', namespace: 'metallb-system' },
      enableGracefulRestart: true,
      ebgpMultiHop: false,
      vrf: 'red',
      disableMP: true,
      dualStackAddressFamily: true,
      ibgp: true,
    });
  });

  it('IPv6 peer address is canonicalized; iBGP detected', () => {
    const r = validateBGPPeer(v2({ myASN: 65000, peerASN: 65000, peerAddress: '2001:DB8:0:0::1' }));
    expect(r.ok && normalizePeer(r.object)).toMatchObject({
      peerAddress: '2001:db8::1',
      peerAddressFamily: 6,
      ibgp: true,
    });
  });

  it('timers: keepalive alone gives hold = 3 × keepalive; hold alone gives keepalive = hold / 3', () => {
    const a = validateBGPPeer(v2({ ...base, keepaliveTime: '10s' }));
    expect(a.ok && normalizePeer(a.object)).toMatchObject({ holdTime: 30, keepaliveTime: 10 });
    const b = validateBGPPeer(v2({ ...base, holdTime: '1m30s' }));
    expect(b.ok && normalizePeer(b.object)).toMatchObject({ holdTime: 90, keepaliveTime: 30 });
    const c = validateBGPPeer(v2({ ...base, holdTime: '0s', keepaliveTime: '0s' }));
    expect(c.ok && normalizePeer(c.object)).toMatchObject({ holdTime: 0, keepaliveTime: 0 });
  });

  it('rule hold-time: hold time 0 or >= 3s', () => {
    expect(errorsOf(v2({ ...base, holdTime: '2s' }))).toEqual([
      {
        ...ref,
        path: 'spec.holdTime',
        rule: 'hold-time',
        message: 'invalid hold time "2s": must be 0 or >= 3s',
      },
    ]);
    expect(rules(v2({ ...base, holdTime: '3s' }))).toEqual([]);
    expect(errorsOf(v2({ ...base, holdTime: '65536s' }))).toEqual([
      {
        ...ref,
        path: 'spec.holdTime',
        rule: 'hold-time',
        message: "hold time 65536s does not fit BGP's 16-bit Hold Time field: must be at most 65535s",
      },
    ]);
    expect(rules(v2({ ...base, holdTime: '18h12m15s' }))).toEqual([]);
  });

  it('rule keepalive-time: keepalive <= hold', () => {
    expect(errorsOf(v2({ ...base, holdTime: '9s', keepaliveTime: '10s' }))).toEqual([
      {
        ...ref,
        path: 'spec.keepaliveTime',
        rule: 'keepalive-time',
        message: 'invalid keepaliveTime "10s": must be lower than or equal to holdTime "9s"',
      },
    ]);
  });

  it('rule invalid-duration: Go duration syntax', () => {
    expect(errorsOf(v2({ ...base, holdTime: '90' }))).toEqual([
      {
        ...ref,
        path: 'spec.holdTime',
        rule: 'invalid-duration',
        message:
          'invalid duration "90": missing unit in "90" (use ns, us, ms, s, m or h) (examples: 90s, 1m30s)',
      },
    ]);
  });

  it('rule connect-time: whole seconds, 1-65535', () => {
    expect(rules(v2({ ...base, connectTime: '1500ms' }))).toEqual([['spec.connectTime', 'connect-time']]);
    expect(rules(v2({ ...base, connectTime: '0s' }))).toEqual([['spec.connectTime', 'connect-time']]);
    expect(rules(v2({ ...base, connectTime: '65536s' }))).toEqual([['spec.connectTime', 'connect-time']]);
  });

  it('rule password-exclusive: password and passwordSecret', () => {
    expect(errorsOf(v2({ ...base, password: 'a', passwordSecret: { name: 's' } }))).toEqual([
      {
        ...ref,
        path: 'spec.passwordSecret',
        rule: 'password-exclusive',
        message: 'password and passwordSecret are both set: use one',
      },
    ]);
  });

  it('rule asn-required: myASN, and peerASN or dynamicASN', () => {
    expect(errorsOf(v2({ myASN: 0, peerAddress: '10.0.0.1' }))).toEqual([
      {
        ...ref,
        path: 'spec.myASN',
        rule: 'asn-required',
        message: 'missing local ASN: myASN must be 1-4294967295',
      },
      {
        ...ref,
        path: 'spec.peerASN',
        rule: 'asn-required',
        message: 'missing peer ASN: set peerASN or dynamicASN',
      },
    ]);
    expect(errorsOf(v2({ peerASN: 1, peerAddress: '10.0.0.1' }))).toEqual([
      { ...ref, path: 'spec.myASN', rule: 'required', message: 'required field myASN is missing' },
    ]);
  });

  it('rule asn-exclusive: peerASN and dynamicASN', () => {
    expect(rules(v2({ ...base, dynamicASN: 'external' }))).toEqual([['spec.dynamicASN', 'asn-exclusive']]);
  });

  it('rule enum: dynamicASN values', () => {
    expect(errorsOf(v2({ myASN: 1, dynamicASN: 'both', peerAddress: '10.0.0.1' }))).toEqual([
      {
        ...ref,
        path: 'spec.dynamicASN',
        rule: 'enum',
        message: 'must be one of "internal", "external", got "both"',
      },
    ]);
  });

  it('rule address-required / address-exclusive', () => {
    expect(rules(v2({ myASN: 1, peerASN: 2 }))).toEqual([['spec.peerAddress', 'address-required']]);
    expect(rules(v2({ ...base, interface: 'eth0' }))).toEqual([['spec.interface', 'address-exclusive']]);
  });

  it('rule invalid-ip: peerAddress, sourceAddress, routerID (IPv4 only)', () => {
    expect(
      rules(v2({ ...base, peerAddress: '10.0.0.256', sourceAddress: 'x', routerID: '2001:db8::1' })),
    ).toEqual([
      ['spec.peerAddress', 'invalid-ip'],
      ['spec.sourceAddress', 'invalid-ip'],
      ['spec.routerID', 'invalid-ip'],
    ]);
  });

  it('rule mixed-families: sourceAddress family differs from peerAddress', () => {
    expect(rules(v2({ ...base, sourceAddress: '2001:db8::1' }))).toEqual([
      ['spec.sourceAddress', 'mixed-families'],
    ]);
  });

  it('rule ebgp-multihop-ibgp', () => {
    expect(rules(v2({ myASN: 65000, peerASN: 65000, peerAddress: '10.0.0.1', ebgpMultiHop: true }))).toEqual([
      ['spec.ebgpMultiHop', 'ebgp-multihop-ibgp'],
    ]);
  });

  it('rule invalid-characters: newline in password', () => {
    expect(rules(v2({ ...base, password: 'a\nb' }))).toEqual([['spec.password', 'invalid-characters']]);
  });

  it('rule maximum / minimum: ASN and port ranges', () => {
    expect(rules(v2({ ...base, myASN: 4294967296, peerPort: 0 }))).toEqual([
      ['spec.myASN', 'maximum'],
      ['spec.peerPort', 'minimum'],
    ]);
  });

  it('rule unknown-field: a typo in spec', () => {
    expect(errorsOf(v2({ ...base, peerASn: 1 }))[0]).toMatchObject({
      path: 'spec.peerASn',
      rule: 'unknown-field',
      message: expect.stringContaining('unknown field "peerASn" (known fields: myASN, peerASN,'),
    });
  });

  it('rule duplicate-value: duplicate node selectors', () => {
    expect(
      rules(v2({ ...base, nodeSelectors: [{ matchLabels: { a: 'b' } }, { matchLabels: { a: 'b' } }] })),
    ).toEqual([['spec.nodeSelectors[1]', 'duplicate-value']]);
  });

  it('apiVersion other than v1beta1/v1beta2 is named', () => {
    expect(errorsOf({ ...v1(base), apiVersion: 'metallb.io/v1' })).toEqual([
      {
        ...ref,
        path: 'apiVersion',
        rule: 'enum',
        message:
          'apiVersion must be metallb.io/v1beta1 or metallb.io/v1beta2 for BGPPeer, got "metallb.io/v1"',
      },
    ]);
  });
});

describe('BGPPeer localASN (MetalLB v0.16, v1beta2 only)', () => {
  it('is kept in the normalized peer; v1beta1 has no such field', () => {
    const r = validateBGPPeer(v2({ ...base, localASN: 64999 }));
    expect(r.ok && normalizePeer(r.object)).toMatchObject({ myASN: 65100, localASN: 64999, peerASN: 65000 });
    const plain = validateBGPPeer(v2(base));
    expect(plain.ok && 'localASN' in normalizePeer(plain.object)).toBe(false);
    expect(rules(v1({ ...base, localASN: 64999 }))).toEqual([['spec.localASN', 'unknown-field']]);
  });

  it("rule minimum / maximum: 1-4294967295, as MetalLB's CRD", () => {
    expect(rules(v2({ ...base, localASN: 0 }))).toEqual([['spec.localASN', 'minimum']]);
    expect(rules(v2({ ...base, localASN: 4294967296 }))).toEqual([['spec.localASN', 'maximum']]);
  });

  it("rule local-asn: eBGP only, not myASN, not peerASN (FRR's local-as rules)", () => {
    expect(errorsOf(v2({ ...base, peerASN: 65100, localASN: 64999 }))).toEqual([
      {
        ...ref,
        path: 'spec.localASN',
        rule: 'local-asn',
        message:
          'localASN 64999 is set for an iBGP peer (peerASN equals myASN): a local AS replaces myASN toward eBGP peers only',
      },
    ]);
    expect(
      errorsOf(v2({ myASN: 65100, dynamicASN: 'internal', peerAddress: '10.0.0.1', localASN: 1 }))[0]
        ?.message,
    ).toBe(
      'localASN 1 is set for an iBGP peer (dynamicASN internal): a local AS replaces myASN toward eBGP peers only',
    );
    expect(errorsOf(v2({ ...base, localASN: 65100 }))[0]?.message).toBe(
      'localASN 65100 equals myASN: omit localASN',
    );
    expect(errorsOf(v2({ ...base, localASN: 65000 }))[0]?.message).toBe(
      'localASN 65000 equals peerASN: the peer would see an iBGP session where this end runs eBGP',
    );
    expect(
      errorsOf(v2({ myASN: 65100, dynamicASN: 'external', peerAddress: '10.0.0.1', localASN: 64999 })),
    ).toEqual([]);
  });
});
