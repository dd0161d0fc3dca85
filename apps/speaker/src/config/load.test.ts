import { describe, expect, it } from 'vitest';
import { computeAnnouncements } from '../announce/announce.ts';
import { seedManifests, serviceManifests } from '../test-support/topology.ts';
import { loadManifests } from './load.ts';

const web = serviceManifests({
  name: 'web',
  ips: ['203.0.113.10'],
  policy: 'Local',
  endpointsOn: ['node1', 'node2'],
});

describe('loading FILE through metallb-api', () => {
  it('loads the seed manifests unchanged plus a Service and its EndpointSlice', () => {
    const r = loadManifests(`${seedManifests()}\n---\n${web}`, 'node1.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const s = r.snapshot;
    expect(
      s.peers.map((p) => [p.name, p.address, p.peerASN, p.myASN, p.holdTime, p.bfdProfile?.name]),
    ).toEqual([
      ['tor1', '10.0.0.1', 65000, 65100, 90, 'tor-bfd'],
      ['tor2', '10.0.0.2', 65000, 65100, 90, undefined],
    ]);
    expect(s.peers[0]?.bfdProfile).toMatchObject({
      receiveInterval: 300,
      transmitInterval: 300,
      detectMultiplier: 3,
    });
    const a = computeAnnouncements({ ...s, config: s.announce, nodeName: 'node1' });
    expect(a.routes.get('tor1')?.ipv4.get('203.0.113.10/32')).toEqual({
      communities: [65000 * 65536 + 100],
      largeCommunities: [],
      localPref: undefined,
    });
    const other = computeAnnouncements({ ...s, config: s.announce, nodeName: 'node3' });
    expect(other.services.find((v) => v.service === 'default/web')?.reason).toBe('noLocalEndpoints');
  });

  it('gives each peer the address family of its session, so IPs go only to peers of their family', () => {
    const v6peer =
      'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: tor1-v6, namespace: metallb-system }\nspec: { myASN: 65100, peerASN: 65000, peerAddress: "fd00::1" }';
    const r = loadManifests(`${seedManifests()}\n---\n${v6peer}\n---\n${web}`, 'node1.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.snapshot.announce.peers.map((p) => [p.name, p.families])).toEqual([
      ['tor1', [4]],
      ['tor1-v6', [6]],
      ['tor2', [4]],
    ]);
    const a = computeAnnouncements({ ...r.snapshot, config: r.snapshot.announce, nodeName: 'node1' });
    expect(a.routes.get('tor1-v6')?.ipv4.size).toBe(0);
    expect(a.services.find((v) => v.service === 'default/web')?.peers).toEqual(['tor1', 'tor2']);
  });

  it('resolves Community aliases and large communities', () => {
    const text = `${seedManifests({ bfd: false })}
---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: communities, namespace: metallb-system }
spec:
  communities:
  - name: no-advertise-big
    value: large:65000:7:8
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: extra, namespace: metallb-system }
spec:
  communities: [no-advertise-big, "65000:200"]
  localPref: 100
---
${web}`;
    const r = loadManifests(text, 'f.yaml');
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const a = computeAnnouncements({ ...r.snapshot, config: r.snapshot.announce, nodeName: 'node1' });
    expect(a.routes.get('tor2')?.ipv4.get('203.0.113.10/32')).toEqual({
      communities: [65000 * 65536 + 100, 65000 * 65536 + 200],
      largeCommunities: [[65000, 7, 8]],
      localPref: undefined,
    });
  });

  it.each([
    [
      'an unknown field',
      'apiVersion: metallb.io/v1beta1\nkind: BGPPeer\nmetadata: { name: tor3, namespace: metallb-system }\nspec: { myASN: 65100, peerASN: 65000, peerAddress: 10.0.0.3, bogus: 1 }',
      /BGPPeer\/metallb-system\/tor3.*bogus/,
    ],
    [
      'a peer without ASN',
      'apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: tor3, namespace: metallb-system }\nspec: { myASN: 65100, peerAddress: 10.0.0.3 }',
      /BGPPeer\/metallb-system\/tor3/,
    ],
    [
      'overlapping pools',
      'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: other, namespace: metallb-system }\nspec: { addresses: [203.0.113.128/25] }',
      /IPAddressPool\/metallb-system\/other.*overlap/i,
    ],
  ])('rejects %s with an error naming object and field', (_what, doc, re) => {
    const r = loadManifests(`${seedManifests()}\n---\n${doc}`, 'f.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toMatch(re);
    expect(r.errors.join('\n')).toMatch(/^f\.yaml/);
  });
});
