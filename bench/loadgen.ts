/**
 * A RADIUS load generator: PAP Access-Requests with Message-Authenticator at a fixed concurrency for
 * a fixed time, every reply's Response Authenticator checked (RFC 2865 section 3).
 *
 * Built to measure servers, not itself: each in-flight slot owns a preallocated packet that is
 * patched in place (fresh Request Authenticator, re-hidden User-Password, re-signed
 * Message-Authenticator) with the plain-TS MD5/HMAC; sockets are connected; one message handler
 * per socket and one timer for timeouts, no closure or timer per request. It depends only on
 * node built-ins and src/protocol/md5.ts.
 *
 * Run it in a process of its own ({@link runLoadInChild}) so it does not share an event loop with the
 * server under test. As a command: `node build/bench/loadgen.js --port 1812 --secret s --user u
 * --password p [--host 127.0.0.1] [--inflight 256] [--seconds 5] [--sockets n]` prints one JSON line.
 */
import { fork } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HmacMd5Key, Md5 } from '../src/protocol/md5.js';

/** What to send, where, how hard and for how long. */
export interface LoadOptions {
  host?: string;
  port: number;
  secret: string;
  user: string;
  password: string;
  /** Requests outstanding at any time (default 256); at most 256 per socket (one per identifier). */
  inflight?: number;
  /** Seconds of load (default 5). */
  seconds?: number;
  /** UDP sockets to spread the load over (default: as few as the 256-per-socket limit allows). */
  sockets?: number;
  /** A request unanswered this long is counted as a timeout and replaced (default 2000 ms). */
  timeoutMs?: number;
  /** Seconds of load before measuring starts (default 0): lets the server's JIT settle. */
  warmupSeconds?: number;
  /** NAS-IP-Address sent in every request (default 127.0.0.1). */
  nasIp?: string;
}

/** What a run measured. Only replies that arrived inside the measuring window count towards `rps`. */
export interface LoadResult {
  inflight: number;
  sockets: number;
  /** Length of the measuring window in seconds. */
  seconds: number;
  /** Requests sent (whole run, warm-up included). */
  sent: number;
  /** Valid replies inside the window. */
  replies: number;
  accepts: number;
  rejects: number;
  /** Replies of another code (e.g. Access-Challenge). */
  others: number;
  /** Replies that failed verification or matched no outstanding request. */
  bad: number;
  /** Requests not answered within `timeoutMs`. */
  timeouts: number;
  /** Valid replies per second inside the window. */
  rps: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
}

const ACCESS_REQUEST = 1;
const ACCESS_ACCEPT = 2;
const ACCESS_REJECT = 3;
const SLOTS_PER_SOCKET = 256;
/** Requests each socket sends before its first reply (see the slow start in run()). */
const INITIAL_WINDOW = 32;
/** Latencies kept (4M samples = 32 MiB); later ones are dropped, counters still run. */
const MAX_SAMPLES = 1 << 22;

/**
 * The Access-Request every slot starts from: Message-Authenticator first (so its offset is fixed),
 * then User-Name, User-Password, NAS-IP-Address. Returns the packet and the field offsets.
 */
function buildTemplate(user: Buffer, password: Buffer, nasIp: string) {
  if (user.length < 1 || user.length > 253) throw new RangeError('user name must be 1..253 bytes');
  if (password.length > 128)
    throw new RangeError('password must be at most 128 bytes (RFC 2865 section 5.2)');
  const padded = password.length === 0 ? 16 : (password.length + 15) & ~15;
  const ip = nasIp.split('.').map(Number);
  if (ip.length !== 4 || ip.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new RangeError(`NAS-IP-Address ${nasIp} is not an IPv4 address`);
  }
  const length = 20 + 18 + (2 + user.length) + (2 + padded) + 6;
  const pkt = Buffer.alloc(length);
  pkt[0] = ACCESS_REQUEST;
  pkt.writeUInt16BE(length, 2);
  let p = 20;
  pkt[p] = 80; // Message-Authenticator (RFC 3579 section 3.2)
  pkt[p + 1] = 18;
  const maOffset = p + 2;
  p += 18;
  pkt[p] = 1; // User-Name
  pkt[p + 1] = 2 + user.length;
  user.copy(pkt, p + 2);
  p += 2 + user.length;
  pkt[p] = 2; // User-Password
  pkt[p + 1] = 2 + padded;
  const pwOffset = p + 2;
  p += 2 + padded;
  pkt[p] = 4; // NAS-IP-Address
  pkt[p + 1] = 6;
  for (let i = 0; i < 4; i++) pkt[p + 2 + i] = ip[i];
  const plain = Buffer.alloc(padded);
  password.copy(plain);
  return { pkt, maOffset, pwOffset, plain };
}

