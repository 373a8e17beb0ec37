/**
 * The method each identity last logged in with, so that its next conversation is offered that
 * method first: a peer set up for EAP-TLS then skips the NAK round (RFC 3748 §5.3.1) it would
 * otherwise answer our first choice with. Only a login that succeeded is remembered, so a peer
 * that merely claims an identity cannot change what that identity is offered; the method offered
 * is always one of the configured ones, and the peer may still NAK it.
 */

import { RecencyMap } from '../store/recency-map.js';

/** EAP types by identity, bounded in count (least recently used out first). */
export class MethodMemory {
  private readonly types = new RecencyMap<number>();
  private readonly maxEntries: number;

  constructor(maxEntries: number) {
    this.maxEntries = Math.max(1, maxEntries);
  }

  /** Identities held now. */
  get size(): number {
    return this.types.size;
  }

  /** The EAP type `identity` last succeeded with, if remembered. */
  get(identity: string): number | undefined {
    return this.types.peek(identity);
  }

  /** Notes a successful login of `identity` with the method of EAP type `type`. */
  remember(identity: string, type: number): void {
    this.types.set(identity, type);
    while (this.types.size > this.maxEntries) this.types.shift();
  }

  /** Forgets every identity. */
  clear(): void {
    this.types.clear();
  }
}
