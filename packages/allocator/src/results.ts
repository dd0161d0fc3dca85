// What the allocator answers: assignments, the results of assign / restore / setPools, and the
// per-address and per-pool views.
import type { PoolConfigError } from './pool.ts';
import type { Refusal } from './refusal.ts';

export interface Assignment {
  /** `namespace/name`. */
  readonly service: string;
  /** Canonical addresses, in the order the Service's status should list them. */
  readonly ips: readonly string[];
  /** The pool (for the `metallb.io/ip-allocated-from-pool` annotation). */
  readonly pool: string;
}

export type AssignResult =
  | (Assignment & {
      readonly ok: true;
      /** True when the addresses or the pool differ from what the Service held before this call. */
      readonly changed: boolean;
      /** Addresses the Service held before this call and no longer holds. */
      readonly released: readonly string[];
      /** PreferDualStack: why the second family could not be added (the Service keeps one address). */
      readonly warning?: Refusal;
    })
  | {
      readonly ok: false;
      readonly reason: Refusal;
      /** Addresses the Service held before this call and no longer holds. */
      readonly released: readonly string[];
      /** What the Service still holds (a bad annotation does not take a working address away), if anything. */
      readonly held?: Assignment;
    };

export type RestoreResult =
  | (Assignment & { readonly ok: true })
  | { readonly ok: false; readonly reason: Refusal };

export type PoolChangeReason =
  /** The Service's pool is gone and no other pool holds its addresses. */
  | 'PoolDeleted'
  /** The pool no longer contains the address. */
  | 'AddressRemoved'
  /** The pool now has avoidBuggyIPs and the address ends in .0 or .255. */
  | 'AvoidBuggyIPs'
  /** The addresses of a dual-stack Service are no longer in one pool. */
  | 'AddressesSplit'
  /** The pool's serviceAllocation no longer admits the Service. */
  | 'ServiceNoLongerMatches'
  /** The addresses stay, but now belong to another pool (renamed or re-cut pools). */
  | 'PoolChanged';

export interface PoolChange {
  readonly service: string;
  readonly ips: readonly string[];
  /** The pool the Service held its addresses from. */
  readonly pool: string;
  /** `released`: the Service lost its addresses and must be assigned again; `repooled`: it keeps them. */
  readonly action: 'released' | 'repooled';
  readonly reason: PoolChangeReason;
  /** For `repooled`: the pool that holds the addresses now. */
  readonly newPool?: string;
  readonly message: string;
}

export type SetPoolsResult =
  | { readonly ok: true; readonly changes: readonly PoolChange[] }
  | { readonly ok: false; readonly errors: readonly PoolConfigError[] };

export interface AddressOwners {
  readonly ip: string;
  readonly pool: string;
  /** The sharing key of the Services on the address ('' when not shared). */
  readonly sharingKey: string;
  readonly services: readonly { readonly service: string; readonly ports: readonly string[] }[];
}

export interface PoolStats {
  readonly pool: string;
  /** Distinct addresses in use (a shared address counts once), as MetalLB counts. */
  readonly assignedIPv4: number;
  readonly assignedIPv6: number;
  /** Usable addresses (avoidBuggyIPs excluded) not in use. */
  readonly availableIPv4: number;
  /** Exact, as a bigint: an IPv6 pool can hold 2^128 addresses. */
  readonly availableIPv6: bigint;
  readonly capacityIPv4: number;
  readonly capacityIPv6: bigint;
}
