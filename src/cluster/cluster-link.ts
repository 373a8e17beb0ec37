// The link between instances that serve the same NASes: a UDP socket on which an instance hands a
// NAS's request to the instance that owns its conversation (an EAP session whose TLS state lives
// in that process only) and gets the RADIUS reply back. Every datagram is sealed with the cluster
// key (HMAC-SHA256); requests older than `maxAgeMs` or seen before are refused, so a captured
// datagram cannot be replayed.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { InvalidValueError } from '../errors.js';
import { type Logger, silentLogger } from '../server/logger.js';
import type { Remote, ReplyChannel } from '../transport/remote.js';
import { joinHostPort, splitHostPort } from './address-bytes.js';
import { decodeForwardMessage, encodeForwardReply, encodeForwardRequest } from './forward-message.js';
import { stateOwnerTag } from './state-owner.js';

/** Where forwarded requests are delivered: a server's `receive` (AbstractRadiusServer has one). */
export interface ForwardTarget {
  receive(data: Buffer, remote: Remote, channel: ReplyChannel, listener: 'auth' | 'acct'): void;
}

/** Which addresses are instances of this cluster (only those are forwarded to). */
export interface PeerDirectory {
  isPeer(address: string): boolean | Promise<boolean>;
}

/** Options of {@link ClusterLink.open}. */
export interface ClusterLinkOptions {
  /** The cluster key, the same on every instance (at least 16 octets). */
  key: Buffer;
  /** Address to bind ("host:port"; port 0 picks a free one). Peers must reach it there. */
  listen: string;
  /** Instances forwarded to; default: none but this one. */
  peers?: PeerDirectory;
  /** Milliseconds to wait for the owner's reply (default 3000; then no reply, the NAS retries). */
  timeoutMs?: number;
  /** Oldest forwarded request accepted, in ms (default 30,000: clocks of the instances must agree). */
  maxAgeMs?: number;
  logger?: Logger;
}

/** What a link has done, for logs and tests. */
export interface ClusterLinkCounters {
  /** Requests sent to their owner. */
  forwarded: number;
  /** Of those, answered. */
  answered: number;
  /** Of those, unanswered within the time limit. */
  timedOut: number;
  /** Requests received from another instance and handled. */
  received: number;
  /** Datagrams refused: wrong key, malformed, too old, replayed, or a reply nobody waited for. */
  refused: number;
}

interface Pending {
  resolve(reply: Buffer | undefined): void;
  timer: NodeJS.Timeout;
  owner: string;
}

const MAX_REMEMBERED_NONCES = 100_000;

