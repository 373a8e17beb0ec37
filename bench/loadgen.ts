/**
 * The benchmarks' load generator: the load engine of `aioradius bench` (src/cli/load-engine.ts) with
 * the option and result shapes the benchmarks use, runnable in a process of its own.
 *
 * Run it in a process of its own ({@link runLoadInChild}) so it does not share an event loop with the
 * server under test. As a command: `node build/bench/loadgen.js --port 1812 --secret s [--user u
 * --password p] [--kind auth|acct] [--host 127.0.0.1] [--inflight 256] [--seconds 5] [--sockets n]
 * [--warmup s]` prints one JSON line.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type LoadKind, type LoadReport, runLoadEngine } from '../src/cli/load-engine.js';

/** What to send, where, how hard and for how long. */
export interface LoadOptions {
  host?: string;
  port: number;
  secret: string;
  /** PAP Access-Requests (default) or Accounting-Requests (a new Acct-Session-Id each). */
  kind?: LoadKind;
  /** User-Name (default 'bench'). */
  user?: string;
  /** User-Password of auth requests (default 'bench'). */
  password?: string;
  /** Requests outstanding at any time (default 256); at most 256 per socket (one per identifier). */
  inflight?: number;
  /** Seconds of load (default 5). */
  seconds?: number;
  /** UDP sockets to spread the load over (default: one per 128 in flight; at most 256 each). */
  sockets?: number;
  /** A request unanswered this long is counted as a timeout and replaced (default 2000 ms). */
  timeoutMs?: number;
  /** Seconds of load before measuring starts (default 0): lets the server's JIT settle. */
  warmupSeconds?: number;
  /** NAS-IP-Address sent in every request (default 127.0.0.1). */
  nasIp?: string;
  /** 'udp' (default), 'tcp' or 'tls'; `sockets` then counts connections. */
  transport?: 'udp' | 'tcp' | 'tls';
  /** TLS: PEM files of the CA the server must chain to, and of the client certificate and key. */
  tlsFiles?: { caFile: string; certFile: string; keyFile: string };
}

/** What a run measured. Only replies that arrived inside the measuring window count towards `rps`. */
export interface LoadResult {
  kind: LoadKind;
  inflight: number;
  sockets: number;
  /** Length of the measuring window in seconds. */
  seconds: number;
  /** Requests sent (whole run, warm-up included). */
  sent: number;
  /** Valid replies inside the window. */
  replies: number;
  /** Access-Accept (auth) or Accounting-Response (acct), whole run. */
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
  /** CPU (user + system) of the load generator's process per reply, µs: near 1e6 / rps, it is the bottleneck. */
  cpuUsPerReply: number;
}

function toResult(r: LoadReport, cpuUs: number): LoadResult {
  return {
    kind: r.kind,
    inflight: r.concurrency,
    sockets: r.sockets,
    seconds: r.windowSeconds,
    sent: r.requests,
    replies: r.windowReplies,
    accepts: r.accepts,
    rejects: r.rejects,
    others: r.others,
    bad: r.bad + r.stray,
    timeouts: r.timeouts,
    rps: r.rps,
    p50ms: r.latencyMs.p50,
    p99ms: r.latencyMs.p99,
    maxms: r.latencyMs.max,
    cpuUsPerReply: cpuUs / Math.max(1, r.answered),
  };
}

/** Runs the load in this process (see {@link runLoadInChild} to keep it off the server's core). */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const report = await runLoadEngine({
    host: o.host,
    port: o.port,
    secret: o.secret,
    kind: o.kind,
    user: o.user,
    password: o.password,
    concurrency: o.inflight ?? 256,
    sockets: o.sockets,
    seconds: o.seconds ?? 5,
    timeoutMs: o.timeoutMs,
    warmupSeconds: o.warmupSeconds,
    nasIp: o.nasIp ?? '127.0.0.1',
    transport: o.transport,
    tls: o.tlsFiles && {
      ca: readFileSync(o.tlsFiles.caFile),
      cert: readFileSync(o.tlsFiles.certFile),
      key: readFileSync(o.tlsFiles.keyFile),
    },
  });
  const cpu = process.cpuUsage(cpuBefore);
  return toResult(report, cpu.user + cpu.system);
}

/** Runs {@link runLoad} in a forked Node process and resolves with its result. */
export function runLoadInChild(options: LoadOptions): Promise<LoadResult> {
  const limitMs =
    ((options.warmupSeconds ?? 0) + (options.seconds ?? 5)) * 1000 + (options.timeoutMs ?? 2000) + 30_000;
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
    child.send(options);
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
  const kind = get('kind') ?? 'auth';
  if (port === undefined || secret === undefined || (kind !== 'auth' && kind !== 'acct')) {
    throw new Error(
      'usage: loadgen --port N --secret S [--kind auth|acct] [--user U] [--password P] [--host H] ' +
        '[--inflight N] [--seconds S] [--sockets N] [--warmup S]',
    );
  }
  return {
    host: get('host'),
    port,
    secret,
    kind,
    user: get('user'),
    password: get('password'),
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
