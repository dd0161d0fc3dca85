import { describe, expect, it } from 'vitest';
import {
  annotationValue,
  backendKey,
  portKeys,
  readRequest,
  serviceFamilies,
  sharingKey,
} from './service.ts';
import { svc } from './test-support/fixtures.ts';

describe('reading a Service (controller/service.go, k8salloc)', () => {
  it('the metallb.io/ annotation wins over the old prefix even when empty, as valueForAnnotation', () => {
    const ann = { 'metallb.io/address-pool': '', 'metallb.universe.tf/address-pool': 'old' };
    expect(annotationValue(ann, 'metallb.io/address-pool', 'metallb.universe.tf/address-pool')).toEqual({
      key: 'metallb.io/address-pool',
      value: '',
    });
    expect(readRequest(svc('x', { annotations: ann }))).toMatchObject({ ok: true, pool: '' });
  });

  it('only own properties count as annotations', () => {
    const ann = Object.create({ 'metallb.io/address-pool': 'inherited' }) as Record<string, string>;
    expect(
      annotationValue(ann, 'metallb.io/address-pool', 'metallb.universe.tf/address-pool'),
    ).toBeUndefined();
  });

  it('loadBalancerIPs: trims, accepts one address per family, keeps the order', () => {
    const r = readRequest(svc('x', { ips: ' fd00::1 , 10.0.0.1 ' }));
    expect(r).toMatchObject({
      ok: true,
      ips: [
        { family: 'IPv6', value: (0xfd00n << 112n) | 1n },
        { family: 'IPv4', value: 0x0a000001 },
      ],
    });
  });

  it('loadBalancerIPs: an empty element, three addresses or a zone are invalid', () => {
    for (const v of ['10.0.0.1,', '10.0.0.1,fd00::1,10.0.0.2', 'fe80::1%eth0']) {
      expect(readRequest(svc('x', { ips: v }))).toMatchObject({
        ok: false,
        problem: 'InvalidAnnotation',
        value: v,
      });
    }
  });

  it('the old loadBalancerIPs annotation conflicts with spec.loadBalancerIP too', () => {
    const r = readRequest(
      svc('x', {
        annotations: { 'metallb.universe.tf/loadBalancerIPs': '10.0.0.1' },
        loadBalancerIP: '10.0.0.2',
      }),
    );
    expect(r).toMatchObject({
      ok: false,
      problem: 'ConflictingIPRequest',
      annotation: 'metallb.universe.tf/loadBalancerIPs',
    });
  });

  it('sharing key: metallb.io/ first, then the old prefix', () => {
    expect(sharingKey(svc('x', { annotations: { 'metallb.universe.tf/allow-shared-ip': 'old' } }))).toBe(
      'old',
    );
    expect(
      sharingKey(svc('x', { share: 'new', annotations: { 'metallb.universe.tf/allow-shared-ip': 'old' } })),
    ).toBe('new');
    expect(sharingKey(svc('x'))).toBe('');
  });

  it('backend key: empty for Cluster, the sorted pod selector for Local', () => {
    expect(backendKey(svc('x', { selector: { b: '2', a: '1' } }))).toBe('');
    expect(backendKey(svc('x', { local: true, selector: { b: '2', a: '1' } }))).toBe('a=1,b=2');
    expect(backendKey(svc('x', { local: true }))).toBe('');
  });

  it('ports default to TCP', () => {
    expect(portKeys(svc('x', { ports: [{ port: 53 }, { port: 53, protocol: 'UDP' }] }))).toEqual([
      'TCP/53',
      'UDP/53',
    ]);
    expect(portKeys(svc('x', { ports: [] }))).toEqual([]);
  });

  it('families: ipFamilies in order, else those of the requested addresses, else IPv4', () => {
    expect(serviceFamilies(svc('x', { families: ['IPv6', 'IPv4'] }), [])).toEqual(['IPv6', 'IPv4']);
    expect(serviceFamilies(svc('x'), [{ family: 'IPv6', value: 1n }])).toEqual(['IPv6']);
    expect(serviceFamilies(svc('x'), [])).toEqual(['IPv4']);
  });
});
