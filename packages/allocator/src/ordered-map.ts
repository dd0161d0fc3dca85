// An ordered map on number or bigint keys: an AVL tree (deterministic, no randomness), so lookups,
// floor/ceiling, insertion and deletion are O(log n) in the worst case.

export interface TreeNode<K extends number | bigint, V> {
  /** The key. Callers may change it in place only when the new key keeps the tree's order. */
  key: K;
  value: V;
  left: TreeNode<K, V> | undefined;
  right: TreeNode<K, V> | undefined;
  height: number;
}

type N<K extends number | bigint, V> = TreeNode<K, V> | undefined;

function h<K extends number | bigint, V>(n: N<K, V>): number {
  return n === undefined ? 0 : n.height;
}

function fix<K extends number | bigint, V>(n: TreeNode<K, V>): void {
  const a = h(n.left);
  const b = h(n.right);
  n.height = Math.max(a, b) + 1;
}

function rotateRight<K extends number | bigint, V>(n: TreeNode<K, V>): TreeNode<K, V> {
  const l = n.left!;
  n.left = l.right;
  l.right = n;
  fix(n);
  fix(l);
  return l;
}

function rotateLeft<K extends number | bigint, V>(n: TreeNode<K, V>): TreeNode<K, V> {
  const r = n.right!;
  n.right = r.left;
  r.left = n;
  fix(n);
  fix(r);
  return r;
}

function balance<K extends number | bigint, V>(n: TreeNode<K, V>): TreeNode<K, V> {
  fix(n);
  const bf = h(n.left) - h(n.right);
  if (bf > 1) {
    if (h(n.left!.left) < h(n.left!.right)) n.left = rotateLeft(n.left!);
    return rotateRight(n);
  }
  if (bf < -1) {
    if (h(n.right!.right) < h(n.right!.left)) n.right = rotateRight(n.right!);
    return rotateLeft(n);
  }
  return n;
}

export class OrderedMap<K extends number | bigint, V> {
  #root: N<K, V> = undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The node with key `k`, if any. */
  node(k: K): TreeNode<K, V> | undefined {
    let n = this.#root;
    while (n !== undefined) {
      if (k < n.key) n = n.left;
      else if (k > n.key) n = n.right;
      else return n;
    }
    return undefined;
  }

  get(k: K): V | undefined {
    return this.node(k)?.value;
  }

  has(k: K): boolean {
    return this.node(k) !== undefined;
  }

  /** The node with the greatest key <= k. */
  floor(k: K): TreeNode<K, V> | undefined {
    let n = this.#root;
    let best: N<K, V>;
    while (n !== undefined) {
      if (n.key > k) n = n.left;
      else {
        best = n;
        if (n.key === k) break;
        n = n.right;
      }
    }
    return best;
  }

  /** The node with the least key >= k. */
  ceiling(k: K): TreeNode<K, V> | undefined {
    let n = this.#root;
    let best: N<K, V>;
    while (n !== undefined) {
      if (n.key < k) n = n.right;
      else {
        best = n;
        if (n.key === k) break;
        n = n.left;
      }
    }
    return best;
  }

  /** The node with the least key > k. */
  higher(k: K): TreeNode<K, V> | undefined {
    let n = this.#root;
    let best: N<K, V>;
    while (n !== undefined) {
      if (n.key <= k) n = n.right;
      else {
        best = n;
        n = n.left;
      }
    }
    return best;
  }

  first(): TreeNode<K, V> | undefined {
    let n = this.#root;
    if (n === undefined) return undefined;
    while (n.left !== undefined) n = n.left;
    return n;
  }

  last(): TreeNode<K, V> | undefined {
    let n = this.#root;
    if (n === undefined) return undefined;
    while (n.right !== undefined) n = n.right;
    return n;
  }

  /** Inserts or replaces; returns the node. */
  set(k: K, v: V): TreeNode<K, V> {
    let found: TreeNode<K, V> | undefined;
    const ins = (n: N<K, V>): TreeNode<K, V> => {
      if (n === undefined) {
        this.#size++;
        found = { key: k, value: v, left: undefined, right: undefined, height: 1 };
        return found;
      }
      if (k < n.key) n.left = ins(n.left);
      else if (k > n.key) n.right = ins(n.right);
      else {
        n.value = v;
        found = n;
        return n;
      }
      return balance(n);
    };
    this.#root = ins(this.#root);
    return found!;
  }

  delete(k: K): boolean {
    let removed = false;
    const del = (n: N<K, V>): N<K, V> => {
      if (n === undefined) return undefined;
      if (k < n.key) n.left = del(n.left);
      else if (k > n.key) n.right = del(n.right);
      else {
        removed = true;
        if (n.left === undefined) return n.right;
        if (n.right === undefined) return n.left;
        // Replace by the in-order successor.
        let s = n.right;
        while (s.left !== undefined) s = s.left;
        n.right = removeMin(n.right);
        s.right = n.right;
        s.left = n.left;
        return balance(s);
      }
      return balance(n);
    };
    const removeMin = (n: TreeNode<K, V>): N<K, V> => {
      if (n.left === undefined) return n.right;
      n.left = removeMin(n.left);
      return balance(n);
    };
    this.#root = del(this.#root);
    if (removed) this.#size--;
    return removed;
  }

  /** Nodes in ascending key order, starting at the least key >= `from` (or the first). */
  *nodes(from?: K): Generator<TreeNode<K, V>> {
    const stack: TreeNode<K, V>[] = [];
    let n = this.#root;
    while (n !== undefined) {
      if (from !== undefined && n.key < from) n = n.right;
      else {
        stack.push(n);
        n = n.left;
      }
    }
    while (stack.length > 0) {
      const top = stack.pop()!;
      yield top;
      let r = top.right;
      while (r !== undefined) {
        stack.push(r);
        r = r.left;
      }
    }
  }

  /** Checks the AVL and order invariants (for tests); returns the number of nodes. */
  checkInvariants(): number {
    const walk = (n: N<K, V>, lo: K | undefined, hi: K | undefined): [number, number] => {
      if (n === undefined) return [0, 0];
      if (lo !== undefined && !(n.key > lo)) throw new Error('order violated');
      if (hi !== undefined && !(n.key < hi)) throw new Error('order violated');
      const [hl, cl] = walk(n.left, lo, n.key);
      const [hr, cr] = walk(n.right, n.key, hi);
      if (Math.abs(hl - hr) > 1) throw new Error('unbalanced');
      const height = Math.max(hl, hr) + 1;
      if (height !== n.height) throw new Error('stale height');
      return [height, cl + cr + 1];
    };
    const [, count] = walk(this.#root, undefined, undefined);
    if (count !== this.#size) throw new Error('size mismatch');
    return count;
  }
}
