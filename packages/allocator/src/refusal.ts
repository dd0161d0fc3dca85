// Why the allocator refused something: typed, with the Service, pool and address it concerns, and a
// sentence for the Service's event.

import type { Family } from './addr.ts';
import type { Space } from './pool.ts';
import type { readRequest } from './service.ts';
import type { Claim, Key } from './sharing.ts';

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

// ---- the sentences of the common refusals ------------------------------------------------------

/** Addresses in a sentence: "a" or "a", "b". */
export function label(ips: readonly string[]): string {
  return ips.length === 1 ? `"${ips[0]}"` : ips.map((i) => `"${i}"`).join(', ');
}

export function inUseRefusal(
  claim: Claim,
  ip: string,
  pool: string,
  c: { conflict: SharingConflict; holders: string[]; port?: string },
): Refusal {
  const who = c.holders.join(', ');
  const why = {
    HolderDoesNotShare: `held by ${who}, which does not allow sharing`,
    ServiceDoesNotShare: `held by ${who}, and service ${claim.key} does not allow sharing (no allow-shared-ip)`,
    SharingKeyMismatch: `held by ${who} with a different allow-shared-ip key than "${claim.sharingKey}"`,
    BackendMismatch: `held by ${who}: sharing needs both services on externalTrafficPolicy Cluster, or the same pod selector`,
    PortConflict: `port ${c.port} is already used on it by ${who}`,
  }[c.conflict];
  const base = {
    code: 'IPInUse' as const,
    service: claim.key,
    ip,
    pool,
    holders: c.holders,
    conflict: c.conflict,
    message: `address ${ip} (pool "${pool}") can not be given to service ${claim.key}: ${why}`,
  };
  return c.port === undefined ? base : { ...base, port: c.port };
}

export function notCompatibleRefusal(
  service: string,
  pool: string,
  why: 'namespace' | 'serviceSelectors',
): Refusal {
  const what = why === 'namespace' ? 'namespace' : 'labels';
  return {
    code: 'PoolNotCompatible',
    service,
    pool,
    why,
    message: `pool "${pool}" does not admit service ${service}: its serviceAllocation excludes the service's ${what}`,
  };
}

export function outsideRefusal(service: string, ip: string, space: Space<Key> | undefined): Refusal {
  return {
    code: 'IPOutsidePools',
    service,
    ip,
    message:
      space === undefined
        ? `address ${ip} requested by service ${service} is not in any pool`
        : `address ${ip} requested by service ${service} ends in .0 or .255, which pool "${space.pool.name}" avoids (avoidBuggyIPs)`,
  };
}

export function requestRefusal(
  service: string,
  req: Extract<ReturnType<typeof readRequest>, { ok: false }>,
): Refusal {
  const base = {
    code: req.problem,
    service,
    value: req.value,
    message: `service ${service}: ${req.message}`,
  };
  return req.annotation === undefined ? base : { ...base, annotation: req.annotation };
}