/** An instance's end of the cluster link. */
export class ClusterLink {
  /** This instance's address on the link ("host:port"), as peers name it. */
  readonly address: string;
  /** The prefix of the States this instance issues (names it as their owner). */
  readonly stateTag: Buffer;
  readonly counters: ClusterLinkCounters = {
    forwarded: 0,
    answered: 0,
    timedOut: 0,
    received: 0,
    refused: 0,
  };
  private readonly pending = new Map<string, Pending>();
  /** Nonces of requests received, with when they may be forgotten (older ones are refused anyway). */
  private readonly seen = new Map<string, number>();
  private target: ForwardTarget | undefined;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private readonly logger: Logger;
  private lastRefusalLog = -Infinity;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly key: Buffer,
    address: string,
    private readonly peers: PeerDirectory | undefined,
    options: ClusterLinkOptions,
  ) {
    this.address = address;
    this.stateTag = stateOwnerTag(address);
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
    this.logger = options.logger ?? silentLogger;
    socket.on('message', (data, rinfo) => this.onMessage(data, rinfo));
    socket.on('error', (err) => this.logger.warn({ err: err.message }, 'cluster link: socket error'));
  }

  /** Binds the link's socket. */
  static async open(options: ClusterLinkOptions): Promise<ClusterLink> {
    if (!Buffer.isBuffer(options.key) || options.key.length < 16) {
      throw new InvalidValueError('key', 'the cluster key must have at least 16 octets');
    }
    const { host, port } = splitHostPort(options.listen);
    const socket = dgram.createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      // exclusive: under node:cluster each worker needs a socket of its own, not the primary's.
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const bound = socket.address();
    return new ClusterLink(socket, options.key, joinHostPort(host, bound.port), options.peers, options);
  }

  /** Where requests forwarded to this instance go (the server that owns its conversations). */
  attach(target: ForwardTarget): void {
    this.target = target;
  }

  /** Whether `address` is another instance this one may forward to. */
  async isPeer(address: string): Promise<boolean> {
    if (address === this.address || !this.peers) return false;
    try {
      return await this.peers.isPeer(address);
    } catch {
      return false;
    }
  }

  /**
   * Hands the NAS's request (its bytes, as received) to the instance at `owner` and resolves with
   * that instance's RADIUS reply, or undefined when none came in time.
   */
  forward(owner: string, packet: Buffer, nas: Remote): Promise<Buffer | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const { host, port } = splitHostPort(owner);
    const nonce = randomBytes(16);
    const data = encodeForwardRequest(this.key, {
      nonce,
      sentAt: Date.now(),
      nasAddress: nas.address,
      nasPort: nas.port,
      packet,
    });
    this.counters.forwarded++;
    return new Promise((resolve) => {
      const id = nonce.toString('hex');
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.counters.timedOut++;
        this.logger.warn({ owner }, 'cluster link: the owner of an EAP conversation did not answer');
        resolve(undefined);
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, timer, owner });
      this.socket.send(data, port, host, (err) => {
        if (err) this.logger.warn({ owner, err: err.message }, 'cluster link: cannot send');
      });
    });
  }

  /** Closes the socket; forwards still waiting resolve with no reply. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.resolve(undefined);
    }
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private onMessage(data: Buffer, rinfo: dgram.RemoteInfo): undefined {
    const message = decodeForwardMessage(this.key, data);
    if (!message) return this.refuse(rinfo, 'wrong cluster key or malformed');
    const id = message.nonce.toString('hex');
    if (message.type === 'reply') {
      const p = this.pending.get(id);
      if (!p || joinHostPort(rinfo.address, rinfo.port) !== p.owner)
        return this.refuse(rinfo, 'unexpected reply');
      this.pending.delete(id);
      clearTimeout(p.timer);
      this.counters.answered++;
      p.resolve(message.packet);
      return undefined;
    }
    const now = Date.now();
    if (Math.abs(now - message.sentAt) > this.maxAgeMs)
      return this.refuse(rinfo, 'too old (are the clocks in step?)');
    this.forget(now);
    if (this.seen.has(id)) return this.refuse(rinfo, 'replayed');
    this.seen.set(id, now + 2 * this.maxAgeMs);
    const target = this.target;
    if (!target) return undefined;
    this.counters.received++;
    const remote: Remote = {
      address: message.nasAddress,
      port: message.nasPort,
      family: isIP(message.nasAddress) === 6 ? 'IPv6' : 'IPv4',
      transport: 'udp',
      forwardedBy: joinHostPort(rinfo.address, rinfo.port),
    };
    const channel: ReplyChannel = {
      send: (reply) => {
        if (this.closed) return;
        this.socket.send(encodeForwardReply(this.key, message.nonce, reply), rinfo.port, rinfo.address);
      },
    };
    target.receive(message.packet, remote, channel, 'auth');
    return undefined;
  }

  /** Drops the nonces past their time (Map order is arrival order), and the oldest past the bound. */
  private forget(now: number): void {
    for (const [id, until] of this.seen) {
      if (until > now && this.seen.size < MAX_REMEMBERED_NONCES) break;
      this.seen.delete(id);
    }
  }

  private refuse(rinfo: dgram.RemoteInfo, reason: string): undefined {
    this.counters.refused++;
    const now = Date.now();
    // At most one line a minute: a misconfigured peer must not flood the log.
    if (now - this.lastRefusalLog < 60_000) return undefined;
    this.lastRefusalLog = now;
    this.logger.warn({ from: rinfo.address, reason }, 'cluster link: datagram refused');
    return undefined;
  }
}
