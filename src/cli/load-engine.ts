// The load engine behind `aioradius bench` and the benchmarks in bench/: PAP Access-Requests or
// Accounting-Requests, many in flight per socket, at fixed concurrency or fixed rate, for a duration or
// a count, every reply verified.
//
// Built to measure servers, not itself. Each in-flight slot (slot = socket × 256 + identifier) owns a
// preallocated packet patched in place for every request: a fresh Request Authenticator with the
// User-Password re-hidden and the Message-Authenticator re-signed (auth), or a new Acct-Session-Id and
// the RFC 2866 §3 Request Authenticator (acct), with the codec's allocation-free in-place paths.
// It sends over the client engine's connections (src/transport/connection.ts): connected UDP
// sockets, or TCP/TLS streams; there is one packet handler per connection and one timer for
// timeouts, and no closure, promise or timer per request. Latencies go to a fixed-size log-linear
// histogram.
import { randomFillSync } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { signMessageAuthenticatorInPlace, signPacket, verifyReplyBytes } from '../protocol/authenticator.js';
import type { ConnectionOptions } from 'node:tls';
import { hiddenPasswordLength, hideUserPasswordInto } from '../protocol/crypt.js';
import {
  type Connection,
  type ConnectionEvents,
  DatagramConnection,
  FramedStream,
} from '../transport/connection.js';

/** What the engine sends: PAP Access-Requests or Accounting-Requests. */
export type LoadKind = 'auth' | 'acct';

/** What to send, where, how hard and for how long. */
export interface LoadEngineOptions {
  /** Server address literal (IPv4 or IPv6); default 127.0.0.1. */
  host?: string;
  port: number;
  secret: string;
  /** Default 'auth'. */
  kind?: LoadKind;
  /** User-Name (default 'bench'). */
  user?: string;
  /** User-Password of auth requests (default 'bench'). */
  password?: string;
  /** Most requests outstanding at once (default 256). */
  concurrency?: number;
  /**
   * UDP sockets, or TCP/TLS connections, to spread them over, at most 256 requests each (default:
   * one per 128, so that an identifier rests while the other half is used).
   */
  sockets?: number;
  /** 'udp' (default), 'tcp' (RFC 6613) or 'tls' (RFC 6614). */
  transport?: 'udp' | 'tcp' | 'tls';
  /** TLS: `node:tls` connection options (ca, cert, key...). */
  tls?: ConnectionOptions;
  /** Requests started per second; 0 (default) starts one whenever a slot is free. */
  rate?: number;
  /** Seconds of load after the warm-up; 0 means no time limit (then `count` must be set). Default 5. */
  seconds?: number;
  /** Requests in all, warm-up included; 0 (default) means no limit. */
  count?: number;
  /** Seconds of load before measuring starts (default 0): lets a server's JIT settle. */
  warmupSeconds?: number;
  /** Milliseconds to wait for each try (default 2000). */
  timeoutMs?: number;
  /**
   * Transmissions per request in all, retransmissions resending the same bytes (default 1). Over
   * TCP/TLS nothing is resent on a live connection (RFC 6613 §2.6): a request waits `tries`
   * times `timeoutMs`.
   */
  tries?: number;
  /** NAS-Identifier of every request (default 'aioradius-bench'). */
  nasIdentifier?: string;
  /** NAS-IP-Address of every request (IPv4; none by default). */
  nasIp?: string;
  /** Acct-Session-Id prefix (default: unique per process and start time); a 12-digit counter follows. */
  sessionPrefix?: string;
}

/** Latency figures in milliseconds. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** One bin of a latency chart: replies at most `upToMs` (and above the previous bin's bound). */
export interface LatencyBin {
  upToMs: number;
  count: number;
}

