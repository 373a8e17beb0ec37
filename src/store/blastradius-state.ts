// The embedded BlastRADIUS 'auto' memory: the addresses of NASes that signed an Access-Request.
import type { BlastRadiusState } from './store.js';

/**
 * NASes remembered by default. Only a verified request can add one and none is ever evicted, so
 * traffic without the secret cannot switch the policy off; past the bound new NASes are not
 * learned (they stay under the configured policy).
 */
export const MAX_SIGNING_NASES = 65536;

/** BlastRADIUS 'auto' state of one process (the default): forgotten when it stops. */
export class MemoryBlastRadiusState implements BlastRadiusState {
  private readonly addresses = new Set<string>();

  constructor(private readonly limit = MAX_SIGNING_NASES) {}

  /** Whether `address` has signed an Access-Request. */
  signs(address: string): boolean {
    return this.addresses.has(address);
  }

  /** Remembers `address` as signing (until the bound is reached). */
  markSigning(address: string): void {
    if (this.addresses.size < this.limit) this.addresses.add(address);
  }

  /** NASes remembered. */
  get size(): number {
    return this.addresses.size;
  }
}
