// The allocator: MetalLB's internal/allocator and the allocation half of controller/service.go
// (convergeBalancer, allocateIPs), without scanning. Pure and synchronous: the controller feeds it
// pools and Services and turns its answers into Service status, events and IPAddressPool status.
// Who holds an address and who may share it: sharing.ts; refusals and their sentences: refusal.ts;
// the answer types: results.ts.

import type { IPAddressPoolStatus } from '@bmlb/metallb-api';
import { type Family, type KeyedAddress, keyText, readAddress } from './addr.ts';
import {
  type CompiledPool,
  type CompiledPools,
  compilePools,
  locate,
  type PoolInput,
  poolExcludes,
  type Space,
  spaceOf,
} from './pool.ts';
import {
  inUseRefusal,
  label,
  notCompatibleRefusal,
  outsideRefusal,
  type Refusal,
  requestRefusal,
} from './refusal.ts';
import type {
  AddressOwners,
  Assignment,
  AssignResult,
  PoolChange,
  PoolChangeReason,
  PoolStats,
  RestoreResult,
  SetPoolsResult,
} from './results.ts';
import {
  type AllocatorService,
  backendKey,
  type IPFamilyPolicy,
  portKeys,
  readRequest,
  serviceFamilies,
  serviceKey,
  sharingKey,
} from './service.ts';
import {
  byKey,
  type Claim,
  familyOf,
  type Holders,
  holderList,
  indexShared,
  type Key,
  type Located,
  type ServiceRecord,
  sharingConflict,
  spaceFor,
  unindexShared,
} from './sharing.ts';

function formatAddr(addr: Key): string {
  return keyText(addr);
}

/** Port lists are interned (most Services have one of a few), up to this many distinct lists. */
const MAX_INTERNED_PORT_LISTS = 4096;

const EMPTY: readonly string[] = [];

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => b.includes(x));
}

/** MetalLB's serviceFamilyChanged: may a Service with `families` keep addresses of `held` families? */
function familyChanged(
  held: readonly Family[],
  families: readonly Family[],
  policy: IPFamilyPolicy,
): boolean {
  const heldDual = held.length === 2;
  const svcDual = families.length >= 2;
  if (heldDual === svcDual && (heldDual || held[0] === families[0])) return false;
  if (svcDual && policy === 'PreferDualStack' && held.length === 1 && families.includes(held[0]!))
    return false;
  return true;
}

export class Allocator {
  #pools: CompiledPools = { byName: new Map(), v4Index: [], v6Index: [], ordered: [] };
  readonly #records = new Map<string, ServiceRecord>();
  readonly #v4 = new Map<number, Holders>();
  readonly #v6 = new Map<bigint, Holders>();
  readonly #portLists = new Map<string, readonly string[]>();

  // ---- pools ----------------------------------------------------------------------------------