/** What a run measured. */
export interface LoadReport {
  kind: LoadKind;
  transport: 'udp' | 'tcp' | 'tls';
  concurrency: number;
  /** UDP sockets or TCP/TLS connections. */
  sockets: number;
  rate: number;
  /** Wall time from the first request to the end of the run, warm-up and drain included. */
  elapsedSeconds: number;
  /**
   * The measuring window: from the end of the warm-up to the end of the load (duration) or to the
   * last reply (count).
   */
  windowSeconds: number;
  /** Distinct requests started (retransmissions not included). */
  requests: number;
  /** Datagrams sent (requests plus retransmissions). */
  transmissions: number;
  /** Requests answered with a valid reply. */
  answered: number;
  /** Valid replies inside the measuring window: `windowReplies / windowSeconds` is {@link rps}. */
  windowReplies: number;
  /** Access-Accept (auth) or Accounting-Response (acct). */
  accepts: number;
  /** Access-Reject. */
  rejects: number;
  /** Valid replies of another code (e.g. Access-Challenge). */
  others: number;
  /** Replies that failed verification (forged, corrupt, or a late answer to a request given up on). */
  bad: number;
  /** Replies whose identifier matched no outstanding request (e.g. a second answer to a retransmission). */
  stray: number;
  /** Requests left unanswered after every try. */
  timeouts: number;
  /** TCP/TLS connections that closed during the run (no request started on them after). */
  connectionsLost: number;
  /** Valid replies per second in the measuring window. */
  rps: number;
  /** Latency (first transmission to reply) of the replies after the warm-up. */
  latencyMs: LatencySummary;
  /** The same latencies in bins, for a chart (see LatencyHistogram.bins). */
  latencyBins: LatencyBin[];
}

/** A live view for progress lines; the interval figures cover the time since the previous call. */
export interface LoadProgress {
  elapsedSeconds: number;
  requests: number;
  answered: number;
  timeouts: number;
  rejects: number;
  bad: number;
  intervalRate: number;
  intervalP50: number;
  intervalP99: number;
}

const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const ACCOUNTING_REQUEST = 4;
const ACCOUNTING_RESPONSE = 5;
const ACCESS_CHALLENGE = 11;
const MESSAGE_AUTHENTICATOR = 80;
const SLOTS_PER_SOCKET = 256;
/**
 * Requests in flight per socket by default: half the identifiers. A freed identifier then waits for
 * the others before it is reused, so a server that still holds the previous request with that
 * identifier (FreeRADIUS drops such a "conflicting packet") does not see it again at once.
 */
const DEFAULT_PER_SOCKET = 128;
/** Requests each socket sends before its first reply (see the slow start in run()). */
const INITIAL_WINDOW = 32;
const SESSION_DIGITS = 12;
const ZERO16 = new Uint8Array(16);

/**
 * Latencies in microseconds, log-linear: exact below 128 µs, then 128 buckets per power of two
 * (under 0.8% error), up to 2^31 µs. Fixed memory whatever the run length.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(128 * 25);
  count = 0;
  private sum = 0;
  private maxUs = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    let us = Math.round(ms * 1000);
    if (!(us >= 0)) us = 0;
    if (us > 0x7fffffff) us = 0x7fffffff;
    let index = us;
    if (us >= 128) {
      const e = 31 - Math.clz32(us);
      index = (e - 6) * 128 + (us >>> (e - 7)) - 128;
    }
    this.counts[index]++;
    this.count++;
    this.sum += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** The value in milliseconds below which a fraction `q` (0..1) of the samples lie; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(bucketMiddle(i), this.maxUs) / 1000;
    }
    return this.maxUs / 1000;
  }

  /** The largest sample in milliseconds. */
  max(): number {
    return this.maxUs / 1000;
  }

  /** The mean in milliseconds. */
  mean(): number {
    return this.count ? this.sum / this.count / 1000 : 0;
  }

  /** p50/p90/p99/max/mean, rounded to the microsecond. */
  summary(): LatencySummary {
    return {
      p50: round3(this.quantile(0.5)),
      p90: round3(this.quantile(0.9)),
      p99: round3(this.quantile(0.99)),
      max: round3(this.max()),
      mean: round3(this.mean()),
    };
  }

  /**
   * The samples in coarse bins for a chart: four per doubling of the latency (each bin's upper
   * bound in milliseconds, and its count), from the first non-empty bin to the last.
   */
  bins(): LatencyBin[] {
    const byBin = new Map<number, number>();
    for (let i = 0; i < this.counts.length; i++) {
      const n = this.counts[i];
      if (n === 0) continue;
      const us = Math.max(1, bucketMiddle(i));
      const b = Math.floor(Math.log2(us) * 4);
      byBin.set(b, (byBin.get(b) ?? 0) + n);
    }
    if (byBin.size === 0) return [];
    const keys = [...byBin.keys()];
    const lo = Math.min(...keys);
    const hi = Math.max(...keys);
    const out: LatencyBin[] = [];
    for (let b = lo; b <= hi; b++)
      out.push({ upToMs: round3(2 ** ((b + 1) / 4) / 1000), count: byBin.get(b) ?? 0 });
    return out;
  }

  /** Forgets every sample. */
  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.maxUs = 0;
  }
}

