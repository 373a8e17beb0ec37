import { lookup } from 'node:dns/promises';

/** A resolved host name. */
export interface HostAddress {
  address: string;
  family: number;
}

interface Entry {
  found: Promise<HostAddress>;
  /** performance.now() when the lookup started. */
  at: number;
}

/**
 * Host names looked up with dns.lookup (the hosts file, then DNS, as every other Node program
 * resolves them), each answer kept `ttlMs`. dns.lookup reports no DNS TTL, so the lifetime is a
 * fixed setting: a server whose address changes is found again within it. One lookup per name
 * runs at a time; a failed one is forgotten at once.
 */
export class HostCache {
  private readonly entries = new Map<string, Entry>();
  readonly ttlMs: number;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  /** The address of `host`, from the cache while it is younger than the lifetime. */
  lookup(host: string, now: number): Promise<HostAddress> {
    const entry = this.entries.get(host);
    if (entry !== undefined && now - entry.at < this.ttlMs) return entry.found;
    const found = lookup(host);
    const fresh: Entry = { found, at: now };
    this.entries.set(host, fresh);
    found.catch(() => {
      if (this.entries.get(host) === fresh) this.entries.delete(host);
    });
    return found;
  }

  /** Forgets the answers older than the lifetime. */
  prune(now: number): void {
    for (const [host, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(host);
  }

  get size(): number {
    return this.entries.size;
  }
}
