import { isIP, SocketAddress } from 'node:net';
import type { ClientChannel } from './client-socket.js';
import type { CongestionWindow } from './congestion-window.js';
import type { PendingRequest } from './pending-request.js';
import type { ClientTransport, RadsecConnectionOptions } from './stream-connection.js';

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

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.items[this.head];
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
 * One server address and port: the sockets that talk to it (256 identifiers each), the window of
 * requests in flight, the requests waiting for a place in it, and, for a server of the failover
 * pool, whether it answers.
 */
export class Destination {
  readonly host: string;
  readonly port: number;
  /** The service this port offers, which decides the probe's reply code. */
  readonly kind: ServiceKind;
  /** For errors and status: the server's name, or `host:port`. */
  readonly label: string;
  /** The name of the pool server this port belongs to; undefined for a request sent to an address. */
  readonly server: string | undefined;
  /** The pool server's own shared secret, which replaces the packet's. */
  readonly secret: Buffer | undefined;
  /** True for a server of the failover pool (health tracked and probed). */
  readonly pooled: boolean;
  /** The resolved address (undefined until the host name is looked up). */
  address: string | undefined;
  family: 'udp4' | 'udp6' = 'udp4';
  /** True when `host` is an address literal: never looked up. */
  readonly literal: boolean;
  /** performance.now() of the lookup that gave `address`. */
  resolvedAt = 0;
  /** A lookup of a name whose answer aged past the client's `dnsTtl` is under way. */
  refreshing = false;
  /** UDP sockets, or TCP/TLS connections, to `address` that take new requests. */
  readonly sockets: ClientChannel[] = [];
  /** Sockets to a former address, or that failed: they finish their requests, then close. */
  readonly retired: ClientChannel[] = [];
  /** 'udp', or a stream: 'tcp' (RFC 6613) or 'tls' (RFC 6614). */
  readonly transport: ClientTransport;
  /** `node:tls` connection options of a 'tls' server. */
  readonly tls: RadsecConnectionOptions | undefined;
  /** performance.now() of the last verified reply from it (-Infinity: none yet). */
  lastReplyAt = Number.NEGATIVE_INFINITY;
  /** Connections that failed or dropped with requests on them since the last reply (reconnection backoff). */
  streamFailures = 0;
  /** Free identifiers over all sockets. */
  freeIds = 0;
  /** Requests in flight and how many may be (made by the client on first use). */
  window: CongestionWindow | undefined;
  /** Requests waiting for a place in the window or an identifier, oldest first (settled ones are skipped). */
  readonly waiting = new Fifo<PendingRequest>();
  /** Requests that entered the window, in order of transmission (those gone since are skipped). */
  readonly flight = new Fifo<PendingRequest>();
  /** Unsettled requests in `waiting`. */
  queued = 0;
  /**
   * Accounting-Requests in flight whose retransmission changed (Acct-Delay-Time) and so needs a
   * new identifier, none being free (RFC 5080 §2.2.1): they get the next one before new requests.
   */
  readonly needId = new Fifo<PendingRequest>();
  /** Requests waiting for the host name lookup. */
  resolving: PendingRequest[] | undefined;
  /** The client is moving requests from `needId` and `waiting` into the window now. */
  pumping = false;
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
    options: {
      label?: string;
      server?: string;
      secret?: Buffer;
      pooled?: boolean;
      transport?: ClientTransport;
      tls?: RadsecConnectionOptions;
    } = {},
  ) {
    this.host = host;
    this.port = port;
    this.kind = kind;
    this.label = options.label ?? formatHostPort(host, port);
    this.server = options.server;
    this.secret = options.secret;
    this.pooled = options.pooled ?? false;
    this.transport = options.transport ?? 'udp';
    this.tls = options.tls;
    const family = isIP(host);
    this.literal = family !== 0;
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
    return (
      this.sockets.length === 0 &&
      this.retired.length === 0 &&
      this.queued === 0 &&
      this.resolving === undefined
    );
  }
}