function bucketMiddle(index: number): number {
  if (index < 128) return index;
  const e = (index >>> 7) + 6;
  const width = 2 ** (e - 7);
  return ((index & 127) + 128) * width + Math.floor(width / 2);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** A packet every slot starts from, and where the per-request fields are. */
interface Template {
  packet: Buffer;
  /** Offset of the Message-Authenticator value (auth) or -1. */
  maOffset: number;
  /** Offset of the hidden User-Password (auth) or -1. */
  pwOffset: number;
  /** The password (auth). */
  plain: Buffer;
  /** Offset of the Acct-Session-Id counter digits (acct) or -1. */
  sessionOffset: number;
}

function ipv4Bytes(text: string): number[] {
  const ip = text.split('.').map(Number);
  if (ip.length !== 4 || ip.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new RangeError(`NAS-IP-Address ${text} is not an IPv4 address`);
  }
  return ip;
}

/** Appends attribute `type` with `value` at `p`; returns the offset after it. */
function putAttribute(pkt: Buffer, p: number, type: number, value: Uint8Array): number {
  pkt[p] = type;
  pkt[p + 1] = 2 + value.length;
  pkt.set(value, p + 2);
  return p + 2 + value.length;
}

function checkText(what: string, value: Buffer, min: number, max: number): void {
  if (value.length < min || value.length > max) throw new RangeError(`${what} must be ${min}..${max} bytes`);
}

/**
 * Access-Request: Message-Authenticator first (RFC 3579 §3.2, so its offset is fixed), User-Name,
 * User-Password, NAS-Identifier, NAS-IP-Address.
 * Accounting-Request: Acct-Status-Type Start, Acct-Session-Id (prefix + counter), User-Name,
 * NAS-Identifier, NAS-IP-Address, NAS-Port (the slot).
 */
function buildTemplate(o: Required<LoadEngineOptions>): Template {
  const user = Buffer.from(o.user, 'utf8');
  const nasId = Buffer.from(o.nasIdentifier, 'utf8');
  checkText('the user name', user, 1, 253);
  checkText('NAS-Identifier', nasId, 0, 253);
  const ip = o.nasIp ? Buffer.from(ipv4Bytes(o.nasIp)) : undefined;
  const tail = (nasId.length ? 2 + nasId.length : 0) + (ip ? 6 : 0);
  if (o.kind === 'auth') {
    const password = Buffer.from(o.password, 'utf8');
    // RFC 2865 §5.2: at most 128 octets.
    checkText('the password', password, 0, 128);
    const padded = hiddenPasswordLength(password.length);
    const length = 20 + 18 + (2 + user.length) + (2 + padded) + tail;
    const pkt = Buffer.alloc(length);
    pkt[0] = ACCESS_REQUEST;
    pkt.writeUInt16BE(length, 2);
    let p = putAttribute(pkt, 20, MESSAGE_AUTHENTICATOR, ZERO16);
    p = putAttribute(pkt, p, 1, user);
    const pwOffset = p + 2;
    p = putAttribute(pkt, p, 2, Buffer.alloc(padded));
    if (nasId.length) p = putAttribute(pkt, p, 32, nasId);
    if (ip) p = putAttribute(pkt, p, 4, ip);
    return { packet: pkt, maOffset: 22, pwOffset, plain: password, sessionOffset: -1 };
  }
  const prefix = Buffer.from(o.sessionPrefix, 'utf8');
  checkText('the session prefix', prefix, 0, 253 - SESSION_DIGITS);
  const length = 20 + 6 + (2 + prefix.length + SESSION_DIGITS) + (2 + user.length) + tail + 6;
  const pkt = Buffer.alloc(length);
  pkt[0] = ACCOUNTING_REQUEST;
  pkt.writeUInt16BE(length, 2);
  let p = putAttribute(pkt, 20, 40, Buffer.from([0, 0, 0, 1])); // Acct-Status-Type = Start
  const sessionOffset = p + 2 + prefix.length;
  p = putAttribute(pkt, p, 44, Buffer.concat([prefix, Buffer.alloc(SESSION_DIGITS, 0x30)]));
  p = putAttribute(pkt, p, 1, user);
  if (nasId.length) p = putAttribute(pkt, p, 32, nasId);
  if (ip) p = putAttribute(pkt, p, 4, ip);
  putAttribute(pkt, p, 5, Buffer.alloc(4)); // NAS-Port, set per slot
  return { packet: pkt, maOffset: -1, pwOffset: -1, plain: Buffer.alloc(0), sessionOffset };
}

function withDefaults(o: LoadEngineOptions): Required<LoadEngineOptions> {
  const concurrency = o.concurrency ?? 256;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 65_536) {
    throw new RangeError('concurrency must be an integer in 1..65536');
  }
  const sockets = o.sockets ?? Math.ceil(concurrency / DEFAULT_PER_SOCKET);
  if (!Number.isInteger(sockets) || sockets < 1 || sockets > concurrency) {
    throw new RangeError('sockets must be an integer in 1..concurrency');
  }
  if (Math.ceil(concurrency / sockets) > SLOTS_PER_SOCKET) {
    throw new RangeError('at most 256 requests in flight per socket (one per identifier)');
  }
  const seconds = o.seconds ?? 5;
  const count = o.count ?? 0;
  if (!(seconds >= 0 && seconds <= 86_400)) throw new RangeError('seconds must be in 0..86400');
  if (!(Number.isInteger(count) && count >= 0)) throw new RangeError('count must be a whole number');
  if (seconds === 0 && count === 0) throw new RangeError('give a duration, a count, or both');
  const rate = o.rate ?? 0;
  if (!(rate >= 0 && Number.isFinite(rate))) throw new RangeError('rate must be a non-negative number');
  const timeoutMs = o.timeoutMs ?? 2000;
  if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
  const tries = o.tries ?? 1;
  if (!Number.isInteger(tries) || tries < 1 || tries > 255) throw new RangeError('tries must be in 1..255');
  const warmupSeconds = o.warmupSeconds ?? 0;
  if (!(warmupSeconds >= 0)) throw new RangeError('warmupSeconds must not be negative');
  const transport = o.transport ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls')
    throw new RangeError('transport must be udp, tcp or tls');
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port,
    secret: o.secret,
    kind: o.kind ?? 'auth',
    user: o.user ?? 'bench',
    password: o.password ?? 'bench',
    concurrency,
    sockets,
    transport,
    tls: o.tls ?? {},
    rate,
    seconds,
    count,
    warmupSeconds,
    timeoutMs,
    tries,
    nasIdentifier: o.nasIdentifier ?? 'aioradius-bench',
    nasIp: o.nasIp ?? '',
    sessionPrefix: o.sessionPrefix ?? `bench-${process.pid}-${Date.now().toString(36)}-`,
  };
}

