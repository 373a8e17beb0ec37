import { randomInt } from 'node:crypto';

/** Number of identifiers of one socket: the header field is one octet (RFC 2865 §3). */
export const IDENTIFIERS_PER_SOCKET = 256;

/**
 * The 256 identifiers of one socket and the request each one is lent to. Free identifiers are
 * handed out oldest-freed first, so an identifier is reused as late as possible: a stray late
 * reply to its previous request then finds it free, or fails the new request's authenticator.
 */
export class IdentifierPool<T> {
  private readonly slots: (T | undefined)[] = new Array(IDENTIFIERS_PER_SOCKET).fill(undefined);
  /** Ring of free identifiers, oldest-freed at `head`. */
  private readonly ring = new Uint8Array(IDENTIFIERS_PER_SOCKET);
  private head = 0;
  private free = IDENTIFIERS_PER_SOCKET;

  constructor() {
    // A random starting point: identifiers carry no secret, but need not be predictable either.
    const start = randomInt(IDENTIFIERS_PER_SOCKET);
    for (let i = 0; i < IDENTIFIERS_PER_SOCKET; i++) this.ring[i] = (start + i) & 0xff;
  }

  /** Identifiers free now. */
  get available(): number {
    return this.free;
  }

  /** Identifiers lent now. */
  get inUse(): number {
    return IDENTIFIERS_PER_SOCKET - this.free;
  }

  /** Lends a free identifier to `value`; -1 when all 256 are lent. */
  take(value: T): number {
    if (this.free === 0) return -1;
    const id = this.ring[this.head];
    this.head = (this.head + 1) & 0xff;
    this.free--;
    this.slots[id] = value;
    return id;
  }

  /** The value holding `id`, or undefined when `id` is free. */
  get(id: number): T | undefined {
    return this.slots[id];
  }

  /** Returns `id` to the pool; a no-op when it is already free. */
  release(id: number): void {
    if (this.slots[id] === undefined) return;
    this.slots[id] = undefined;
    this.ring[(this.head + this.free) & 0xff] = id;
    this.free++;
  }

  /** Every value holding an identifier now (for close()). */
  values(): T[] {
    const out: T[] = [];
    for (const v of this.slots) if (v !== undefined) out.push(v);
    return out;
  }
}
