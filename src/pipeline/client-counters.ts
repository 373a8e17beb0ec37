import { RecencyMap } from '../store/recency-map.js';

/** Clients whose counters are kept; past it the first seen goes (counters only, never policy). */
export const MAX_KNOWN_CLIENTS = 10000;
/** Refused sources whose counters are kept; past it the least recently seen goes. */
export const MAX_REFUSED_SOURCES = 1024;

/**
 * A receiver's counters by client address, in two bounded tables. Clients it accepted (their
 * lookup gave a secret) keep their place in the first (the first seen goes first). Sources it
 * refused go to the second, which drops the least recently seen: spoofed sources, which cost a
 * sender nothing, evict only one another, never a client's counters.
 */
export class ClientCounterTable<T> {
  private readonly known = new RecencyMap<T>();
  private readonly refused = new RecencyMap<T>();

  constructor(
    private readonly make: () => T,
    private readonly maxKnown = MAX_KNOWN_CLIENTS,
    private readonly maxRefused = MAX_REFUSED_SOURCES,
  ) {}

  /** The counters of `address`, accepted or refused, if it has any. */
  peek(address: string): T | undefined {
    return this.known.peek(address) ?? this.refused.peek(address);
  }

  /** The counters of an accepted client, made on first use (carrying over those it had as refused). */
  client(address: string): T {
    let c = this.known.peek(address);
    if (c === undefined) {
      c = this.refused.delete(address) ?? this.make();
      if (this.known.size >= this.maxKnown) this.known.shift();
      this.known.set(address, c);
    }
    return c;
  }

  /** The counters of a refused request's source: its client entry if it has one, else a refused one. */
  refusedSource(address: string): T {
    const c = this.known.peek(address) ?? this.refused.touch(address);
    if (c !== undefined) return c;
    const made = this.make();
    if (this.refused.size >= this.maxRefused) this.refused.shift();
    this.refused.set(address, made);
    return made;
  }

  /** The accepted clients, the first seen first. */
  clients(): IterableIterator<[string, T]> {
    return this.known.entries();
  }
}
