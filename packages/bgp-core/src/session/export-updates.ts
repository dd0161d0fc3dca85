// From the Adj-RIB-Out's changes to UPDATE messages for one peer: the attributes as exported to it
// (next hop, AS_PATH, LOCAL_PREF by session type; cached per attribute set and family), packed with
// the prefixes into as few UPDATEs as fit its message size.
import { packUpdates } from '../codec/pack.ts';
import type { CodecOptions, PathAttributes } from '../model.ts';
import { PrefixList } from '../prefix.ts';
import type { RibChanges } from '../rib/adj-rib-out.ts';
import type { AttributeSet } from '../rib/attributes.ts';
import {
  type ExportContext,
  type ExportedAttributes,
  exportAttributes,
  ipv4Of,
  isLinkLocal,
  plainAddress,
} from '../rib/export.ts';
import type { ResolvedSessionConfig } from './config.ts';
import type { Negotiated } from './negotiate.ts';

/** Path identifier used for our routes when ADD-PATH send is negotiated (one path per prefix). */
export const LOCAL_PATH_ID = 1;

const EMPTY_ATTRIBUTES: PathAttributes = {};

/** How routes are exported over a connection from `localAddress` with what its OPENs agreed. */
export function exportContext(
  config: ResolvedSessionConfig,
  localAddress: string,
  n: Negotiated,
): ExportContext {
  const local = plainAddress(localAddress);
  const cfg = config.nextHop;
  const ipv4NextHop = plainAddress(cfg.ipv4) ?? ipv4Of(local);
  let ipv6NextHop = plainAddress(cfg.ipv6);
  if (ipv6NextHop === undefined && local !== undefined) {
    ipv6NextHop = ipv4Of(local) !== undefined ? `::ffff:${ipv4Of(local)}` : local;
  }
  let ipv6LinkLocal = plainAddress(cfg.ipv6LinkLocal);
  if (ipv6LinkLocal === undefined && local !== undefined && isLinkLocal(local)) ipv6LinkLocal = local;
  return {
    localAs: config.localAs,
    internal: n.internal,
    ipv4NextHop,
    ipv6NextHop,
    ipv6LinkLocal,
    ipv4ExtendedNextHop: n.extendedNextHop.includes('ipv4-unicast'),
  };
}

/**
 * The attribute set as exported for `afi`, or why it cannot be; cached on the set (the cache is
 * cleared when the session goes down, see AdjRibOut.resetSent).
 */
export function exportedAttributes(
  set: AttributeSet,
  afi: 1 | 2,
  ctx: ExportContext,
): ExportedAttributes | string {
  let cache = set.exported as
    | { 1?: ExportedAttributes | string; 2?: ExportedAttributes | string }
    | undefined;
  if (cache === undefined) {
    cache = {};
    set.exported = cache;
  }
  let e = cache[afi];
  if (e === undefined) {
    const r = exportAttributes(set.attributes, afi, ctx);
    e = r.ok ? r.value : r.reason;
    cache[afi] = e;
  }
  return e;
}

function prefixList(afi: 1 | 2, prefixes: readonly string[], addPath: boolean): PrefixList {
  return PrefixList.fromStrings(
    afi,
    prefixes,
    addPath ? new Array<number>(prefixes.length).fill(LOCAL_PATH_ID) : undefined,
  );
}

/**
 * UPDATEs for one family's changes: each attribute group's announcements (the withdrawals ride in
 * the first), then any withdrawals left. Groups whose attributes cannot be exported or encoded for
 * this peer are returned in `failed` (nothing of them was sent).
 */
export function changesToUpdates(
  changes: RibChanges,
  afi: 1 | 2,
  addPath: boolean,
  codec: CodecOptions,
  exported: (set: AttributeSet) => ExportedAttributes | string,
): { updates: Uint8Array[]; failed: { prefixes: string[]; reason: string }[] } {
  let withdraw = prefixList(afi, changes.withdraw, addPath);
  const updates: Uint8Array[] = [];
  const failed: { prefixes: string[]; reason: string }[] = [];
  for (const group of changes.announce) {
    const e = exported(group.attributes);
    if (typeof e === 'string') {
      failed.push({ prefixes: group.prefixes, reason: e });
      continue;
    }
    const announce = prefixList(afi, group.prefixes, addPath);
    let packed: Uint8Array[];
    try {
      packed = packUpdates(
        { afi, safi: 1, attributes: e.attributes, mpNextHop: e.mpNextHop, announce, withdraw },
        codec,
      );
    } catch (err) {
      // The attributes cannot be encoded for this peer (for example too large for its message
      // size): report them and keep going; nothing of this group was sent.
      failed.push({ prefixes: group.prefixes, reason: err instanceof Error ? err.message : String(err) });
      continue;
    }
    for (const u of packed) updates.push(u);
    withdraw = PrefixList.empty(afi);
  }
  if (withdraw.count > 0) {
    for (const u of packUpdates(
      { afi, safi: 1, attributes: EMPTY_ATTRIBUTES, announce: PrefixList.empty(afi), withdraw },
      codec,
    )) {
      updates.push(u);
    }
  }
  return { updates, failed };
}