/** The state of one run: slots, sockets, counters. Methods are the only callbacks. */
class LoadRun {
  private readonly secret: Buffer;
  private readonly key: HmacMd5Key;
  private readonly md5 = new Md5();
  private readonly hmac = new Md5();
  private readonly digest = new Uint8Array(16);
  private readonly random = Buffer.allocUnsafe(16 * 4096);
  private randomPos: number;

  private readonly maOffset: number;
  private readonly pwOffset: number;
  private readonly plain: Buffer;
  /** One packet per slot (slot = socket * 256 + identifier); bytes 4..20 keep its authenticator. */
  private readonly packets: Buffer[] = [];
  private readonly sentAt: Float64Array;
  private readonly busy: Uint8Array;
  private readonly sockets: Socket[] = [];
  private readonly perSocket: number;
  /** Slots started so far on each socket, and how many each socket runs at full load. */
  private readonly started: Int32Array;
  private readonly target: Int32Array;

  private live = true;
  private windowStart = 0;
  private windowEnd = 0;
  private outstanding = 0;
  private readonly latencies = new Float64Array(MAX_SAMPLES);
  private samples = 0;
  private sent = 0;
  private replies = 0;
  private accepts = 0;
  private rejects = 0;
  private others = 0;
  private bad = 0;
  private timeouts = 0;

  constructor(private readonly opts: Required<LoadOptions>) {
    this.secret = Buffer.from(opts.secret, 'utf8');
    this.key = new HmacMd5Key(this.secret);
    const t = buildTemplate(Buffer.from(opts.user, 'utf8'), Buffer.from(opts.password, 'utf8'), opts.nasIp);
    this.maOffset = t.maOffset;
    this.pwOffset = t.pwOffset;
    this.plain = t.plain;
    this.perSocket = Math.ceil(opts.inflight / opts.sockets);
    if (this.perSocket > SLOTS_PER_SOCKET) throw new RangeError('at most 256 requests in flight per socket');
    const slots = opts.sockets * SLOTS_PER_SOCKET;
    for (let i = 0; i < slots; i++) {
      const pkt = Buffer.from(t.pkt);
      pkt[1] = i & 0xff;
      this.packets.push(pkt);
    }
    this.sentAt = new Float64Array(slots);
    this.started = new Int32Array(opts.sockets);
    this.target = new Int32Array(opts.sockets);
    for (let s = 0; s < opts.sockets; s++) {
      this.target[s] = Math.max(0, Math.min(this.perSocket, opts.inflight - s * this.perSocket));
    }
    this.busy = new Uint8Array(slots);
    this.randomPos = this.random.length;
  }

  /** Binds and connects the sockets. */
  async open(): Promise<void> {
    const { host, port } = this.opts;
    const type = isIPv6(host) ? 'udp6' : 'udp4';
    for (let s = 0; s < this.opts.sockets; s++) {
      const sock = createSocket({ type, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      const base = s * SLOTS_PER_SOCKET;
      // One handler per socket; it carries the slot base, nothing per request.
      sock.on('message', (msg: Buffer) => this.onReply(msg, base, sock));
      sock.on('error', () => {
        // ICMP port unreachable and the like: the affected requests time out and are counted.
      });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.connect(port, host, () => {
          sock.off('error', reject);
          resolve();
        });
      });
      this.sockets.push(sock);
    }
  }