  /**
   * Replaces the pools. Refused as a whole (the old pools stay) when an address does not parse, two
   * pools (or two entries of one pool) overlap, or a name repeats. Otherwise every Service keeps its
   * addresses if they still fit (in some pool, which admits it); the others are released, and each
   * change is reported, in Service order.
   */
  setPools(pools: readonly PoolInput[]): SetPoolsResult {
    const compiled = compilePools(pools);
    if (!compiled.ok) return { ok: false, errors: compiled.errors };
    const next = compiled.pools;
    this.#pools = next;
    const changes: PoolChange[] = [];
    const released = new Set<ServiceRecord>();
    const keys = [...this.#records.keys()].sort();
    for (const key of keys) {
      const rec = this.#records.get(key)!;
      const ips = rec.addrs.map(formatAddr);
      const old = rec.pool.name;
      const release = (reason: PoolChangeReason, message: string): void => {
        released.add(rec);
        this.#records.delete(key);
        changes.push({ service: key, ips, pool: old, action: 'released', reason, message });
      };
      let target: CompiledPool | undefined;
      let why: PoolChangeReason | undefined;
      let whyIP = '';
      let buggyPool = '';
      for (let i = 0; i < rec.addrs.length; i++) {
        const addr = rec.addrs[i]!;
        const loc = this.#locateAddr(familyOf(addr), addr);
        if (loc === undefined || loc.index === undefined) {
          why =
            loc === undefined ? (next.byName.has(old) ? 'AddressRemoved' : 'PoolDeleted') : 'AvoidBuggyIPs';
          whyIP = ips[i]!;
          buggyPool = loc?.space.pool.name ?? '';
          break;
        }
        if (target !== undefined && target !== loc.space.pool) {
          why = 'AddressesSplit';
          break;
        }
        target = loc.space.pool;
      }
      if (why === 'PoolDeleted') {
        release(why, `pool "${old}" was deleted: service ${key} loses ${label(ips)}`);
      } else if (why === 'AddressRemoved') {
        release(why, `pool "${old}" no longer contains ${whyIP}: service ${key} loses ${label(ips)}`);
      } else if (why === 'AvoidBuggyIPs') {
        release(
          why,
          `pool "${buggyPool}" avoids buggy IPs (.0 and .255), such as ${whyIP}: service ${key} loses ${label(ips)}`,
        );
      } else if (why === 'AddressesSplit') {
        release(why, `the addresses ${label(ips)} of service ${key} are no longer in one pool`);
      } else {
        const pool = target!;
        const excl = poolExcludes(pool, rec.namespace, rec.labels, rec.namespaceLabels);
        if (excl !== undefined) {
          release(
            'ServiceNoLongerMatches',
            `pool "${pool.name}" no longer admits service ${key} (${excl === 'namespace' ? 'namespace' : 'service selectors'}): it loses ${label(ips)}`,
          );
        } else if (pool.name !== old) {
          rec.pool = pool;
          changes.push({
            service: key,
            ips,
            pool: old,
            action: 'repooled',
            reason: 'PoolChanged',
            newPool: pool.name,
            message: `the addresses ${label(ips)} of service ${key} now belong to pool "${pool.name}" (was "${old}")`,
          });
        } else {
          rec.pool = pool;
        }
      }
    }
    // Rebuild the per-space state (in-use runs, sharing groups) on the new pools.
    for (const map of [this.#v4, this.#v6] as Map<Key, Holders>[]) {
      for (const [addr, h] of map) {
        const kept = holderList(h).filter((r) => !released.has(r));
        if (kept.length === 0) {
          map.delete(addr);
          continue;
        }
        if (kept.length === 1) map.set(addr, kept[0]!);
        else if (kept.length !== holderList(h).length) map.set(addr, kept);
        const space = spaceFor(kept[0]!.pool, addr);
        const index = space.toIndex(addr)!;
        space.occupy(index);
        indexShared(space, index, kept);
      }
    }
    return { ok: true, changes };
  }

  // ---- services -------------------------------------------------------------------------------

  /**
   * Converges the Service, as MetalLB's controller does on every update: it keeps what it holds when
   * that is still allowed and still what it asks for; otherwise it releases that and allocates per
   * its request (`loadBalancerIPs` / `spec.loadBalancerIP`, `address-pool`), or else from the best
   * pool: `serviceAllocation` pools that admit it by priority, then the other `autoAssign` pools by
   * name, lowest free (or shareable) address first.
   */
  assign(svc: AllocatorService): AssignResult {
    const key = serviceKey(svc);
    const req = readRequest(svc);
    const requested = req.ok ? req.ips : [];
    const families = serviceFamilies(svc, requested);
    const policy: IPFamilyPolicy = svc.spec.ipFamilyPolicy ?? 'SingleStack';
    const claim = this.#claim(svc, key);
    const before = this.#records.get(key);
    const beforeIPs = before === undefined ? EMPTY : this.#texts(before);
    const released: string[] = [];
    let rec = before;
    const drop = (): void => {
      if (rec === undefined) return;
      released.push(...this.#texts(rec));
      this.#unassign(rec);
      rec = undefined;
    };
    const fail = (reason: Refusal): AssignResult =>
      rec === undefined
        ? { ok: false, reason, released }
        : { ok: false, reason, released, held: this.#assignment(rec) };
    const done = (r: ServiceRecord, warning?: Refusal): AssignResult => {
      const ips = this.#texts(r);
      const pool = r.pool.name;
      const changed = before === undefined || pool !== before.pool.name || !sameSet(ips, beforeIPs);
      // `released` lists only what is really gone (a drop followed by re-allocating the same is no loss).
      const gone = released.length === 0 ? released : released.filter((ip) => !ips.includes(ip));
      return warning === undefined
        ? { ok: true, service: key, ips, pool, changed, released: gone }
        : { ok: true, service: key, ips, pool, changed, released: gone, warning };
    };

    if (policy === 'RequireDualStack' && families.length < 2) {
      drop();
      return fail({
        code: 'DualStackRequired',
        service: key,
        message: `service ${key} requires dual-stack (ipFamilyPolicy RequireDualStack) but has only ${families.join(', ')} in ipFamilies`,
      });
    }

    if (rec !== undefined) {
      const held = rec.addrs.map(familyOf);
      if (familyChanged(held, families, policy)) {
        drop();
      } else {
        const pool = rec.pool;
        const locs = rec.addrs.map((addr) => ({ space: spaceFor(pool, addr), addr }));
        const check = this.#check(claim, locs, rec.addrs.map(formatAddr));
        if (check.ok) {
          rec = this.#commit(claim, check.pool, locs, rec);
        } else {
          drop();
        }
      }
      if (rec !== undefined && req.pool !== '' && rec.pool.name !== req.pool) drop();
      if (!req.ok) return fail(requestRefusal(key, req));
      if (
        rec !== undefined &&
        requested.length > 0 &&
        !sameSet(
          requested.map((a) => keyText(a.value)),
          this.#texts(rec),
        )
      )
        drop();
      if (rec !== undefined) {
        // A Service that names its addresses gets exactly those: no second family is added.
        const addable = requested.length === 0 && rec.addrs.length === 1 && families.length === 2;
        if (addable && policy === 'PreferDualStack') {
          const extra = this.#addFamily(claim, rec, families);
          return extra.ok ? done(extra.rec) : done(rec, extra.reason);
        }
        return done(rec);
      }
    }
    if (!req.ok) return fail(requestRefusal(key, req));

    // Specific addresses.
    if (requested.length > 0) {
      const texts = requested.map((a) => keyText(a.value));
      const reqFamilies = requested.map((ip) => ip.family);
      const fits =
        families.length === 2
          ? requested.length === 2
          : requested.length === 1 && reqFamilies[0] === families[0];
      if (!fits) {
        return fail({
          code: 'FamilyMismatch',
          service: key,
          ips: texts,
          families,
          message: `requested loadBalancer IP(s) ${label(texts)} do not match the IP families (${families.join(', ')}) of service ${key}`,
        });
      }
      const locs = this.#locateAll(key, requested, texts);
      if (!Array.isArray(locs)) return fail(locs);
      const check = this.#check(claim, locs, texts);
      if (!check.ok) return fail(check.reason);
      if (req.pool !== '' && check.pool.name !== req.pool) {
        return fail({
          code: 'IPPoolMismatch',
          service: key,
          ip: texts[0]!,
          pool: check.pool.name,
          requestedPool: req.pool,
          message: `requested loadBalancer IP(s) ${label(texts)} of service ${key} are in pool "${check.pool.name}", not in the requested pool "${req.pool}"`,
        });
      }
      return done(this.#commit(claim, check.pool, locs, undefined));
    }

    // A named pool.
    if (req.pool !== '') {
      const pool = this.#pools.byName.get(req.pool);
      if (pool === undefined) {
        return fail({
          code: 'PoolNotFound',
          service: key,
          pool: req.pool,
          message: `service ${key} requests pool "${req.pool}", which does not exist`,
        });
      }
      const excl = poolExcludes(pool, claim.namespace, claim.labels, claim.namespaceLabels);
      if (excl !== undefined) return fail(notCompatibleRefusal(key, pool.name, excl));
      const pick = this.#pickInPool(pool, claim, families, policy);
      if (pick.kind === 'ok') return done(this.#commit(claim, pool, pick.locs, undefined));
      return fail(this.#poolRefusal(key, [pool], families, policy, pick.kind === 'exhausted'));
    }

    // The best pool.
    const pinned: CompiledPool[] = [];
    const plain: CompiledPool[] = [];
    for (const p of this.#pools.ordered) {
      if (!p.autoAssign) continue;
      if (p.serviceAllocation === undefined) plain.push(p);
      else if (poolExcludes(p, claim.namespace, claim.labels, claim.namespaceLabels) === undefined)
        pinned.push(p);
    }
    for (const list of [pinned, plain]) {
      const best = this.#bestPool(list, claim, families, policy);
      if (best !== undefined) return done(this.#commit(claim, best.pool, best.locs, undefined));
    }
    return fail(this.#autoRefusal(key, claim, families, policy));
  }

  /** Forgets the Service's addresses (Service deleted, or no longer ours). */
  release(service: string): Assignment | undefined {
    const rec = this.#records.get(service);
    if (rec === undefined) return undefined;
    const a = this.#assignment(rec);
    this.#unassign(rec);
    return a;
  }

  /**
   * Re-reads an assignment from the Service's status (`status.loadBalancer.ingress[].ip`) after a
   * restart. Succeeds when the addresses are in one pool that admits the Service, fit its families and
   * do not clash with what was restored before (a clash names the holder). Does not look at the
   * Service's requests: call `assign` next, which keeps a restored assignment that still matches them.
   * An empty list restores nothing.
   */
  restore(svc: AllocatorService, ips: readonly string[]): RestoreResult {
    const key = serviceKey(svc);
    if (ips.length === 0) return { ok: true, service: key, ips: [], pool: '' };
    const parsed: KeyedAddress[] = [];
    for (const text of ips) {
      const ip = readAddress(text.trim());
      if (ip === undefined) {
        return {
          ok: false,
          reason: {
            code: 'InvalidIP',
            service: key,
            ip: text,
            message: `status of service ${key} lists "${text}", not an IP address`,
          },
        };
      }
      parsed.push(ip);
    }
    const texts = parsed.map((a) => keyText(a.value));
    const families = serviceFamilies(svc, parsed);
    const held = parsed.map((p) => p.family);
    const policy = svc.spec.ipFamilyPolicy ?? 'SingleStack';
    if (
      parsed.length > 2 ||
      (parsed.length === 2 && held[0] === held[1]) ||
      familyChanged(held, families, policy)
    ) {
      return {
        ok: false,
        reason: {
          code: 'FamilyMismatch',
          service: key,
          ips: texts,
          families,
          message: `addresses ${label(texts)} in the status of service ${key} do not fit its IP families (${families.join(', ')})`,
        },
      };
    }
    const locs = this.#locateAll(key, parsed, texts);
    if (!Array.isArray(locs)) return { ok: false, reason: locs };
    const claim = this.#claim(svc, key);
    const check = this.#check(claim, locs, texts);
    if (!check.ok) return { ok: false, reason: check.reason };
    const rec = this.#commit(claim, check.pool, locs, this.#records.get(key));
    return { ok: true, ...this.#assignment(rec) };
  }

  // ---- queries --------------------------------------------------------------------------------

  /** Who holds an address (undefined when nobody does, or it is not an address). */
  lookup(ip: string): AddressOwners | undefined {
    const a = readAddress(ip.trim());
    if (a === undefined) return undefined;
    const holders = holderList(a.family === 'IPv4' ? this.#v4.get(a.value) : this.#v6.get(a.value));
    if (holders.length === 0) return undefined;
    return {
      ip: keyText(a.value),
      pool: holders[0]!.pool.name,
      sharingKey: holders[0]!.sharingKey,
      services: [...holders].sort(byKey).map((h) => ({ service: h.key, ports: h.ports })),
    };
  }

  /** The Service's addresses and pool, if it holds any. */
  assignmentOf(service: string): Assignment | undefined {
    const rec = this.#records.get(service);
    return rec === undefined ? undefined : this.#assignment(rec);
  }

  /** Every assignment, by Service key. */
  assignments(): Assignment[] {
    return [...this.#records.keys()].sort().map((k) => this.#assignment(this.#records.get(k)!));
  }

  /** Number of Services holding addresses. */
  get serviceCount(): number {
    return this.#records.size;
  }

  poolNames(): string[] {
    return [...this.#pools.byName.keys()].sort();
  }

  /** Exact counts for a pool, or undefined when there is no such pool. */
  poolStats(name: string): PoolStats | undefined {
    const p = this.#pools.byName.get(name);
    if (p === undefined) return undefined;
    const a4 = p.v4?.used.size ?? 0;
    const a6 = p.v6?.used.size ?? 0;
    const c4 = p.v4?.capacity ?? 0;
    const c6 = p.v6?.capacity ?? 0n;
    return {
      pool: name,
      assignedIPv4: a4,
      assignedIPv6: a6,
      availableIPv4: c4 - a4,
      availableIPv6: c6 - BigInt(a6),
      capacityIPv4: c4,
      capacityIPv6: c6,
    };
  }

  /**
   * `IPAddressPool.status` for a pool. JSON numbers are exact only up to 2^53 - 1, so
   * `availableIPv6` saturates at `Number.MAX_SAFE_INTEGER` (MetalLB saturates at 2^63 - 1 for
   * pools of 2^62 addresses or more); `poolStats` has the exact bigint.
   */
  poolStatus(name: string): IPAddressPoolStatus | undefined {
    const s = this.poolStats(name);
    if (s === undefined) return undefined;
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    return {
      assignedIPv4: s.assignedIPv4,
      assignedIPv6: s.assignedIPv6,
      availableIPv4: s.availableIPv4,
      availableIPv6: Number(s.availableIPv6 > max ? max : s.availableIPv6),
    };
  }

  // ---- internals ------------------------------------------------------------------------------

  #locateAddr(family: Family, addr: Key): { space: Space<Key>; index: Key | undefined } | undefined {
    return family === 'IPv4'
      ? locate(this.#pools.v4Index, addr as number)
      : locate(this.#pools.v6Index, addr as bigint);
  }

  #claim(svc: AllocatorService, key: string): Claim {
    return {
      key,
      ports: this.#ports(svc),
      sharingKey: sharingKey(svc),
      backendKey: backendKey(svc),
      namespace: svc.namespace,
      labels: svc.labels,
      namespaceLabels: svc.namespaceLabels,
    };
  }

  /** Each address's pool space, or why one has none. */
  #locateAll(service: string, ips: readonly KeyedAddress[], texts: readonly string[]): Located[] | Refusal {
    const locs: Located[] = [];
    for (let i = 0; i < ips.length; i++) {
      const ip = ips[i]!;
      const loc = this.#locateAddr(ip.family, ip.value);
      if (loc === undefined || loc.index === undefined) return outsideRefusal(service, texts[i]!, loc?.space);
      locs.push({ space: loc.space, addr: ip.value });
    }
    return locs;
  }

  #map(family: Family): Map<Key, Holders> {
    return (family === 'IPv4' ? this.#v4 : this.#v6) as Map<Key, Holders>;
  }

  #texts(rec: ServiceRecord): string[] {
    return rec.addrs.map(formatAddr);
  }

  #ports(svc: AllocatorService): readonly string[] {
    const given = svc.spec.ports;
    if (given === undefined || given.length === 0) return portKeys(svc);
    // The key of a one-port list is its only element: no list built to look it up.
    const p0 = given[0]!;
    const k = given.length === 1 ? `${p0.protocol ?? 'TCP'}/${p0.port}` : portKeys(svc).join(',');
    const known = this.#portLists.get(k);
    if (known !== undefined) return known;
    const ports = given.length === 1 ? [k] : portKeys(svc);
    if (this.#portLists.size < MAX_INTERNED_PORT_LISTS) this.#portLists.set(k, ports);
    return ports;
  }

  #assignment(rec: ServiceRecord): Assignment {
    return { service: rec.key, ips: this.#texts(rec), pool: rec.pool.name };
  }

  /** MetalLB's Assign checks: one pool, which admits the Service, and every address shareable. */
  #check(
    claim: Claim,
    locs: readonly Located[],
    texts: readonly string[],
  ): { ok: true; pool: CompiledPool } | { ok: false; reason: Refusal } {
    const pool = locs[0]!.space.pool;
    if (locs.some((l) => l.space.pool !== pool)) {
      const pools = locs.map((l) => l.space.pool.name);
      return {
        ok: false,
        reason: {
          code: 'IPsInDifferentPools',
          service: claim.key,
          ips: texts,
          pools,
          message: `addresses ${label(texts)} for service ${claim.key} are in different pools (${pools.map((p) => `"${p}"`).join(', ')})`,
        },
      };
    }
    const excl = poolExcludes(pool, claim.namespace, claim.labels, claim.namespaceLabels);
    if (excl !== undefined) return { ok: false, reason: notCompatibleRefusal(claim.key, pool.name, excl) };
    for (let i = 0; i < locs.length; i++) {
      const l = locs[i]!;
      const on = this.#map(l.space.family).get(l.addr);
      if (on === undefined) continue;
      const c = sharingConflict(on, claim);
      if (c !== undefined) return { ok: false, reason: inUseRefusal(claim, texts[i]!, pool.name, c) };
    }
    return { ok: true, pool };
  }

  /** Records the assignment (replacing `prev`, the Service's current one, if any). */
  #commit(
    claim: Claim,
    pool: CompiledPool,
    locs: readonly Located[],
    prev: ServiceRecord | undefined,
  ): ServiceRecord {
    if (prev !== undefined) this.#unassign(prev);
    // A literal with every field (not a spread) keeps the properties in-object: 24 bytes less per Service.
    const rec: ServiceRecord = {
      key: claim.key,
      ports: claim.ports,
      sharingKey: claim.sharingKey,
      backendKey: claim.backendKey,
      namespace: claim.namespace,
      labels: claim.labels,
      namespaceLabels: claim.namespaceLabels,
      pool,
      addrs: locs.map((l) => l.addr),
    };
    for (const l of locs) {
      const map = this.#map(l.space.family);
      const on = map.get(l.addr);
      const index = l.space.toIndex(l.addr)!;
      if (on === undefined) {
        map.set(l.addr, rec);
        l.space.occupy(index);
        indexShared(l.space, index, [rec]);
        continue;
      }
      const before = holderList(on);
      const after = [...before, rec];
      map.set(l.addr, after);
      unindexShared(l.space, index, before);
      indexShared(l.space, index, after);
    }
    this.#records.set(claim.key, rec);
    return rec;
  }

  #unassign(rec: ServiceRecord): void {
    if (this.#records.get(rec.key) === rec) this.#records.delete(rec.key);
    for (const addr of rec.addrs) {
      const map = this.#map(familyOf(addr));
      const before = holderList(map.get(addr));
      if (!before.includes(rec)) continue;
      const space = spaceFor(rec.pool, addr);
      const index = space.toIndex(addr)!;
      unindexShared(space, index, before);
      const after = before.filter((h) => h !== rec);
      if (after.length === 0) {
        map.delete(addr);
        space.vacate(index);
      } else {
        map.set(addr, after.length === 1 ? after[0]! : after);
        indexShared(space, index, after);
      }
    }
  }

  /**
   * The lowest index in `space` that `claim` may take: free, or shared with its key and no port
   * clash. One look per distinct port set in its sharing group. The claiming Service must hold no
   * address in this space (true for every caller: fresh allocations and the second family).
   */
  #candidate(s: Space<Key>, claim: Claim): Key | undefined {
    let best = s.firstFree();
    if (claim.sharingKey === '') return best;
    const group = s.shared.get(`${claim.sharingKey}\0${claim.backendKey}`);
    if (group === undefined) return best;
    for (const bucket of group.values()) {
      if (bucket.ports.some((p) => claim.ports.includes(p))) continue;
      const first = bucket.members.first()!.key;
      if (best === undefined || first < best) best = first;
    }
    return best;
  }

  /** MetalLB's getFreeIPsFromPool + selectIPsForFamilyAndPolicy for one pool. */
  #pickInPool(
    pool: CompiledPool,
    claim: Claim,
    families: readonly Family[],
    policy: IPFamilyPolicy,
  ): { kind: 'ok'; locs: Located[] } | { kind: 'exhausted' } | { kind: 'family' } {
    const found = families.map((f) => this.#pickInSpace(spaceOf(pool, f), claim));
    if (found.every((x) => x !== undefined)) return { kind: 'ok', locs: found as Located[] };
    const anyFamily = families.length === 2 && policy === 'PreferDualStack';
    if (anyFamily) {
      const one = found.find((x) => x !== undefined); // the primary family first
      if (one !== undefined) return { kind: 'ok', locs: [one] };
    }
    const hasSpace = families.map((f) => spaceOf(pool, f) !== undefined);
    const familyMissing = anyFamily ? !hasSpace.some(Boolean) : !hasSpace.every(Boolean);
    return familyMissing ? { kind: 'family' } : { kind: 'exhausted' };
  }

  #pickInSpace(space: Space<Key> | undefined, claim: Claim): Located | undefined {
    if (space === undefined) return undefined;
    const idx = this.#candidate(space, claim);
    return idx === undefined ? undefined : { space, addr: space.toAddress(idx) };
  }

  /** MetalLB's findBestPoolForService over `pools` in order. */
  #bestPool(
    pools: readonly CompiledPool[],
    claim: Claim,
    families: readonly Family[],
    policy: IPFamilyPolicy,
  ): { pool: CompiledPool; locs: Located[] } | undefined {
    if (families.length === 1) {
      const f = families[0]!;
      for (const pool of pools) {
        const loc = this.#pickInSpace(spaceOf(pool, f), claim);
        if (loc !== undefined) return { pool, locs: [loc] };
      }
      return undefined;
    }
    let primary: { pool: CompiledPool; locs: Located[] } | undefined;
    let secondary: { pool: CompiledPool; locs: Located[] } | undefined;
    for (const pool of pools) {
      const a = this.#pickInSpace(spaceOf(pool, families[0]!), claim);
      const b = this.#pickInSpace(spaceOf(pool, families[1]!), claim);
      if (a !== undefined && b !== undefined) return { pool, locs: [a, b] };
      if (policy !== 'PreferDualStack') continue;
      if (a !== undefined && primary === undefined) primary = { pool, locs: [a] };
      if (b !== undefined && secondary === undefined) secondary = { pool, locs: [b] };
    }
    return primary ?? secondary;
  }

  /** PreferDualStack with one address: add the other family from the same pool, MetalLB-style. */
  #addFamily(
    claim: Claim,
    rec: ServiceRecord,
    families: readonly Family[],
  ): { ok: true; rec: ServiceRecord } | { ok: false; reason: Refusal } {
    const haveAddr = rec.addrs[0]!;
    const have = familyOf(haveAddr);
    const missing = families.find((f) => f !== have)!;
    const space = spaceOf(rec.pool, missing);
    const extra = this.#pickInSpace(space, claim);
    if (extra === undefined) {
      const exhausted = space !== undefined;
      return {
        ok: false,
        reason: this.#poolRefusal(claim.key, [rec.pool], [missing], 'SingleStack', exhausted),
      };
    }
    const mine: Located = { space: spaceFor(rec.pool, haveAddr), addr: haveAddr };
    const locs = families[0] === have ? [mine, extra] : [extra, mine];
    return { ok: true, rec: this.#commit(claim, rec.pool, locs, rec) };
  }

  #poolRefusal(
    service: string,
    pools: readonly CompiledPool[],
    families: readonly Family[],
    policy: IPFamilyPolicy,
    exhausted: boolean,
  ): Refusal {
    const names = pools.map((p) => p.name);
    const list = `pool${names.length === 1 ? '' : 's'} ${names.map((n) => `"${n}"`).join(', ')}`;
    const anyFamily = families.length === 2 && policy === 'PreferDualStack';
    const bothFamilies = families.length === 2 && !anyFamily;
    const has = (p: CompiledPool, f: Family): boolean => spaceOf(p, f) !== undefined;
    if (!exhausted) {
      // Name the family no pool has; for RequireDualStack across pools, the one the first pool lacks.
      const family =
        families.find((f) => !pools.some((p) => has(p, f))) ??
        families.find((f) => pools[0] !== undefined && !has(pools[0], f)) ??
        families[0]!;
      const what = anyFamily
        ? `no ${families.join(' or ')} addresses in ${list}`
        : bothFamilies
          ? `none of ${list} has both IPv4 and IPv6 addresses (RequireDualStack takes one of each from one pool)`
          : `no ${family} addresses in ${list}`;
      return {
        code: 'FamilyNotAvailable',
        service,
        family,
        pools: names,
        message: `${what} for service ${service}`,
      };
    }
    const family =
      families.find((f) => pools.every((p) => spaceOf(p, f)?.firstFree() === undefined)) ?? families[0]!;
    const what = anyFamily ? families.join(' or ') : bothFamilies ? `IPv4 and IPv6` : family;
    return {
      code: 'PoolExhausted',
      service,
      family,
      pools: names,
      message: `no available ${what} address in ${list} for service ${service}`,
    };
  }

  /** The most useful reason why no pool could serve the Service. */
  #autoRefusal(service: string, claim: Claim, families: readonly Family[], policy: IPFamilyPolicy): Refusal {
    const all = this.#pools.ordered;
    if (all.length === 0) {
      return { code: 'NoPools', service, message: `no IPAddressPool is configured for service ${service}` };
    }
    const skipped: { pool: string; why: 'namespace' | 'serviceSelectors' }[] = [];
    const admitting: CompiledPool[] = [];
    for (const p of all) {
      const why = poolExcludes(p, claim.namespace, claim.labels, claim.namespaceLabels);
      if (why === undefined) admitting.push(p);
      else skipped.push({ pool: p.name, why });
    }
    if (admitting.length === 0) {
      return {
        code: 'NoPoolMatches',
        service,
        skipped,
        message: `no pool admits service ${service}: ${skipped.map((s) => `"${s.pool}" (${s.why === 'namespace' ? 'namespace' : 'service selectors'})`).join(', ')}`,
      };
    }
    const eligible = admitting.filter((p) => p.autoAssign);
    if (eligible.length === 0) {
      const names = admitting.map((p) => p.name);
      return {
        code: 'AutoAssignDisabled',
        service,
        pools: names,
        message: `the pools that admit service ${service} (${names.map((n) => `"${n}"`).join(', ')}) have autoAssign disabled: request one by address or with the metallb.io/address-pool annotation`,
      };
    }
    const need =
      families.length === 2 && policy !== 'PreferDualStack'
        ? (p: CompiledPool) => families.every((f) => spaceOf(p, f) !== undefined)
        : (p: CompiledPool) => families.some((f) => spaceOf(p, f) !== undefined);
    const withFamily = eligible.filter(need);
    if (withFamily.length === 0) return this.#poolRefusal(service, eligible, families, policy, false);
    return this.#poolRefusal(service, withFamily, families, policy, true);
  }
}
