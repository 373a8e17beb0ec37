// A small RADIUS server for client tests: node:dgram plus the codec, with a pluggable decision
// per request (answer, drop, or send something else), on loopback with a kernel-chosen port.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  ACCESS_ACCEPT,
  ACCESS_REQUEST,
  ACCOUNTING_REQUEST,
  COA_ACK,
  COA_REQUEST,
  DISCONNECT_ACK,
  DISCONNECT_REQUEST,
  STATUS_SERVER,
} from '../../src/protocol/codes.js';
import { decodeRequest, type Packet } from '../../src/protocol/packet.js';

/** One request as the test server received it. */
export interface Seen {
  raw: Buffer;
  packet: Packet;
  remote: RemoteInfo;
}

/** What a handler returns: a reply packet, raw bytes, or null to stay silent. */
export type Answer = Packet | Buffer | null;

/** Decides the answer to one verified request. */
export type Handler = (seen: Seen, server: TestServer) => Answer;

/** The default answer: Accept echoing User-Name, Accounting-Response, ACKs, Status-Server Accept. */
export function defaultAnswer({ packet }: Seen): Answer {
  switch (packet.code) {
    case ACCESS_REQUEST:
      return packet.createReply(ACCESS_ACCEPT, [
        ['Reply-Message', `hello ${String(packet.get('User-Name'))}`],
      ]);
    case ACCOUNTING_REQUEST:
      return packet.createReply();
    case STATUS_SERVER:
      return packet.createReply(ACCESS_ACCEPT);
    case COA_REQUEST:
      return packet.createReply(COA_ACK);
    case DISCONNECT_REQUEST:
      return packet.createReply(DISCONNECT_ACK);
    default:
      return null;
  }
}

/** Options of a test server. */
export interface TestServerOptions {
  /** A loopback address: 127.0.0.1 (default), another of 127/8, or ::1. */
  host?: string;
  /** Port to bind; default: one the kernel picks. */
  port?: number;
  secret?: string;
  handler?: Handler;
  /** Hold each reply this many milliseconds (replies are flushed in batches by one timer). */
  delayMs?: number;
  /** Drop this share (0..1) of the datagrams received, unseen, as a lossy path or a full server would. */
  dropRate?: number;
  /** Seed of the drop decisions, so a run can be repeated. */
  seed?: number;
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A RADIUS server on loopback that records what it gets. */
export class TestServer {
  readonly socket: Socket;
  readonly host: string;
  readonly secret: string;
  handler: Handler;
  port = 0;
  /** Every verified request, in arrival order. */
  readonly seen: Seen[] = [];
  /** Datagrams that did not decode with the secret. */
  undecodable = 0;
  /** Keep `seen` (turn off for load tests). */
  record = true;
  /** Called for every verified request before the handler. */
  onRequest: ((seen: Seen) => void) | undefined;
  private readonly delayMs: number;
  private held: Array<{ data: Buffer; remote: RemoteInfo; seen: Seen }> = [];
  private timer: NodeJS.Timeout | undefined;
  /** Called when a held reply is sent. */
  onReplySent: ((seen: Seen) => void) | undefined;
  /** Datagrams dropped by `dropRate`. */
  dropped = 0;
  /** Requests answered and not yet replied to (held by `delayMs`), now and at most. */
  outstanding = 0;
  maxOutstanding = 0;
  private readonly dropRate: number;
  private readonly random: () => number;
  private readonly bindPort: number;

  private constructor(opts: TestServerOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.secret = opts.secret ?? 'testing123';
    this.handler = opts.handler ?? defaultAnswer;
    this.delayMs = opts.delayMs ?? 0;
    this.dropRate = opts.dropRate ?? 0;
    this.random = seededRandom(opts.seed ?? 1);
    this.bindPort = opts.port ?? 0;
    const v6 = this.host.includes(':');
    this.socket = createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
    this.socket.on('message', (data, remote) => this.onMessage(data, remote));
    this.socket.on('error', () => {});
  }

  /** Starts a server on a free port. */
  static async start(opts: TestServerOptions = {}): Promise<TestServer> {
    const s = new TestServer(opts);
    await new Promise<void>((resolve, reject) => {
      // A port in use: nothing stays open.
      const failed = (err: Error) => {
        s.socket.close();
        reject(err);
      };
      s.socket.once('error', failed);
      s.socket.bind(s.bindPort, s.host, () => {
        s.socket.off('error', failed);
        resolve();
      });
    });
    s.socket.setRecvBufferSize(4 * 1024 * 1024);
    s.socket.setSendBufferSize(4 * 1024 * 1024);
    s.port = s.socket.address().port;
    return s;
  }

  /** Sends raw bytes from this server's socket. */
  send(data: Buffer, remote: { port: number; address: string }): void {
    this.socket.send(data, remote.port, remote.address);
  }

  private onMessage(data: Buffer, remote: RemoteInfo): void {
    if (this.dropRate > 0 && this.random() < this.dropRate) {
      this.dropped++;
      return;
    }
    let packet: Packet;
    try {
      packet = decodeRequest(this.secret, data);
    } catch {
      this.undecodable++;
      return;
    }
    const seen: Seen = { raw: Buffer.from(data), packet, remote };
    if (this.record) this.seen.push(seen);
    this.onRequest?.(seen);
    const answer = this.handler(seen, this);
    if (answer === null) return;
    const bytes = Buffer.isBuffer(answer) ? answer : answer.encode();
    if (this.delayMs <= 0) {
      this.send(bytes, remote);
      this.onReplySent?.(seen);
      return;
    }
    this.held.push({ data: bytes, remote, seen });
    if (++this.outstanding > this.maxOutstanding) this.maxOutstanding = this.outstanding;
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  private flush(): void {
    this.timer = undefined;
    const held = this.held;
    this.held = [];
    this.outstanding -= held.length;
    for (const h of held) {
      this.send(h.data, h.remote);
      this.onReplySent?.(h.seen);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.socket.close();
  }
}

/** Waits until `check()` is true, polling every 10 ms, at most `ms` milliseconds. */
export async function waitFor(check: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}
