// Who holds an address, and whether another Service may join them (MetalLB's sharingOK and port
// check): the records the allocator keeps per Service and per address, and the index of shared
// addresses by sharing group and port set that lets a sharing Service find a fit in one look.
import type { Labels } from '@bmlb/metallb-api';
import type { Family } from './addr.ts';
import { OrderedMap } from './ordered-map.ts';
import { type CompiledPool, type Space, spaceOf } from './pool.ts';
import type { SharingConflict } from './refusal.ts';

export type Key = number | bigint;

/** What a Service brings to a sharing or admission decision. */
export interface Claim {
  readonly key: string;
  readonly ports: readonly string[];
  readonly sharingKey: string;
  readonly backendKey: string;
  readonly namespace: string;
  readonly labels: Labels | undefined;
  readonly namespaceLabels: Labels | undefined;
}

/** A Service's assignment, as recorded. */
export interface ServiceRecord extends Claim {
  pool: CompiledPool;
  /** Addresses in status order: a number is IPv4, a bigint IPv6. */
  readonly addrs: readonly Key[];
}

export interface Located {
  readonly space: Space<Key>;
  readonly addr: Key;
}

/**
 * The Services on one address (one record, or an array of two or more): all carry the same
 * sharing and backend key. A single holder, the common case, costs no array.
 */
export type Holders = ServiceRecord | ServiceRecord[];

export function holderList(h: Holders | undefined): readonly ServiceRecord[] {
  return h === undefined ? [] : Array.isArray(h) ? h : [h];
}

export function familyOf(addr: Key): Family {
  return typeof addr === 'number' ? 'IPv4' : 'IPv6';
}

/** The space of `pool` that holds `addr` (the caller knows it does). */
export function spaceFor(pool: CompiledPool, addr: Key): Space<Key> {
  return spaceOf(pool, familyOf(addr)) as Space<Key>;
}

export function byKey(a: ServiceRecord, b: ServiceRecord): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** The ports used on an address by all its holders, sorted. */
function portUnion(holders: readonly ServiceRecord[]): string[] {
  if (holders.length === 1) return [...holders[0]!.ports].sort();
  const all = new Set<string>();
  for (const h of holders) for (const p of h.ports) all.add(p);
  return [...all].sort();
}

/** Why `claim` may not join the Services on an address, or undefined when it may. */
export function sharingConflict(
  on: Holders,
  claim: Claim,
): { conflict: SharingConflict; holders: string[]; port?: string } | undefined {
  // By Service key, so that the answer does not depend on the order the holders came in.
  const others = holderList(on)
    .filter((h) => h.key !== claim.key)
    .sort(byKey);
  if (others.length === 0) return undefined;
  const h = others[0]!;
  const holders = others.map((o) => o.key);
  if (h.sharingKey === '') return { conflict: 'HolderDoesNotShare', holders };
  if (claim.sharingKey === '') return { conflict: 'ServiceDoesNotShare', holders };
  if (h.sharingKey !== claim.sharingKey) return { conflict: 'SharingKeyMismatch', holders };
  if (h.backendKey !== claim.backendKey) return { conflict: 'BackendMismatch', holders };
  for (const port of claim.ports) {
    for (const o of others) {
      if (o.ports.includes(port)) return { conflict: 'PortConflict', holders: [o.key], port };
    }
  }
  return undefined;
}

/** Files a shared address under its holders' sharing group and port set. */
export function indexShared(space: Space<Key>, index: Key, holders: readonly ServiceRecord[]): void {
  const h = holders[0]!;
  if (h.sharingKey === '') return;
  const g = `${h.sharingKey}\0${h.backendKey}`;
  let group = space.shared.get(g);
  if (group === undefined) {
    group = new Map();
    space.shared.set(g, group);
  }
  const ports = portUnion(holders);
  const sig = ports.join(',');
  let bucket = group.get(sig);
  if (bucket === undefined) {
    bucket = { ports, members: new OrderedMap<Key, true>() };
    group.set(sig, bucket);
  }
  bucket.members.set(index, true);
}

export function unindexShared(space: Space<Key>, index: Key, holders: readonly ServiceRecord[]): void {
  const h = holders[0]!;
  if (h.sharingKey === '') return;
  const g = `${h.sharingKey}\0${h.backendKey}`;
  const group = space.shared.get(g);
  const sig = portUnion(holders).join(',');
  const bucket = group?.get(sig);
  if (group === undefined || bucket === undefined) return;
  bucket.members.delete(index);
  if (bucket.members.size === 0) group.delete(sig);
  if (group.size === 0) space.shared.delete(g);
}