/**
 * One load run: open() the sockets, then run() once. Methods are the only callbacks; stop() ends the
 * load early (the requests in flight still get their time to come back).
 */
export class LoadEngine {
  private readonly o: Required<LoadEngineOptions>;
  private readonly isAuth: boolean;
  private readonly secret: Buffer;
  private readonly random = Buffer.allocUnsafe(16 * 4096);
  private randomPos: number;
  private readonly template: Template;

  /** One packet per slot; bytes 4..20 keep the authenticator its reply is checked against. */
  private readonly packets: Buffer[] = [];
  private readonly firstSent: Float64Array;
  private readonly lastSent: Float64Array;
  private readonly busy: Uint8Array;
  private readonly triesLeft: Uint8Array;
  /** The connections (UDP sockets or TCP/TLS streams), slot = connection × 256 + identifier. */
  private readonly sockets: Connection[] = [];
  /** True over TCP/TLS: nothing is retransmitted (RFC 6613 §2.6). */
  private readonly stream: boolean;
  /** Per socket: requests in flight, how many it may have (slow start), and at full load. */
  private readonly inFlight: Int32Array;
  private readonly window: Int32Array;
  private readonly target: Int32Array;
  /**
   * Per socket, the free identifiers in a ring (first freed, first reused): 256 entries from
   * `socket × 256`, the oldest at `head`, `freeCount` of them.
   */
  private readonly freeRing: Uint8Array;
  private readonly freeHead: Int32Array;
  private readonly freeCount: Int32Array;
  /** Fixed rate: the socket to try first for the next request. */
  private nextSocket = 0;
  private paceTimer: NodeJS.Timeout | undefined;

