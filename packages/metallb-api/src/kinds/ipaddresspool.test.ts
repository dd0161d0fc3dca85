import { describe, expect, it } from 'vitest';
import { formatPrefix } from '../ip.ts';
import { normalizePool, validateIPAddressPool } from './ipaddresspool.ts';

const pool = (spec: unknown, metadata: unknown = { name: 'p1' }) => ({
  apiVersion: 'metallb.io/v1beta1',
  kind: 'IPAddressPool',
  metadata,
  spec,
});
const ref = { kind: 'IPAddressPool', namespace: 'metallb-system', name: 'p1' };

describe('IPAddressPool', () => {
  it('applies defaults: namespace metallb-system, autoAssign true, avoidBuggyIPs false', () => {
    const r = validateIPAddressPool(pool({ addresses: ['203.0.113.0/24'] }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.object.metadata.namespace).toBe('metallb-system');
    expect(r.object.spec).toEqual({ addresses: ['203.0.113.0/24'], autoAssign: true, avoidBuggyIPs: false });
  });

  it('does not modify its input', () => {
    const input = pool({ addresses: ['203.0.113.0/24'] });
    const copy = structuredClone(input);
    validateIPAddressPool(input);
    expect(input).toEqual(copy);
  });

  it('normalizes mixed families, ranges and single IPs', () => {
    const r = validateIPAddressPool(
      pool({
        addresses: ['203.0.113.0/24', '198.51.100.10-198.51.100.13', '192.0.2.7', '2001:db8:1::/64'],
        autoAssign: false,
        serviceAllocation: {
          priority: 5,
          namespaces: ['web'],
          serviceSelectors: [{ matchLabels: { app: 'x' } }],
        },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const n = normalizePool(r.object);
    expect(n.autoAssign).toBe(false);
    expect(n.addresses.map((a) => [a.form, a.family, a.cidrs.map(formatPrefix)])).toEqual([
      ['cidr', 4, ['203.0.113.0/24']],
      ['range', 4, ['198.51.100.10/31', '198.51.100.12/31']],
      ['ip', 4, ['192.0.2.7/32']],
      ['cidr', 6, ['2001:db8:1::/64']],
    ]);
    expect(n.serviceAllocation).toEqual({
      priority: 5,
      namespaces: ['web'],
      namespaceSelectors: [],
      serviceSelectors: [{ matchLabels: { app: 'x' } }],
    });
  });

  it('rule invalid-cidr: names the entry', () => {
    const r = validateIPAddressPool(pool({ addresses: ['203.0.113.0/24', '10.0.0.0/33'] }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      {
        ...ref,
        path: 'spec.addresses[1]',
        rule: 'invalid-cidr',
        message: 'invalid CIDR "10.0.0.0/33": prefix length must be 0-32',
      },
    ]);
  });

  it('rule invalid-range: start after end', () => {
    const r = validateIPAddressPool(pool({ addresses: ['10.0.0.9-10.0.0.1'] }));
    expect(!r.ok && r.errors).toEqual([
      {
        ...ref,
        path: 'spec.addresses[0]',
        rule: 'invalid-range',
        message: 'invalid IP range "10.0.0.9-10.0.0.1": start IP 10.0.0.9 is after the end IP 10.0.0.1',
      },
    ]);
  });

  it('rule mixed-families: a range from IPv4 to IPv6', () => {
    const r = validateIPAddressPool(pool({ addresses: ['10.0.0.1-2001:db8::1'] }));
    expect(!r.ok && r.errors.map((e) => [e.path, e.rule])).toEqual([['spec.addresses[0]', 'mixed-families']]);
  });

  it('rule overlapping-pools: two entries of one pool overlap', () => {
    const r = validateIPAddressPool(pool({ addresses: ['10.0.0.0/24', '10.0.0.128-10.0.1.5'] }));
    expect(!r.ok && r.errors).toEqual([
      {
        ...ref,
        path: 'spec.addresses[1]',
        rule: 'overlapping-pools',
        message:
          '"10.0.0.128-10.0.1.5" overlaps "10.0.0.0/24" (spec.addresses[0]) of the same pool at 10.0.0.128-10.0.0.255',
      },
    ]);
  });

  it('rule unknown-field: in spec and in serviceAllocation', () => {
    const r = validateIPAddressPool(
      pool({ addresses: ['10.0.0.0/24'], autoassign: true, serviceAllocation: { prio: 1 } }),
    );
    expect(!r.ok && r.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.autoassign', 'unknown-field'],
      ['spec.serviceAllocation.prio', 'unknown-field'],
    ]);
  });

  it('rule required / min-items: addresses', () => {
    const r1 = validateIPAddressPool(pool({}));
    expect(!r1.ok && r1.errors).toEqual([
      { ...ref, path: 'spec.addresses', rule: 'required', message: 'required field addresses is missing' },
    ]);
    const r2 = validateIPAddressPool(pool({ addresses: [] }));
    expect(!r2.ok && r2.errors.map((e) => [e.path, e.rule])).toEqual([['spec.addresses', 'min-items']]);
  });

  it('rule type: autoAssign must be boolean', () => {
    const r = validateIPAddressPool(pool({ addresses: ['10.0.0.0/24'], autoAssign: 'yes' }));
    expect(!r.ok && r.errors).toEqual([
      {
        ...ref,
        path: 'spec.autoAssign',
        rule: 'type',
        message: 'must be a boolean (true or false), got string ("yes")',
      },
    ]);
  });

  it('rule duplicate-value and invalid-label-selector in serviceAllocation', () => {
    const r = validateIPAddressPool(
      pool({
        addresses: ['10.0.0.0/24'],
        serviceAllocation: {
          namespaces: ['a', 'a'],
          namespaceSelectors: [{ matchExpressions: [{ key: 'team', operator: 'In' }] }],
        },
      }),
    );
    expect(!r.ok && r.errors.map((e) => [e.path, e.rule])).toEqual([
      ['spec.serviceAllocation.namespaces[1]', 'duplicate-value'],
      ['spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].values', 'invalid-label-selector'],
    ]);
  });

  it('rule format: metadata.name must be a DNS subdomain', () => {
    const r = validateIPAddressPool(pool({ addresses: ['10.0.0.0/24'] }, { name: 'Prod_Pool' }));
    expect(!r.ok && r.errors.map((e) => [e.kind, e.name, e.path, e.rule])).toEqual([
      ['IPAddressPool', 'Prod_Pool', 'metadata.name', 'format'],
    ]);
  });

  it('accepts status counters', () => {
    const r = validateIPAddressPool({
      ...pool({ addresses: ['10.0.0.0/24'] }),
      status: { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 255, availableIPv6: 0 },
    });
    expect(r.ok).toBe(true);
  });
});
