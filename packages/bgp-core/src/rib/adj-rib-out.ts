// Adj-RIB-Out (RFC 4271 §3.2, §9.2): the routes the caller wants advertised to one peer, what the peer
// has been sent, and the difference between the two. Pure data: the session turns changes into UPDATEs.
//
// One Map entry per prefix holds both the desired and the sent attribute set (interned, so a route
// costs a map slot and a small object); a dirty set remembers which prefixes changed since the last
// flush, so a flush is proportional to the change, not to the table.

import { type AttributeSet, AttributeTable, type RouteAttributes } from './attributes.ts';

interface RouteSlot {
  /** What the caller wants advertised (undefined: withdraw). */
  desired: AttributeSet | undefined;
  /** What the peer was last sent (undefined: not advertised). */
  sent: AttributeSet | undefined;
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
  readonly dirty = new Set<string>();
  /** Prefixes the peer currently holds from us. */
  sentCount = 0;
  /** Prefixes the caller wants advertised. */
  desiredCount = 0;
}

/**
 * Desired and sent routes per family, keyed by canonical prefix strings. The family key is opaque here
 * (the session uses the AFI number). Prefix strings must already be canonical (the session parses
 * and re-formats them).
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

  #setDesired(t: FamilyTable, prefix: string, set: AttributeSet | undefined): void {
    let slot = t.routes.get(prefix);
    if (slot === undefined) {
      if (set === undefined) return;
      slot = { desired: undefined, sent: undefined };
      t.routes.set(prefix, slot);
    }
    if (slot.desired === set) return;
    if (set !== undefined) this.#attributes.retain(set);
    if (slot.desired !== undefined) this.#attributes.release(slot.desired);
    t.desiredCount += (set !== undefined ? 1 : 0) - (slot.desired !== undefined ? 1 : 0);
    slot.desired = set;
    if (slot.desired === slot.sent) {
      t.dirty.delete(prefix);
      if (set === undefined) t.routes.delete(prefix);
    } else {
      t.dirty.add(prefix);
    }
  }

  /** Intern attributes, reusing the result for the same object within one call. */
  #interner(): (attrs: RouteAttributes) => AttributeSet {
    let lastIn: RouteAttributes | undefined;
    let lastOut: AttributeSet | undefined;
    const seen = new Map<RouteAttributes, AttributeSet>();
    return (attrs) => {
      if (attrs === lastIn && lastOut !== undefined) return lastOut;
      let set = seen.get(attrs);
      if (set === undefined) {
        set = this.#attributes.intern(attrs);
        seen.set(attrs, set);
      }
      lastIn = attrs;
      lastOut = set;
      return set;
    };
  }

  /** Replace the desired routes of a family with exactly these. */
  setRoutes(family: F, routes: Iterable<readonly [string, RouteAttributes]>): void {
    const t = this.#table(family);
    const intern = this.#interner();
    const wanted = new Map<string, AttributeSet>();
    for (const [prefix, attrs] of routes) wanted.set(prefix, intern(attrs));
    // Retain the new sets first so a set shared by old and new routes never drops to zero refs.
    for (const [prefix, set] of wanted) this.#setDesired(t, prefix, set);
    for (const [prefix, slot] of [...t.routes]) {
      if (slot.desired !== undefined && !wanted.has(prefix)) this.#setDesired(t, prefix, undefined);
    }
  }

  /** Add or replace some desired routes. */
  announce(family: F, routes: Iterable<readonly [string, RouteAttributes]>): void {
    const t = this.#table(family);
    const intern = this.#interner();
    for (const [prefix, attrs] of routes) this.#setDesired(t, prefix, intern(attrs));
  }

  /** Remove some desired routes (prefixes not present are ignored). */
  withdraw(family: F, prefixes: Iterable<string>): void {
    const t = this.#table(family);
    for (const prefix of prefixes) this.#setDesired(t, prefix, undefined);
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
    return (this.#families.get(family)?.dirty.size ?? 0) > 0;
  }

  #sendSlot(t: FamilyTable, prefix: string, slot: RouteSlot): void {
    if (slot.desired !== undefined) this.#attributes.retain(slot.desired);
    if (slot.sent !== undefined) this.#attributes.release(slot.sent);
    t.sentCount += (slot.desired !== undefined ? 1 : 0) - (slot.sent !== undefined ? 1 : 0);
    slot.sent = slot.desired;
    if (slot.sent === undefined) t.routes.delete(prefix);
  }

  /**
   * The difference between desired and sent routes since the last call, grouped by attribute set;
   * the peer is then taken to hold the desired state.
   */
  takeChanges(family: F): RibChanges {
    const t = this.#families.get(family);
    const withdraw: string[] = [];
    const groups = new Map<AttributeSet, string[]>();
    if (t === undefined) return { withdraw, announce: [] };
    for (const prefix of t.dirty) {
      const slot = t.routes.get(prefix);
      if (slot === undefined || slot.desired === slot.sent) continue;
      if (slot.desired === undefined) {
        withdraw.push(prefix);
      } else {
        let g = groups.get(slot.desired);
        if (g === undefined) {
          g = [];
          groups.set(slot.desired, g);
        }
        g.push(prefix);
      }
      this.#sendSlot(t, prefix, slot);
    }
    t.dirty.clear();
    return { withdraw, announce: [...groups].map(([attributes, prefixes]) => ({ attributes, prefixes })) };
  }

  /**
   * Every desired route of the family (for the initial sync or a route refresh), grouped by attribute
   * set; pending withdrawals are dropped (a fresh peer never had them; after a refresh request the
   * peer rebuilds from what it is sent — with enhanced route refresh it purges the rest itself).
   * Returns the prefixes sent-but-no-longer-desired in `withdraw` so a plain refresh can remove them.
   */
  takeAll(family: F): RibChanges {
    const t = this.#families.get(family);
    const withdraw: string[] = [];
    const groups = new Map<AttributeSet, string[]>();
    if (t === undefined) return { withdraw, announce: [] };
    for (const [prefix, slot] of [...t.routes]) {
      if (slot.desired === undefined) {
        if (slot.sent !== undefined) withdraw.push(prefix);
      } else {
        let g = groups.get(slot.desired);
        if (g === undefined) {
          g = [];
          groups.set(slot.desired, g);
        }
        g.push(prefix);
      }
      this.#sendSlot(t, prefix, slot);
    }
    t.dirty.clear();
    return { withdraw, announce: [...groups].map(([attributes, prefixes]) => ({ attributes, prefixes })) };
  }

  /** The session went down: the peer holds nothing any more; every desired route is pending again. */
  resetSent(): void {
    for (const t of this.#families.values()) {
      t.dirty.clear();
      t.sentCount = 0;
      for (const [prefix, slot] of [...t.routes]) {
        if (slot.sent !== undefined) {
          this.#attributes.release(slot.sent);
          slot.sent = undefined;
        }
        if (slot.desired === undefined) t.routes.delete(prefix);
        else t.dirty.add(prefix);
      }
    }
    this.#attributes.clearExported();
  }

  /** Number of distinct attribute sets in use. */
  get attributeSetCount(): number {
    return this.#attributes.size;
  }
}