  /** Runs warm-up then the measuring window; resolves once every request is answered or timed out. */
  async run(): Promise<LoadResult> {
    const { warmupSeconds, seconds, timeoutMs } = this.opts;
    const start = performance.now();
    this.windowStart = start + warmupSeconds * 1000;
    this.windowEnd = this.windowStart + seconds * 1000;
    // Slow start: a burst of 256 datagrams would overflow a receive buffer left at the kernel's
    // default (about 190 small datagrams), so each socket opens with a few requests and starts one
    // more with every reply until it reaches its share.
    for (let s = 0; s < this.sockets.length; s++) {
      const n = Math.min(INITIAL_WINDOW, this.target[s]);
      for (let i = 0; i < n; i++) this.send(s * SLOTS_PER_SOCKET + i, this.sockets[s]);
      this.started[s] = n;
    }
    const sweepMs = Math.max(10, Math.min(100, timeoutMs / 4));
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        if (this.live && now >= this.windowEnd) this.live = false;
        this.sweep(now);
        // Drained, or the last requests had their full timeout to come back.
        if (!this.live && (this.outstanding === 0 || now >= this.windowEnd + timeoutMs + sweepMs)) {
          clearInterval(timer);
          resolve();
        }
      }, sweepMs);
    });
    for (const s of this.sockets) s.close();
    return this.result();
  }

  private nextAuthenticator(pkt: Buffer): void {
    if (this.randomPos + 16 > this.random.length) {
      randomFillSync(this.random);
      this.randomPos = 0;
    }
    this.random.copy(pkt, 4, this.randomPos, this.randomPos + 16);
    this.randomPos += 16;
  }

  /** Patches slot `slot`'s packet for a new request and sends it. */
  private send(slot: number, sock: Socket): void {
    const pkt = this.packets[slot];
    this.nextAuthenticator(pkt);
    // User-Password (RFC 2865 section 5.2): c(i) = p(i) xor MD5(secret + c(i-1)), c(0) = authenticator.
    const plain = this.plain;
    const d = this.digest;
    let prev = 4;
    for (let off = 0; off < plain.length; off += 16) {
      this.md5
        .reset()
        .update(this.secret)
        .update(pkt, prev, prev + 16)
        .digestInto(d, 0);
      const at = this.pwOffset + off;
      for (let j = 0; j < 16; j++) pkt[at + j] = plain[off + j] ^ d[j];
      prev = at;
    }
    // Message-Authenticator: HMAC-MD5 over the packet with its own value zeroed (RFC 3579 section 3.2).
    const ma = this.maOffset;
    pkt.fill(0, ma, ma + 16);
    this.key.finish(this.key.begin(this.hmac).update(pkt), pkt, ma);
    this.busy[slot] = 1;
    this.outstanding++;
    this.sentAt[slot] = performance.now();
    this.sent++;
    sock.send(pkt);
  }

  private onReply(msg: Buffer, base: number, sock: Socket): void {
    const n = msg.length;
    if (n < 20) {
      this.bad++;
      return;
    }
    const slot = base + msg[1];
    if (this.busy[slot] === 0) {
      this.bad++;
      return;
    }
    const length = (msg[2] << 8) | msg[3];
    if (length < 20 || length > n) {
      this.bad++;
      return;
    }
    // Response Authenticator = MD5(Code+ID+Length + Request Authenticator + Attributes + Secret).
    const d = this.digest;
    const pkt = this.packets[slot];
    this.md5.reset().update(msg, 0, 4).update(pkt, 4, 20).update(msg, 20, length).update(this.secret);
    this.md5.digestInto(d, 0);
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= d[i] ^ msg[4 + i];
    if (diff !== 0) {
      this.bad++;
      return;
    }
    const now = performance.now();
    this.busy[slot] = 0;
    this.outstanding--;
    if (now >= this.windowStart && now <= this.windowEnd) {
      this.replies++;
      const code = msg[0];
      if (code === ACCESS_ACCEPT) this.accepts++;
      else if (code === ACCESS_REJECT) this.rejects++;
      else this.others++;
      if (this.samples < MAX_SAMPLES) this.latencies[this.samples++] = now - this.sentAt[slot];
    }
    if (this.live && now < this.windowEnd) {
      this.send(slot, sock);
      const s = base / SLOTS_PER_SOCKET;
      if (this.started[s] < this.target[s]) this.send(base + this.started[s]++, sock);
    } else this.live = false;
  }

  /** Counts and replaces requests older than the timeout. */
  private sweep(now: number): void {
    const limit = now - this.opts.timeoutMs;
    for (let s = 0; s < this.sockets.length; s++) {
      const base = s * SLOTS_PER_SOCKET;
      for (let i = 0; i < SLOTS_PER_SOCKET; i++) {
        const slot = base + i;
        if (this.busy[slot] === 0 || this.sentAt[slot] > limit) continue;
        this.busy[slot] = 0;
        this.outstanding--;
        this.timeouts++;
        if (this.live) this.send(slot, this.sockets[s]);
      }
    }
  }

  private result(): LoadResult {
    const lat = this.latencies.subarray(0, this.samples).sort();
    const q = (p: number) =>
      this.samples ? lat[Math.min(this.samples - 1, Math.floor(this.samples * p))] : 0;
    const seconds = this.opts.seconds;
    return {
      inflight: this.opts.inflight,
      sockets: this.opts.sockets,
      seconds,
      sent: this.sent,
      replies: this.replies,
      accepts: this.accepts,
      rejects: this.rejects,
      others: this.others,
      bad: this.bad,
      timeouts: this.timeouts,
      rps: this.replies / seconds,
      p50ms: round3(q(0.5)),
      p99ms: round3(q(0.99)),
      maxms: round3(this.samples ? lat[this.samples - 1] : 0),
    };
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function withDefaults(o: LoadOptions): Required<LoadOptions> {
  const inflight = o.inflight ?? 256;
  if (!Number.isInteger(inflight) || inflight < 1)
    throw new RangeError('inflight must be a positive integer');
  const sockets = o.sockets ?? Math.ceil(inflight / SLOTS_PER_SOCKET);
  if (!Number.isInteger(sockets) || sockets < 1 || sockets > inflight) {
    throw new RangeError('sockets must be an integer in 1..inflight');
  }
  const seconds = o.seconds ?? 5;
  if (!(seconds > 0 && seconds <= 3600)) throw new RangeError('seconds must be in (0, 3600]');
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port,
    secret: o.secret,
    user: o.user,
    password: o.password,
    inflight,
    sockets,
    seconds,
    timeoutMs: o.timeoutMs ?? 2000,
    warmupSeconds: o.warmupSeconds ?? 0,
    nasIp: o.nasIp ?? '127.0.0.1',
  };
}