  private live = false;
  /** Streams that dropped during the run. */
  private lost = 0;
  private stopRequested = false;
  private closed = false;
  private startTime = 0;
  private windowStart = 0;
  private windowEnd = Number.POSITIVE_INFINITY;
  private lastReply = 0;
  private outstanding = 0;
  private sessionSeq = 0;
  private finish: (() => void) | undefined;

  private readonly latency = new LatencyHistogram();
  private readonly interval = new LatencyHistogram();
  private intervalAnswered = 0;
  private intervalTime = 0;
  private requests = 0;
  private transmissions = 0;
  private answered = 0;
  private windowReplies = 0;
  private accepts = 0;
  private rejects = 0;
  private others = 0;
  private bad = 0;
  private stray = 0;
  private timeouts = 0;

  constructor(options: LoadEngineOptions) {
    const o = withDefaults(options);
    this.o = o;
    this.isAuth = o.kind === 'auth';
    this.stream = o.transport !== 'udp';
    this.secret = Buffer.from(o.secret, 'utf8');
    this.template = buildTemplate(o);
    const slots = o.sockets * SLOTS_PER_SOCKET;
    for (let i = 0; i < slots; i++) {
      const pkt = Buffer.from(this.template.packet);
      pkt[1] = i & 0xff;
      if (!this.isAuth) pkt.writeUInt32BE(i, pkt.length - 4);
      this.packets.push(pkt);
    }
    this.firstSent = new Float64Array(slots);
    this.lastSent = new Float64Array(slots);
    this.busy = new Uint8Array(slots);
    this.triesLeft = new Uint8Array(slots);
    this.inFlight = new Int32Array(o.sockets);
    this.window = new Int32Array(o.sockets);
    this.target = new Int32Array(o.sockets);
    // Spread evenly: 300 over 3 sockets is 100 each.
    for (let s = 0; s < o.sockets; s++) {
      this.target[s] = Math.floor(o.concurrency / o.sockets) + (s < o.concurrency % o.sockets ? 1 : 0);
      // Fixed rate paces the start itself; fixed concurrency opens with a few (see run()).
      this.window[s] = o.rate > 0 ? this.target[s] : Math.min(INITIAL_WINDOW, this.target[s]);
    }
    this.freeRing = new Uint8Array(slots);
    for (let i = 0; i < slots; i++) this.freeRing[i] = i & 0xff;
    this.freeHead = new Int32Array(o.sockets);
    this.freeCount = new Int32Array(o.sockets).fill(SLOTS_PER_SOCKET);
    this.randomPos = this.random.length;
  }

