import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { RadiusClosedError, RadiusSocketError, RadiusTimeoutError } from '../errors.js';
import { verifyReplyBytes } from '../protocol/authenticator.js';
import { ACCOUNTING_RESPONSE } from '../protocol/codes.js';
import type { Packet } from '../protocol/packet.js';
import type { Logger } from '../server/logger.js';
import type { AccountingQueue, QueuedRequest } from './accounting-queue.js';
import { numericLookup } from '../transport/udp.js';

/** A UDP home server's accounting port, as the forwarder sends to it. */
export interface ForwarderTarget {
  name: string;
  host: string;
  port: number;
  secret: Buffer;
}

/** Options of an AccountingForwarder. */
export interface AccountingForwarderOptions {
  /** Milliseconds before the first retransmission; each one waits twice as long (RFC 5080 §2.2.1). */
  timeoutMs: number;
  /** Retransmissions after the first transmission. */
  retries: number;
  /**
   * Milliseconds a home server recognises a retransmission (same source, identifier and bytes) and
   * answers it from its cache without recording it again (RFC 5080 §2.2.2; FreeRADIUS 3.2 does so
   * only while a request is in progress for accounting). Within it a record is sent again with the
   * same bytes; past it, rebuilt with a fresh Acct-Delay-Time (RFC 2866 §5.2).
   */
  duplicateWindowMs: number;
  /** Told whether each record was answered (home-server health); `sentAt` is performance.now(). */
  onOutcome?: (server: string, answered: boolean, sentAt: number) => void;
  /** A reply from `server` whose Response Authenticator does not verify (RFC 2866 §3) was dropped. */
  onInvalidReply?: (server: string) => void;
  logger?: Logger;
}

interface Pending {
  seq: number;
  wire: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  sent: number;
  waitMs: number;
}

/** The last bytes a record went out with, and where. */
interface Attempt {
  server: string;
  wire: Buffer;
  /** ms since 1970 of its first transmission. */
  at: number;
}

/**
 * One home server's accounting link: a UDP socket whose local port is kept in the queue's database
 * (the same port after a restart: the home server's duplicate detection is keyed on it), and the
 * 256 identifiers of that port, each owned by at most one record whose delivery is not yet durably
 * marked (so a record resent after a restart cannot meet another record's bytes under its identifier).
 */
class HomeLink {
  readonly owner: Array<number | undefined> = new Array(256).fill(undefined);
  readonly pending = new Map<number, Pending>();
  private readonly waiters: Array<() => void> = [];
  private free: number[] = [];
  socket: Socket | undefined;
  address = '';
  ready: Promise<void> | undefined;
  closed = false;

  constructor(readonly target: ForwarderTarget) {
    for (let id = 255; id >= 0; id--) this.free.push(id);
  }

  /** Reserves `id` for `seq` (a record restored from the database). */
  reserve(id: number, seq: number): void {
    if (this.owner[id] !== undefined) return;
    this.owner[id] = seq;
    const at = this.free.indexOf(id);
    if (at >= 0) this.free.splice(at, 1);
  }