/** Runs the load in this process (see {@link runLoadInChild} to keep it off the server's core). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const run = new LoadRun(withDefaults(options));
  await run.open();
  return run.run();
}

/** Runs {@link runLoad} in a forked Node process and resolves with its result. */
export function runLoadInChild(options: LoadOptions): Promise<LoadResult> {
  const o = withDefaults(options);
  const limitMs = (o.warmupSeconds + o.seconds) * 1000 + o.timeoutMs + 30_000;
  return new Promise((resolve, reject) => {
    // No inherited execArgv: a profiler flag meant for the parent must not slow the load down.
    const child = fork(fileURLToPath(import.meta.url), ['--child'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    let done = false;
    const timer = setTimeout(() => {
      finish(new Error(`load generator did not finish within ${limitMs} ms`));
      child.kill('SIGKILL');
    }, limitMs);
    const finish = (err: Error | undefined, result?: LoadResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(result as LoadResult);
    };
    child.on('message', (m: { result?: LoadResult; error?: string }) => {
      if (m.result) finish(undefined, m.result);
      else finish(new Error(`load generator failed: ${m.error}`));
      child.disconnect();
    });
    child.on('error', (e) => finish(e));
    child.on('exit', (code) => finish(new Error(`load generator exited with ${code} before reporting`)));
    child.send(o);
  });
}

function parseArgs(argv: readonly string[]): LoadOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => {
    const v = get(name);
    return v === undefined ? undefined : Number(v);
  };
  const port = num('port');
  const secret = get('secret');
  const user = get('user');
  const password = get('password');
  if (port === undefined || secret === undefined || user === undefined || password === undefined) {
    throw new Error(
      'usage: loadgen --port N --secret S --user U --password P [--host H] [--inflight N] [--seconds S] [--sockets N] [--warmup S]',
    );
  }
  return {
    host: get('host'),
    port,
    secret,
    user,
    password,
    inflight: num('inflight'),
    seconds: num('seconds'),
    sockets: num('sockets'),
    warmupSeconds: num('warmup'),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--child')) {
    // Forked by runLoadInChild: one job from the parent, one result back.
    process.once('message', (o: LoadOptions) => {
      runLoad(o).then(
        (result) => process.send?.({ result }),
        (e: unknown) => process.send?.({ error: e instanceof Error ? e.message : String(e) }),
      );
    });
  } else {
    runLoad(parseArgs(process.argv.slice(2))).then(
      (r) => console.log(JSON.stringify(r)),
      (e: unknown) => {
        console.error(e instanceof Error ? e.message : e);
        process.exitCode = 1;
      },
    );
  }
}
