import { isIP, SocketAddress } from 'node:net';
import type { ClientSocket } from './client-socket.js';
import type { PendingRequest } from './pending-request.js';

/** Which port of a server a request goes to. */
export type ServiceKind = 'auth' | 'acct' | 'coa';

/** A first-in first-out queue without the O(n) cost of Array.shift(). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the oldest item (undefined when empty). */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const out = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return out;
  }
}

/** `host:port`, with brackets around an IPv6 literal. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * One server address and port: the sockets that talk to it (256 identifiers each), the requests
 * waiting for an identifier when every socket is full, and, for a server of the failover pool,
 * whether it answers.
 */
export class Destination {
  readonly host: string;
  readonly port: number;
  /** The service this port offers, which decides the probe's reply code. */
  readonly kind: ServiceKind;
  /** For errors and status: the server's name, or `host:port`. */
  readonly label: string;
  /** The pool server's own shared secret, which replaces the packet's. */
  readonly secret: Buffer | undefined;
  /** True for a server of the failover pool (health tracked and probed). */
  readonly pooled: boolean;
  /** The resolved address (undefined until the host name is looked up). */
  address: string | undefined;
  family: 'udp4' | 'udp6' = 'udp4';
  readonly sockets: ClientSocket[] = [];
  /** Free identifiers over all sockets. */
  freeIds = 0;
  /** Requests waiting for an identifier (every socket full and `maxSockets` reached). */
  readonly waiting = new Fifo<PendingRequest>();
  /** Requests waiting for the host name lookup. */
  resolving: PendingRequest[] | undefined;
  /** False once a request timed out on it, until it answers again (pool servers only). */
  alive = true;
  probeTimer: NodeJS.Timeout | undefined;
  probeInFlight = false;
  /** Secret the Status-Server probes are signed with. */
  probeSecret: Buffer | undefined;

  constructor(
    host: string,
    port: number,
    kind: ServiceKind,
    options: { label?: string; secret?: Buffer; pooled?: boolean } = {},
  ) {
    this.host = host;
    this.port = port;
    this.kind = kind;
    this.label = options.label ?? formatHostPort(host, port);
    this.secret = options.secret;
    this.pooled = options.pooled ?? false;
    const family = isIP(host);
    if (family !== 0) this.setAddress(host, family);
  }

  /** Records the resolved address; the socket family follows it. */
  setAddress(address: string, family: number): void {
    // Replies are matched on the source address as the kernel reports it: `::1`, not `0:0:0:0:0:0:0:1`.
    this.address =
      family === 6 && !address.includes('%')
        ? new SocketAddress({ address, family: 'ipv6' }).address
        : address;
    this.family = family === 6 ? 'udp6' : 'udp4';
  }

  /** Nothing in flight, waiting or open: the destination can be forgotten. */
  get unused(): boolean {
    return this.sockets.length === 0 && this.waiting.size === 0 && this.resolving === undefined;
  }
}
