/**
 * A Map that keeps its entries in least-recently-used order, for the bounded caches (EAP
 * conversations, TLS sessions, remembered methods, per-NAS and per-DAC counters, drop log lines, the
 * proxy's EAP stickiness, the dynauth proxy's sessions by Acct-Session-Id). The order is a linked list beside the Map, not
 * the Map's own insertion order: moving or evicting an entry of a Map leaves a hole in its table
 * that every later walk from the front steps over until V8 rehashes it, so a cache at its bound,
 * evicting one entry per insertion, walked thousands of holes per insertion (a sixth of an EAP-MD5
 * round's CPU in the session store).
 */

interface Node<V> {
  readonly key: string;
  value: V;
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

export class RecencyMap<V> {
  private readonly nodes = new Map<string, Node<V>>();
  private first: Node<V> | undefined;
  private last: Node<V> | undefined;

  get size(): number {
    return this.nodes.size;
  }

  /** The value for `key`, leaving the order as it is. */
  peek(key: string): V | undefined {
    return this.nodes.get(key)?.value;
  }

  /** The value for `key`, which becomes the most recently used. */
  touch(key: string): V | undefined {
    const node = this.nodes.get(key);
    if (!node) return undefined;
    if (node !== this.last) {
      this.unlink(node);
      this.append(node);
    }
    return node.value;
  }

  /** Sets `key` as the most recently used; returns the value it replaced, if any. */
  set(key: string, value: V): V | undefined {
    const node = this.nodes.get(key);
    if (node) {
      const old = node.value;
      node.value = value;
      if (node !== this.last) {
        this.unlink(node);
        this.append(node);
      }
      return old;
    }
    const added: Node<V> = { key, value, older: undefined, newer: undefined };
    this.nodes.set(key, added);
    this.append(added);
    return undefined;
  }

  /** Removes `key`; returns its value, if it was there. */
  delete(key: string): V | undefined {
    const node = this.nodes.get(key);
    if (!node) return undefined;
    this.nodes.delete(key);
    this.unlink(node);
    return node.value;
  }

  /** The least recently used value, left in place. */
  oldest(): V | undefined {
    return this.first?.value;
  }

  /** Removes the least recently used entry; returns its value. */
  shift(): V | undefined {
    const node = this.first;
    if (!node) return undefined;
    this.nodes.delete(node.key);
    this.unlink(node);
    return node.value;
  }

  /** The entries from the least to the most recently used. */
  *entries(): IterableIterator<[string, V]> {
    for (let node = this.first; node; node = node.newer) yield [node.key, node.value];
  }

  /** Removes every entry; returns their values. */
  clear(): V[] {
    const values = [...this.nodes.values()].map((n) => n.value);
    this.nodes.clear();
    this.first = undefined;
    this.last = undefined;
    return values;
  }

  private unlink(node: Node<V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.first = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.last = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  private append(node: Node<V>): void {
    node.older = this.last;
    node.newer = undefined;
    if (this.last) this.last.newer = node;
    else this.first = node;
    this.last = node;
  }
}
