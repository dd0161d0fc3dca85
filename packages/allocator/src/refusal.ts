// Why the allocator refused something: typed, with the Service, pool and address it concerns, and a
// sentence for the Service's event.

import type { Family } from './addr.ts';

/** Why two Services may not hold the same address (MetalLB's sharingOK and port check). */
export type SharingConflict =
  /** The Service already on the address has no `allow-shared-ip` key. */
  | 'HolderDoesNotShare'
  /** The Service asking has no `allow-shared-ip` key. */
  | 'ServiceDoesNotShare'
  /** Both share, with different keys. */
  | 'SharingKeyMismatch'
  /** Same key, but not both `externalTrafficPolicy: Cluster` and not the same pod selector. */
  | 'BackendMismatch'
  /** Same key, but a port+protocol is already used on the address by another Service. */
  | 'PortConflict';

interface Base {
  /** `namespace/name` of the Service concerned. */
  readonly service: string;
  /** One sentence saying what is wrong, naming the Service, pool and address. */
  readonly message: string;
}

export type Refusal =
  | (Base & {
      readonly code: 'InvalidAnnotation' | 'InvalidLoadBalancerIP' | 'ConflictingIPRequest';
      readonly annotation?: string;
      readonly value: string;
    })
  /** `ipFamilyPolicy: RequireDualStack` with fewer than two `ipFamilies`. */
  | (Base & { readonly code: 'DualStackRequired' })
  /** Requested (or restored) addresses do not match the Service's families. */
  | (Base & {
      readonly code: 'FamilyMismatch';
      readonly ips: readonly string[];
      readonly families: readonly Family[];
    })
  /** A restored status address that is not an IP address. */
  | (Base & { readonly code: 'InvalidIP'; readonly ip: string })
  /** A requested address belongs to no pool (or is a .0/.255 of an avoidBuggyIPs pool). */
  | (Base & { readonly code: 'IPOutsidePools'; readonly ip: string })
  /** Requested addresses of a dual-stack Service lie in two different pools. */
  | (Base & {
      readonly code: 'IPsInDifferentPools';
      readonly ips: readonly string[];
      readonly pools: readonly string[];
    })
  /** The requested address is in another pool than the one the `address-pool` annotation names. */
  | (Base & {
      readonly code: 'IPPoolMismatch';
      readonly ip: string;
      readonly pool: string;
      readonly requestedPool: string;
    })
  | (Base & { readonly code: 'PoolNotFound'; readonly pool: string })
  /** The pool's `serviceAllocation` does not admit this Service. */
  | (Base & {
      readonly code: 'PoolNotCompatible';
      readonly pool: string;
      readonly why: 'namespace' | 'serviceSelectors';
    })
  /** The address is held by Services this one may not share it with. */
  | (Base & {
      readonly code: 'IPInUse';
      readonly ip: string;
      readonly pool: string;
      readonly holders: readonly string[];
      readonly conflict: SharingConflict;
      /** For PortConflict: the port, as `PROTO/port`. */
      readonly port?: string;
    })
  | (Base & { readonly code: 'NoPools' })
  /** No pool admits the Service (every pool's `serviceAllocation` excludes it). */
  | (Base & {
      readonly code: 'NoPoolMatches';
      readonly skipped: readonly { readonly pool: string; readonly why: 'namespace' | 'serviceSelectors' }[];
    })
  /** The pools that admit the Service all have `autoAssign: false`. */
  | (Base & { readonly code: 'AutoAssignDisabled'; readonly pools: readonly string[] })
  /** No eligible pool has addresses of the family (or, for RequireDualStack, of both families). */
  | (Base & {
      readonly code: 'FamilyNotAvailable';
      readonly family: Family;
      readonly pools: readonly string[];
    })
  /** Eligible pools have the family but no free (or shareable) address left. */
  | (Base & { readonly code: 'PoolExhausted'; readonly family: Family; readonly pools: readonly string[] });

export type RefusalCode = Refusal['code'];
