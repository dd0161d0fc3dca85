import { readdirSync, readFileSync } from 'node:fs';
import { sharedDataUrl } from '@bmlb/shared-data';
import { describe, expect, it } from 'vitest';
import { formatCommunity } from './community.ts';
import { buildConfig } from './config.ts';
import { formatConfigError } from './errors.ts';
import { formatPrefix } from './ip.ts';
import { type ManifestObject, parseManifests } from './manifests.ts';

const seedDir = sharedDataUrl('seed-manifests');
const files = readdirSync(seedDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const load = (f: string) => parseManifests(readFileSync(new URL(f, seedDir), 'utf8'), { source: f });

describe('seed manifests', () => {
  it('finds the five seed files', () => {
    expect(files).toEqual([
      '01-ipaddresspool.yaml',
      '02-bgppeers.yaml',
      '03-bgpadvertisement.yaml',
      '04-service-web.yaml',
      '05-bfd.yaml',
    ]);
  });

  for (const f of files) {
    it(`${f} loads unchanged with no errors or warnings`, () => {
      const r = load(f);
      expect(r.errors.map(formatConfigError)).toEqual([]);
      expect(r.warnings.map(formatConfigError)).toEqual([]);
      expect(r.objects.length).toBeGreaterThan(0);
    });
  }

  it('all files in order build one valid configuration; 05 replaces tor1', () => {
    const objects: ManifestObject[] = files.flatMap((f) => load(f).objects);
    const { config, errors, warnings } = buildConfig(objects);
    expect(errors.map(formatConfigError)).toEqual([]);
    expect(warnings.map(formatConfigError)).toEqual([]);

    const pool = config.pools.get('prod-pool')!;
    expect(pool.addresses.map((a) => a.cidrs.map(formatPrefix))).toEqual([['203.0.113.0/24']]);
    expect(pool.autoAssign).toBe(true);
    expect(pool.avoidBuggyIPs).toBe(false);

    expect([...config.peers.keys()]).toEqual(['tor1', 'tor2']);
    const tor1 = config.peers.get('tor1')!;
    expect(tor1).toMatchObject({
      myASN: 65100,
      peerASN: 65000,
      peerAddress: '10.0.0.1',
      bfdProfile: 'tor-bfd',
      port: 179,
      // 05 redefines tor1 without holdTime: defaults apply
      holdTime: 90,
      keepaliveTime: 30,
      timersExplicit: false,
      ibgp: false,
    });
    expect(config.peers.get('tor2')!.bfdProfile).toBeUndefined();

    const adv = config.advertisements.get('prod-adv')!;
    expect(adv).toMatchObject({
      aggregationLength: 32,
      aggregationLengthV6: 128,
      localPref: 100,
      pools: ['prod-pool'],
      peers: [],
    });
    expect(adv.communities.map(formatCommunity)).toEqual(['65000:100']);

    expect(config.bfdProfiles.get('tor-bfd')).toEqual({
      name: 'tor-bfd',
      receiveInterval: 300,
      transmitInterval: 300,
      detectMultiplier: 3,
      echoInterval: 50,
      echoMode: false,
      passiveMode: false,
      minimumTtl: 254,
    });

    const web = config.services.get('default/web')!;
    expect(web.spec).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      selector: { app: 'web' },
    });
    expect(web.spec.ports).toEqual([{ port: 443, targetPort: 8443, protocol: 'TCP' }]);
  });

  it('02 alone keeps tor1 holdTime 90s explicit', () => {
    const { config, errors } = buildConfig(load('02-bgppeers.yaml').objects);
    expect(errors).toEqual([]);
    expect(config.peers.get('tor1')).toMatchObject({ holdTime: 90, keepaliveTime: 30, timersExplicit: true });
  });

  it('05 without its profile: unknown BFD profile names the peer and field', () => {
    const objects = load('05-bfd.yaml').objects.filter((o) => o.kind !== 'BFDProfile');
    const { errors } = buildConfig(objects);
    expect(errors).toEqual([
      {
        kind: 'BGPPeer',
        namespace: 'metallb-system',
        name: 'tor1',
        path: 'spec.bfdProfile',
        rule: 'unknown-bfd-profile',
        message: 'BFDProfile "tor-bfd" does not exist in namespace metallb-system',
        source: '05-bfd.yaml',
        document: 1,
        line: 20,
        column: 15,
        offset: 353,
      },
    ]);
  });
});
