// The routes a session holds from its peer, as keys per family (prefix, or prefix#pathId with
// ADD-PATH): enough to count them (prefix limit, RFC 4486) and to purge what an Enhanced Route
// Refresh did not re-advertise (RFC 7313 §4.2). Reports route-received / route-withdrawn events.
import { familyKey, type NextHop, type PathAttributes } from '../model.ts';
import type { PrefixList } from '../prefix.ts';
import type { SessionEvent } from './types.ts';

/** Received-route bookkeeping for one family. */
interface ReceivedFamily {
  readonly keys: Set<string>;
  /** Keys not re-advertised since the peer's BoRR (until its EoRR). */
  stale: Set<string> | undefined;
}

export class ReceivedRoutes {
  readonly #families = new Map<string, ReceivedFamily>();
  readonly #emit: (e: SessionEvent) => void;
  #count = 0;

  constructor(emit: (e: SessionEvent) => void) {
    this.#emit = emit;
  }

  /** Routes held, all families. */
  get count(): number {
    return this.#count;
  }

  /** Routes held of a family ("afi/safi"). */
  familyCount(key: string): number {
    return this.#families.get(key)?.keys.size ?? 0;
  }

  /** The session went down: nothing is held. */
  clear(): void {
    this.#families.clear();
    this.#count = 0;
  }

  #family(afi: number, safi: number): ReceivedFamily {
    const key = familyKey(afi, safi);
    let rf = this.#families.get(key);
    if (rf === undefined) {
      rf = { keys: new Set(), stale: undefined };
      this.#families.set(key, rf);
    }
    return rf;
  }

  withdrawn(list: PrefixList, safi: number, cause: 'withdrawn' | 'treat-as-withdraw' | 'as-loop'): void {
    if (list.count === 0) return;
    const rf = this.#family(list.afi, safi);
    const prefixes = list.toArray();
    const pathIds = list.pathIds === null ? undefined : Array.from(list.pathIds);
    for (let i = 0; i < prefixes.length; i++) {
      const key = pathIds === undefined ? (prefixes[i] ?? '') : `${prefixes[i]}#${pathIds[i]}`;
      if (rf.keys.delete(key)) this.#count--;
      rf.stale?.delete(key);
    }
    this.#emit({ type: 'route-withdrawn', afi: list.afi, safi, prefixes, pathIds, cause });
  }

  learned(list: PrefixList, safi: number, nextHop: NextHop | undefined, attributes: PathAttributes): void {
    if (list.count === 0) return;
    const rf = this.#family(list.afi, safi);
    const prefixes = list.toArray();
    const pathIds = list.pathIds === null ? undefined : Array.from(list.pathIds);
    for (let i = 0; i < prefixes.length; i++) {
      const key = pathIds === undefined ? (prefixes[i] ?? '') : `${prefixes[i]}#${pathIds[i]}`;
      if (!rf.keys.has(key)) {
        rf.keys.add(key);
        this.#count++;
      }
      rf.stale?.delete(key);
    }
    this.#emit({ type: 'route-received', afi: list.afi, safi, prefixes, pathIds, nextHop, attributes });
  }

  /** The peer's BoRR (RFC 7313 §4): everything held of the family is stale until re-advertised. */
  beginRefresh(afi: number, safi: number): void {
    const rf = this.#family(afi, safi);
    rf.stale = new Set(rf.keys);
  }

  /** The peer's EoRR: what was not re-advertised since its BoRR is withdrawn (cause 'stale'). */
  endRefresh(afi: number, safi: number): void {
    const rf = this.#family(afi, safi);
    const stale = rf.stale;
    rf.stale = undefined;
    if (stale === undefined || stale.size === 0) return;
    const prefixes: string[] = [];
    const pathIds: number[] = [];
    let withIds = false;
    for (const key of stale) {
      rf.keys.delete(key);
      this.#count--;
      const hash = key.indexOf('#');
      if (hash >= 0) {
        withIds = true;
        prefixes.push(key.slice(0, hash));
        pathIds.push(Number(key.slice(hash + 1)));
      } else {
        prefixes.push(key);
      }
    }
    this.#emit({
      type: 'route-withdrawn',
      afi,
      safi,
      prefixes,
      pathIds: withIds ? pathIds : undefined,
      cause: 'stale',
    });
  }
}