  /** Creates and connects the sockets (or streams); rejects when one cannot be made. */
  async open(): Promise<void> {
    const { host, port, transport } = this.o;
    const family = isIPv6(host) ? 'udp6' : 'udp4';
    const ups: Promise<void>[] = [];
    for (let s = 0; s < this.o.sockets; s++) {
      let up: () => void = () => {};
      let failed: (err: Error) => void = () => {};
      ups.push(
        new Promise<void>((resolve, reject) => {
          up = resolve;
          failed = reject;
        }),
      );
      const base = s * SLOTS_PER_SOCKET;
      let isUp = false;
      // One handler object per connection; it carries the slot base, nothing per request.
      const events: ConnectionEvents = {
        onPacket: (data: Buffer) => this.onReply(data, base, s),
        onUp: () => {
          isUp = true;
          up();
        },
        onError: (err, kind) => {
          // After the bind, ICMP port unreachable and the like: the requests concerned time out.
          if (kind === 'bind') failed(err);
        },
        onClosed: (err) => {
          if (!isUp) failed(err ?? new Error(`the ${transport.toUpperCase()} connection closed`));
          else this.connectionLost(s);
        },
      };
      this.sockets.push(
        transport === 'udp'
          ? new DatagramConnection(
              {
                address: host,
                port,
                family,
                recvBufferSize: 4 << 20,
                sendBufferSize: 4 << 20,
                connected: true,
              },
              events,
            )
          : new FramedStream({ transport, address: host, port, tls: this.o.tls }, events),
      );
    }
    // The connections are unref'd: this timer keeps the process alive meanwhile, and bounds the wait.
    const waitMs = Math.max(5000, this.o.timeoutMs * this.o.tries);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no connection to ${host}:${port} within ${waitMs} ms`)),
        waitMs,
      );
    });
    try {
      await Promise.race([Promise.all(ups), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A stream dropped during the run: no new request goes on it (those in flight time out and are
   * counted); with none left, the load stops.
   */
  private connectionLost(s: number): void {
    this.target[s] = 0;
    this.window[s] = 0;
    if (++this.lost === this.sockets.length) this.stop();
  }

  /** Sends the load; resolves once every request is answered or has timed out. Closes the sockets. */
  async run(): Promise<LoadReport> {
    if (this.sockets.length !== this.o.sockets || this.closed) throw new Error('LoadEngine: open() first');
    if (this.startTime !== 0) throw new Error('LoadEngine: run() once');
    const { warmupSeconds, seconds, timeoutMs } = this.o;
    const start = performance.now();
    this.startTime = start;
    this.intervalTime = start;
    this.windowStart = start + warmupSeconds * 1000;
    if (seconds > 0) this.windowEnd = this.windowStart + seconds * 1000;
    this.live = !this.stopRequested;
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    if (this.o.rate > 0) this.pace();
    else {
      // Slow start: a burst of 256 datagrams can overflow a receive buffer left at the kernel's
      // default (about 190 small datagrams), so each socket opens with a few requests and starts one
      // more with every reply until it reaches its share.
      for (let s = 0; s < this.sockets.length; s++) {
        while (this.inFlight[s] < this.window[s] && this.canStart()) this.startOn(s);
      }
    }
    const sweepMs = Math.max(5, Math.min(100, timeoutMs / 4));
    const timer = setInterval(() => this.sweep(performance.now()), sweepMs);
    this.checkDone();
    try {
      await done;
    } finally {
      clearInterval(timer);
      if (this.paceTimer) clearTimeout(this.paceTimer);
      this.close();
    }
    return this.report(performance.now());
  }

  /** Closes the sockets (run() does this when it ends). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.close();
  }

  /** Starts no more requests; run() resolves once those in flight are answered or timed out. */
  stop(): void {
    this.stopRequested = true;
    if (!this.live) return;
    this.live = false;
    const now = performance.now();
    if (now < this.windowEnd) this.windowEnd = Math.max(now, this.windowStart);
    this.checkDone();
  }

  /** Counters so far, and the rate and latency since the previous call. */
  progress(): LoadProgress {
    const now = performance.now();
    const dt = (now - this.intervalTime) / 1000;
    const p: LoadProgress = {
      elapsedSeconds: (now - this.startTime) / 1000,
      requests: this.requests,
      answered: this.answered,
      timeouts: this.timeouts,
      rejects: this.rejects,
      bad: this.bad,
      intervalRate: dt > 0 ? (this.answered - this.intervalAnswered) / dt : 0,
      intervalP50: this.interval.quantile(0.5),
      intervalP99: this.interval.quantile(0.99),
    };
    this.interval.clear();
    this.intervalAnswered = this.answered;
    this.intervalTime = now;
    return p;
  }

  private canStart(): boolean {
    return this.live && (this.o.count === 0 || this.requests < this.o.count);
  }

  /** Ends the load when it is over (time or count), and the run once nothing is outstanding. */
  private checkDone(): void {
    if (this.live && !this.canStart()) this.live = false;
    if (!this.live && this.outstanding === 0 && this.finish) {
      const f = this.finish;
      this.finish = undefined;
      f();
    }
  }

  private nextAuthenticator(pkt: Buffer): void {
    if (this.randomPos + 16 > this.random.length) {
      randomFillSync(this.random);
      this.randomPos = 0;
    }
    this.random.copy(pkt, 4, this.randomPos, this.randomPos + 16);
    this.randomPos += 16;
  }

  /** Starts a request on socket `s` with its longest-free identifier. */
  private startOn(s: number): void {
    const b = s * SLOTS_PER_SOCKET;
    const head = this.freeHead[s];
    const id = this.freeRing[b + head];
    this.freeHead[s] = (head + 1) & 0xff;
    this.freeCount[s]--;
    this.inFlight[s]++;
    this.startRequest(b + id);
  }

  /** Returns slot `slot`'s identifier to its socket's ring. */
  private release(slot: number, s: number): void {
    this.busy[slot] = 0;
    this.outstanding--;
    this.inFlight[s]--;
    this.freeRing[s * SLOTS_PER_SOCKET + ((this.freeHead[s] + this.freeCount[s]) & 0xff)] = slot & 0xff;
    this.freeCount[s]++;
  }

  /** Patches slot `slot`'s packet for a new request and sends it. */
  private startRequest(slot: number): void {
    const pkt = this.packets[slot];
    const t = this.template;
    if (this.isAuth) {
      this.nextAuthenticator(pkt);
      hideUserPasswordInto(t.plain, this.secret, pkt, 4, pkt, t.pwOffset);
      signMessageAuthenticatorInPlace(pkt, pkt.length, t.maOffset, this.secret);
    } else {
      // A new session per request, so that every one is a new record.
      let v = this.sessionSeq++;
      for (let i = t.sessionOffset + SESSION_DIGITS - 1; i >= t.sessionOffset; i--) {
        pkt[i] = 0x30 + (v % 10);
        v = Math.floor(v / 10);
      }
      signPacket(pkt, pkt.length, undefined, this.secret);
    }
    const now = performance.now();
    this.busy[slot] = 1;
    this.triesLeft[slot] = this.o.tries - 1;
    this.firstSent[slot] = now;
    this.lastSent[slot] = now;
    this.outstanding++;
    this.requests++;
    this.transmissions++;
    this.sockets[slot >>> 8].send(pkt);
  }

  /** Fixed rate: starts every request that is due and has a free slot, then waits for the next one. */
  private pace(): void {
    this.paceTimer = undefined;
    if (!this.canStart()) {
      this.checkDone();
      return;
    }
    const now = performance.now();
    if (now >= this.windowEnd) {
      this.stop();
      return;
    }
    const rate = this.o.rate;
    // Request n is due at start + n / rate.
    let due = Math.floor(((now - this.startTime) * rate) / 1000) + 1;
    if (this.o.count) due = Math.min(due, this.o.count);
    const n = this.sockets.length;
    let full = 0;
    // Round robin over the sockets that have room; stop when all are full.
    while (this.requests < due && full < n) {
      const s = this.nextSocket;
      this.nextSocket = s + 1 === n ? 0 : s + 1;
      if (this.inFlight[s] < this.target[s]) {
        this.startOn(s);
        full = 0;
      } else full++;
    }
    this.checkDone();
    if (!this.canStart() || this.requests < due) return; // finished, or waiting for a free slot
    const next = this.startTime + (this.requests * 1000) / rate;
    this.paceTimer = setTimeout(() => this.pace(), Math.max(0, next - performance.now()));
  }

  private onReply(msg: Buffer, base: number, socketIndex: number): void {
    const n = msg.length;
    if (n < 20) {
      this.bad++;
      return;
    }
    const slot = base + msg[1];
    if (this.busy[slot] === 0) {
      this.stray++;
      return;
    }
    const length = (msg[2] << 8) | msg[3];
    if (length < 20 || length > n || !this.verify(msg, length, this.packets[slot])) {
      this.bad++;
      return;
    }
    const now = performance.now();
    this.release(slot, socketIndex);
    this.answered++;
    this.lastReply = now;
    const code = msg[0];
    if (code === ACCESS_ACCEPT || code === ACCOUNTING_RESPONSE) this.accepts++;
    else if (code === ACCESS_REJECT) this.rejects++;
    else this.others++;
    if (now >= this.windowStart) {
      const ms = now - this.firstSent[slot];
      this.latency.record(ms);
      this.interval.record(ms);
      if (now <= this.windowEnd) this.windowReplies++;
    }
    this.next(socketIndex, now);
  }

  /** A request ended on socket `s`: start the next one there (fixed concurrency) or let the pacer. */
  private next(s: number, now: number): void {
    if (this.live && now >= this.windowEnd) this.stop();
    if (this.o.rate > 0) {
      if (this.live && this.paceTimer === undefined) this.pace();
      else this.checkDone();
      return;
    }
    // Slow start: every reply opens the window by one until the socket runs its full share.
    if (this.window[s] < this.target[s]) this.window[s]++;
    while (this.inFlight[s] < this.window[s] && this.canStart()) this.startOn(s);
    this.checkDone();
  }

  /** The reply code fits the request, and the reply verifies against the request's bytes. */
  private verify(msg: Buffer, length: number, request: Buffer): boolean {
    const code = msg[0];
    if (
      this.isAuth
        ? code !== ACCESS_ACCEPT && code !== ACCESS_REJECT && code !== ACCESS_CHALLENGE
        : code !== ACCOUNTING_RESPONSE
    ) {
      return false;
    }
    return verifyReplyBytes(msg, length, request, this.secret);
  }

  /** Retransmits or gives up on requests whose try has timed out. */
  private sweep(now: number): void {
    if (this.live && now >= this.windowEnd) this.stop();
    // Over a stream a request is not resent: it gets the time of every try at once.
    const limit = now - (this.stream ? this.o.timeoutMs * this.o.tries : this.o.timeoutMs);
    for (let s = 0; s < this.sockets.length; s++) {
      const b = s * SLOTS_PER_SOCKET;
      for (let i = 0; i < SLOTS_PER_SOCKET; i++) {
        const slot = b + i;
        if (this.busy[slot] === 0 || this.lastSent[slot] > limit) continue;
        if (this.triesLeft[slot] > 0 && !this.stream) {
          // RFC 5080 §2.2.1: a retransmission is the same packet, same identifier and authenticator.
          this.triesLeft[slot]--;
          this.lastSent[slot] = now;
          this.transmissions++;
          this.sockets[s].send(this.packets[slot]);
          continue;
        }
        this.release(slot, s);
        this.timeouts++;
        this.next(s, now);
      }
    }
    this.checkDone();
  }

  private report(end: number): LoadReport {
    const windowEnd = Number.isFinite(this.windowEnd)
      ? this.windowEnd
      : Math.max(this.lastReply, this.windowStart);
    const windowSeconds = Math.max(0, windowEnd - this.windowStart) / 1000;
    return {
      kind: this.o.kind,
      transport: this.o.transport,
      concurrency: this.o.concurrency,
      sockets: this.o.sockets,
      rate: this.o.rate,
      elapsedSeconds: round3((end - this.startTime) / 1000),
      windowSeconds: round3(windowSeconds),
      requests: this.requests,
      transmissions: this.transmissions,
      answered: this.answered,
      windowReplies: this.windowReplies,
      accepts: this.accepts,
      rejects: this.rejects,
      others: this.others,
      bad: this.bad,
      stray: this.stray,
      timeouts: this.timeouts,
      connectionsLost: this.lost,
      rps: windowSeconds > 0 ? round3(this.windowReplies / windowSeconds) : 0,
      latencyMs: this.latency.summary(),
      latencyBins: this.latency.bins(),
    };
  }
}

/** Opens a {@link LoadEngine}, runs it and returns its report. */
export async function runLoadEngine(options: LoadEngineOptions): Promise<LoadReport> {
  const engine = new LoadEngine(options);
  try {
    await engine.open();
  } catch (err) {
    engine.close();
    throw err;
  }
  return engine.run();
}
