// Adj-RIB-Out (RFC 4271 §3.2, §9.2): the routes the caller wants advertised to one peer, what the peer
// has been sent, and the difference between the two. Pure data: the session turns changes into UPDATEs.
//
// One Map entry per prefix points at a small slot holding both the desired and the sent attribute set
// (interned: routes with equal attributes share one object). Changed slots are queued on a dirty list,
// so a flush costs in proportion to the change, not to the table; `setRoutes` finds the routes that
// left with a generation mark instead of a second map.

import { type AttributeSet, AttributeTable, type RouteAttributes } from './attributes.ts';

class RouteSlot {
  /** What the caller wants advertised (undefined: withdraw). */
  desired: AttributeSet | undefined = undefined;
  /** What the peer was last sent (undefined: not advertised). */
  sent: AttributeSet | undefined = undefined;
  /** Generation of the last `setRoutes` that named this prefix. */
  mark = 0;
  /** Queued on the dirty list. */
  dirty = false;
  /** Announce again even if the peer holds the desired state (a route refresh). */
  resend = false;
  readonly prefix: string;
  constructor(prefix: string) {
    this.prefix = prefix;
  }
}

/** A group of prefixes that share one attribute set. */
export interface AnnounceGroup {
  readonly attributes: AttributeSet;
  readonly prefixes: string[];
}

/** What has to go on the wire for one family to bring the peer to the desired state. */
export interface RibChanges {
  readonly withdraw: string[];
  readonly announce: AnnounceGroup[];
}

class FamilyTable {
  readonly routes = new Map<string, RouteSlot>();
  dirty: RouteSlot[] = [];
  /** Slots before this index of `dirty` were taken already (a partial `takeChanges`). */
  dirtyHead = 0;
  generation = 0;
  /** Prefixes the peer currently holds from us. */
  sentCount = 0;
  /** Prefixes the caller wants advertised. */
  desiredCount = 0;
}

/** Turns a caller's prefix text into the canonical key (throws on invalid input). */
export type PrefixNormalizer = (prefix: string) => string;

const identity: PrefixNormalizer = (p) => p;

/**
 * Desired and sent routes per family, keyed by canonical prefix strings. The family key is opaque here
 * (the session uses the AFI number). Prefixes go through `normalize` (default: taken as they are).
 */
export class AdjRibOut<F extends string | number = number> {
  readonly #attributes = new AttributeTable();
  readonly #families = new Map<F, FamilyTable>();