  /** A free identifier for `seq`; waits while all 256 are held. */
  async take(seq: number): Promise<number> {
    // Each wake-up follows a release or close(): the loop ends with an identifier or an error.
    while (this.free.length === 0) {
      if (this.closed) throw new RadiusClosedError('accounting forwarder closed');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    // Oldest freed first: an identifier rests as long as possible before it carries other bytes.
    const id = this.free.shift() as number;
    this.owner[id] = seq;
    return id;
  }

  release(id: number, seq: number): void {
    if (this.owner[id] !== seq) return;
    this.owner[id] = undefined;
    this.free.push(id);
    this.waiters.shift()?.();
  }

  wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/**
 * Forwards queued Accounting-Requests to UDP home servers so that each reaches the home server
 * once: the bytes of every transmission (identifier, authenticator, Acct-Delay-Time) are committed
 * to the queue before they leave, retransmissions repeat them exactly, and after a restart a record
 * whose delivery was not marked goes out again with the same bytes from the same source port. The
 * home server's duplicate detection (RFC 5080 §2.2.2) then answers it from its cache instead of
 * recording it twice, as long as the restart falls within its duplicate window.
 */
export class AccountingForwarder {
  private readonly links = new Map<string, HomeLink>();
  private readonly attempts = new Map<number, Attempt>();
  private readonly downUntil = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly queue: AccountingQueue,
    private readonly targets: ReadonlyMap<string, ForwarderTarget>,
    private readonly options: AccountingForwarderOptions,
  ) {
    // Records sent before a restart and not marked delivered keep their identifiers and bytes.
    for (const r of queue.attempted()) {
      const link = this.link(r.server);
      if (link === undefined) continue;
      link.reserve(r.wire[1], r.seq);
      this.attempts.set(r.seq, { server: r.server, wire: r.wire, at: r.at });
    }
  }

  /** Whether `server` is a UDP home server this forwarder sends to. */
  handles(server: string): boolean {
    return this.targets.has(server);
  }

  /** False for a while after `server` left a record unanswered (the pool then tries others first). */
  alive(server: string): boolean {
    const until = this.downUntil.get(server);
    return until === undefined || until <= Date.now();
  }

  /**
   * Sends `item` to `server` until it answers: the record's last bytes again when they went to the
   * same server within the duplicate window, else `build()` with a new identifier (committed
   * before it is sent). Resolves with a function to call once the delivery mark is durable.
   */
  async send(item: QueuedRequest, server: string, build: () => Packet, downMs: number): Promise<() => void> {
    const link = this.link(server);
    if (link === undefined || this.closed) throw new RadiusClosedError('accounting forwarder closed');
    await this.open(link);
    let attempt = this.attempts.get(item.seq);
    if (
      attempt === undefined ||
      attempt.server !== server ||
      Date.now() - attempt.at >= this.options.duplicateWindowMs
    ) {
      const id = await link.take(item.seq);
      const packet = build();
      packet.identifier = id;
      packet.secret = link.target.secret;
      const wire = packet.encode();
      const at = Date.now();
      try {
        await this.queue.saveAttempt(item.seq, server, wire, at);
      } catch (err) {
        link.release(id, item.seq);
        throw err;
      }
      // The earlier bytes are superseded only now that the new ones are durable.
      if (attempt !== undefined) this.links.get(attempt.server)?.release(attempt.wire[1], item.seq);
      attempt = { server, wire, at };
      this.attempts.set(item.seq, attempt);
    }
    const wire = attempt.wire;
    const sentAt = performance.now();
    try {
      await this.transmit(link, item.seq, wire);
    } catch (err) {
      this.downUntil.set(server, Date.now() + downMs);
      if (!this.closed) this.options.onOutcome?.(server, false, sentAt);
      throw err;
    }
    this.downUntil.delete(server);
    this.options.onOutcome?.(server, true, sentAt);
    return () => {
      this.attempts.delete(item.seq);
      link.release(wire[1], item.seq);
    };
  }

  /** Closes the sockets; records in flight stay unmarked, to be resent by the next start. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) {
      link.closed = true;
      for (const p of link.pending.values()) {
        if (p.timer) clearTimeout(p.timer);
        p.reject(new RadiusClosedError('accounting forwarder closed'));
      }
      link.pending.clear();
      link.wakeAll();
      link.socket?.close();
      link.socket = undefined;
    }
  }

  private link(server: string): HomeLink | undefined {
    let link = this.links.get(server);
    if (link === undefined) {
      const target = this.targets.get(server);
      if (target === undefined) return undefined;
      link = new HomeLink(target);
      this.links.set(server, link);
    }
    return link;
  }

  /** Binds the link's socket: to the port it had before when the database knows one. */
  private open(link: HomeLink): Promise<void> {
    link.ready ??= (async () => {
      const t = link.target;
      const address = isIP(t.host) ? t.host : (await lookup(t.host)).address;
      const family = isIP(address) === 6 ? 'udp6' : 'udp4';
      const known = this.queue.sourcePort(t.name);
      let socket: Socket;
      try {
        socket = await bindUdp(family, known ?? 0);
      } catch (err) {
        if (known === undefined) throw new RadiusSocketError(`${t.host}:${t.port}`, { cause: err });
        // Taken by someone else: records in flight at the last stop may reach the home server twice.
        this.options.logger?.warn(
          { server: t.name, port: known, error: (err as Error).message },
          'accounting source port not available again: a record in flight at the last stop may be recorded twice',
        );
        socket = await bindUdp(family, 0);
      }
      socket.unref();
      const port = socket.address().port;
      if (port !== known) this.queue.saveSourcePort(t.name, port);
      link.address = address;
      link.socket = socket;
      socket.on('message', (data: Buffer, remote: RemoteInfo) => this.onReply(link, data, remote));
      socket.on('error', (err: Error) =>
        this.options.logger?.warn(
          { server: t.name, error: err.message },
          'accounting forwarder socket error',
        ),
      );
      if (this.closed) socket.close();
    })();
    // A failed lookup or bind is tried again with the next record, not remembered for good.
    link.ready.catch(() => {
      link.ready = undefined;
    });
    return link.ready;
  }

  /** Sends the same bytes until the home server answers or the retransmissions run out. */
  private transmit(link: HomeLink, seq: number, wire: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const id = wire[1];
      const p: Pending = {
        seq,
        wire,
        resolve,
        reject,
        timer: undefined,
        sent: 0,
        waitMs: this.options.timeoutMs,
      };
      link.pending.set(id, p);
      this.transmitOnce(link, id, p);
    });
  }

  private transmitOnce(link: HomeLink, id: number, p: Pending): void {
    if (link.closed || link.socket === undefined) return;
    p.sent++;
    link.socket.send(p.wire, link.target.port, link.address);
    p.timer = setTimeout(() => {
      if (link.pending.get(id) !== p) return;
      if (p.sent > this.options.retries) {
        link.pending.delete(id);
        p.reject(new RadiusTimeoutError(`${link.target.host}:${link.target.port}`, p.sent));
        return;
      }
      p.waitMs *= 2;
      this.transmitOnce(link, id, p);
    }, p.waitMs);
  }

  private onReply(link: HomeLink, data: Buffer, remote: RemoteInfo): void {
    if (remote.port !== link.target.port || remote.address !== link.address) return;
    if (data.length < 20 || data[0] !== ACCOUNTING_RESPONSE) return;
    const p = link.pending.get(data[1]);
    if (p === undefined) return;
    const length = data.readUInt16BE(2);
    // RFC 2866 §3: the Response Authenticator over the request's authenticator and our shared secret.
    if (!verifyReplyBytes(data, length, p.wire, link.target.secret)) {
      this.options.onInvalidReply?.(link.target.name);
      return;
    }
    link.pending.delete(data[1]);
    if (p.timer) clearTimeout(p.timer);
    p.resolve();
  }
}

function bindUdp(family: 'udp4' | 'udp6', port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: family, lookup: numericLookup });
    socket.once('error', reject);
    socket.bind(port, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