  #table(family: F): FamilyTable {
    let t = this.#families.get(family);
    if (t === undefined) {
      t = new FamilyTable();
      this.#families.set(family, t);
    }
    return t;
  }

  #setDesired(t: FamilyTable, slot: RouteSlot, set: AttributeSet | undefined): void {
    if (slot.desired === set) return;
    if (set !== undefined) {
      this.#attributes.retain(set);
      if (slot.desired === undefined) t.desiredCount++;
    } else {
      t.desiredCount--;
    }
    if (slot.desired !== undefined) this.#attributes.release(slot.desired);
    slot.desired = set;
    if (!slot.dirty) {
      slot.dirty = true;
      t.dirty.push(slot);
    }
  }

  #slot(t: FamilyTable, prefix: string): RouteSlot {
    let slot = t.routes.get(prefix);
    if (slot === undefined) {
      slot = new RouteSlot(prefix);
      t.routes.set(prefix, slot);
    }
    return slot;
  }

  /**
   * Intern attributes, reusing the result for the same object within one call; `done` drops sets
   * interned by the call that no route ended up using.
   */
  #interner(): { intern: (attrs: RouteAttributes) => AttributeSet; done: () => void } {
    let lastIn: RouteAttributes | undefined;
    let lastOut: AttributeSet | undefined;
    const seen = new Map<RouteAttributes, AttributeSet>();
    return {
      intern: (attrs) => {
        if (attrs === lastIn && lastOut !== undefined) return lastOut;
        let set = seen.get(attrs);
        if (set === undefined) {
          set = this.#attributes.intern(attrs);
          seen.set(attrs, set);
        }
        lastIn = attrs;
        lastOut = set;
        return set;
      },
      done: () => {
        for (const set of seen.values()) this.#attributes.dropIfUnused(set);
      },
    };
  }

  /**
   * Normalize and intern every route before touching the table, so bad input (which throws) changes
   * nothing.
   */
  #prepare(
    routes: Iterable<readonly [string, RouteAttributes]>,
    normalize: PrefixNormalizer,
  ): { keys: string[]; sets: AttributeSet[]; done: () => void } {
    const { intern, done } = this.#interner();
    const keys: string[] = [];
    const sets: AttributeSet[] = [];
    try {
      for (const [prefix, attrs] of routes) {
        keys.push(normalize(prefix));
        sets.push(intern(attrs));
      }
    } catch (err) {
      done();
      throw err;
    }
    return { keys, sets, done };
  }

  /** Replace the desired routes of a family with exactly these (a later duplicate prefix wins). */
  setRoutes(
    family: F,
    routes: Iterable<readonly [string, RouteAttributes]>,
    normalize: PrefixNormalizer = identity,
  ): void {
    const { keys, sets, done } = this.#prepare(routes, normalize);
    const t = this.#table(family);
    const gen = ++t.generation;
    for (let i = 0; i < keys.length; i++) {
      const slot = this.#slot(t, keys[i] as string);
      slot.mark = gen;
      this.#setDesired(t, slot, sets[i]);
    }
    for (const slot of t.routes.values()) {
      if (slot.mark !== gen && slot.desired !== undefined) this.#setDesired(t, slot, undefined);
    }
    done();
  }

  /** Add or replace some desired routes. */
  announce(
    family: F,
    routes: Iterable<readonly [string, RouteAttributes]>,
    normalize: PrefixNormalizer = identity,
  ): void {
    const { keys, sets, done } = this.#prepare(routes, normalize);
    const t = this.#table(family);
    for (let i = 0; i < keys.length; i++) this.#setDesired(t, this.#slot(t, keys[i] as string), sets[i]);
    done();
  }

  /** Remove some desired routes (prefixes not present are ignored). */
  withdraw(family: F, prefixes: Iterable<string>, normalize: PrefixNormalizer = identity): void {
    const keys = Array.from(prefixes, normalize);
    const t = this.#table(family);
    for (const key of keys) {
      const slot = t.routes.get(key);
      if (slot !== undefined) this.#setDesired(t, slot, undefined);
    }
  }

  /** The desired routes of a family. */
  *desired(family: F): IterableIterator<[string, AttributeSet]> {
    const t = this.#families.get(family);
    if (t === undefined) return;
    for (const [prefix, slot] of t.routes) if (slot.desired !== undefined) yield [prefix, slot.desired];
  }

  /** Number of desired routes of a family. */
  desiredCount(family: F): number {
    return this.#families.get(family)?.desiredCount ?? 0;
  }

  /** Number of prefixes of a family the peer holds from us (as far as we have sent). */
  sentCount(family: F): number {
    return this.#families.get(family)?.sentCount ?? 0;
  }

  /** Whether a family has changes not yet taken. */
  hasChanges(family: F): boolean {
    const t = this.#families.get(family);
    if (t === undefined) return false;
    for (let i = t.dirtyHead; i < t.dirty.length; i++) {
      const slot = t.dirty[i] as RouteSlot;
      if (slot.resend || slot.desired !== slot.sent) return true;
    }
    return false;
  }

  /** Mark a slot as sent in its desired state (a slot with neither state leaves the table). */
  #send(t: FamilyTable, slot: RouteSlot): void {
    if (slot.desired !== undefined) this.#attributes.retain(slot.desired);
    if (slot.sent !== undefined) this.#attributes.release(slot.sent);
    t.sentCount += (slot.desired !== undefined ? 1 : 0) - (slot.sent !== undefined ? 1 : 0);
    slot.sent = slot.desired;
    if (slot.sent === undefined) t.routes.delete(slot.prefix);
  }

  #clearDirty(t: FamilyTable): void {
    for (let i = t.dirtyHead; i < t.dirty.length; i++) (t.dirty[i] as RouteSlot).dirty = false;
    t.dirty = [];
    t.dirtyHead = 0;
  }

  #collect(t: FamilyTable, slots: Iterable<RouteSlot>, all: boolean): RibChanges {
    const withdraw: string[] = [];
    const groups = new Map<AttributeSet, string[]>();
    for (const slot of slots) {
      slot.dirty = false;
      const resend = slot.resend;
      slot.resend = false;
      if (slot.desired === undefined) {
        if (slot.sent !== undefined) withdraw.push(slot.prefix);
      } else if (all || resend || slot.desired !== slot.sent) {
        let g = groups.get(slot.desired);
        if (g === undefined) {
          g = [];
          groups.set(slot.desired, g);
        }
        g.push(slot.prefix);
      }
      this.#send(t, slot);
    }
    return { withdraw, announce: [...groups].map(([attributes, prefixes]) => ({ attributes, prefixes })) };
  }

  /**
   * The difference between desired and sent routes since the last call, grouped by attribute set;
   * the peer is then taken to hold the desired state. With `limit`, at most that many changed
   * prefixes are taken (oldest change first); the rest stay pending for the next call, where a
   * further change of the same prefix replaces the pending one (a slow peer gets the latest state,
   * not every step).
   */
  takeChanges(family: F, limit = Number.POSITIVE_INFINITY): RibChanges {
    const t = this.#families.get(family);
    if (t === undefined) return { withdraw: [], announce: [] };
    if (!(limit >= 1)) throw new RangeError(`AdjRibOut.takeChanges: limit ${limit} is not at least 1`);
    const start = t.dirtyHead;
    if (t.dirty.length - start <= limit) {
      const changes = this.#collect(t, start === 0 ? t.dirty : t.dirty.slice(start), false);
      t.dirty = [];
      t.dirtyHead = 0;
      return changes;
    }
    const changes = this.#collect(t, t.dirty.slice(start, start + limit), false);
    t.dirtyHead = start + limit;
    if (t.dirtyHead >= 4096 && t.dirtyHead * 2 >= t.dirty.length) {
      t.dirty = t.dirty.slice(t.dirtyHead); // keep the taken part from growing without end
      t.dirtyHead = 0;
    }
    return changes;
  }

  /**
   * Take every desired route of the family again at the next `takeChanges`, even those the peer
   * holds (a route refresh, RFC 2918, sent in as many parts as the caller takes).
   */
  markAllForResend(family: F): void {
    const t = this.#families.get(family);
    if (t === undefined) return;
    for (const slot of t.routes.values()) {
      if (slot.desired === undefined) continue;
      slot.resend = true;
      if (!slot.dirty) {
        slot.dirty = true;
        t.dirty.push(slot);
      }
    }
  }

  /**
   * Every desired route of the family (for the initial sync or a route refresh), grouped by attribute
   * set, plus withdrawals of what the peer was sent but is no longer desired.
   */
  takeAll(family: F): RibChanges {
    const t = this.#families.get(family);
    if (t === undefined) return { withdraw: [], announce: [] };
    this.#clearDirty(t);
    return this.#collect(t, t.routes.values(), true);
  }

  /**
   * These prefixes could not be sent after all (their attributes could not be exported to this peer):
   * count them as not advertised. They are tried again when they change or the session restarts.
   */
  unsend(family: F, prefixes: Iterable<string>): void {
    const t = this.#families.get(family);
    if (t === undefined) return;
    for (const prefix of prefixes) {
      const slot = t.routes.get(prefix);
      if (slot?.sent === undefined) continue;
      this.#attributes.release(slot.sent);
      slot.sent = undefined;
      t.sentCount--;
    }
  }

  /** The session went down: the peer holds nothing any more; every desired route is pending again. */
  resetSent(): void {
    for (const t of this.#families.values()) {
      this.#clearDirty(t);
      t.sentCount = 0;
      for (const [prefix, slot] of t.routes) {
        if (slot.sent !== undefined) {
          this.#attributes.release(slot.sent);
          slot.sent = undefined;
        }
        if (slot.desired === undefined) {
          t.routes.delete(prefix);
        } else {
          slot.dirty = true;
          t.dirty.push(slot);
        }
      }
    }
    this.#attributes.clearExported();
  }

  /** Number of distinct attribute sets in use. */
  get attributeSetCount(): number {
    return this.#attributes.size;
  }
}
