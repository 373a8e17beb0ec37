/**
 * `aioradius serve` benchmark, the figures of the command's issue:
 *   (a) PAP Access-Requests/s (with Message-Authenticator, a fresh Request Authenticator each) of
 *       `aioradius serve` (a child process, generated YAML config, one user in it) side by side with
 *       FreeRADIUS 3.2 (test/helpers/peers.ts, the same user in its files module);
 *   (b) durable Accounting-Requests/s of `serve`: every request a new Acct-Session-Id, answered only
 *       after its record is committed to SQLite (WAL, synchronous=FULL, group commit).
 * The load engine (bench/loadgen.ts) runs in a process of its own. Rounds rotate the order of the
 * three measurements; the figures reported are medians over rounds.
 *
 * Run: `node build/bench/serve.bench.js [rounds] [seconds] [inflight] [acct-inflight]` after
 * `npm run build:test`. Environment: BENCH_SERVE_LOG (serve's log level, default warn: no line per
 * request, as FreeRADIUS's stock `auth = no`), BENCH_SERVE_METRICS=0 (no Prometheus endpoint),
 * BENCH_ONLY=serve,freeradius,acct (measurements to run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoadEngine } from '../src/cli/load-engine.js';
import { findBinary, startFreeradius } from '../test/helpers/peers.js';
import { freePort, freePorts } from '../test/helpers/ports.js';
import { type RoundsSummary, runRounds } from './rounds.js';
import { isMain } from './server-process.js';
import { fmtInt, fmtRatio, table } from './stats.js';

/** The compiled `serve` module (it runs standalone when executed directly). */
const SERVE_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/serve.js');

const SECRET = 'b3nchm4rk-s3cret';
const USER = 'alice';
const PASSWORD = 'alicepw';

/** How `serve` is configured for the benchmark. */
export interface ServeProcessOptions {
  secret?: string;
  user?: string;
  password?: string;
  /** pino level (default warn). */
  logLevel?: string;
  /** Open the Prometheus endpoint (default true). */
  metrics?: boolean;
  /** The `database` of the config (default ./serve.db, SQLite in the private directory). */
  database?: string;
  /** `--workers` (default: not given, serve's own default). */
  workers?: number;
  /** More top-level YAML (e.g. a `proxy:` section), appended to the generated config. */
  extraYaml?: string;
}

/** A running `aioradius serve` child on free loopback ports, with its own directory and database. */
export interface ServeProcess {
  authPort: number;
  acctPort: number;
  /** The SQLite file. */
  database: string;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s); resolves once it exited. Keeps the directory. */
  stop(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

/** Starts `serve`; resolves once it answers an Access-Request (and its workers, if several, are up). */
export async function startServeProcess(o: ServeProcessOptions = {}): Promise<ServeProcess> {
  const secret = o.secret ?? SECRET;
  const user = o.user ?? USER;
  const password = o.password ?? PASSWORD;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aioradius-serve-bench-'));
  const [authPort, acctPort] = await freePorts(2);
  const metricsPort = o.metrics === false ? undefined : await freePort({ tcp: true });
  const config = path.join(dir, 'serve.yaml');
  const yaml = [
    'listen:',
    '  host: 127.0.0.1',
    `  auth: ${authPort}`,
    `  acct: ${acctPort}`,
    'clients:',
    '  - address: 127.0.0.1',
    `    secret: ${JSON.stringify(secret)}`,
    '    name: bench',
    'users:',
    `  - name: ${JSON.stringify(user)}`,
    `    password: ${JSON.stringify(password)}`,
    `database: ${o.database ?? './serve.db'}`,
    'log:',
    `  level: ${o.logLevel ?? 'warn'}`,
    ...(metricsPort ? ['metrics:', '  host: 127.0.0.1', `  port: ${metricsPort}`] : []),
    ...(o.extraYaml ? [o.extraYaml] : []),
    '',
  ].join('\n');
  await writeFile(config, yaml);
  // Logs go nowhere: a pipe this process must drain would slow the server down, not the disk.
  const workers = o.workers === undefined ? [] : ['--workers', String(o.workers)];
  const child: ChildProcess = spawn(process.execPath, [SERVE_JS, '--config', config, ...workers], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (gone()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    // Ready once it answers (its "ready" log line may be below the log level).
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (gone()) throw new Error(`serve exited with ${child.exitCode ?? child.signalCode}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`serve did not answer within 15 s: ${stderr}`);
      const probe = await runLoadEngine({
        port: authPort,
        secret,
        user,
        password,
        concurrency: 1,
        seconds: 0,
        count: 1,
        timeoutMs: 200,
      });
      if (probe.accepts === 1) break;
    }
    // The probe is answered by the first worker up; the others need a moment more.
    if ((o.workers ?? 1) > 1) await new Promise((resolve) => setTimeout(resolve, 1500));
  } catch (err) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    authPort,
    acctPort,
    database: path.join(dir, 'serve.db'),
    pid: child.pid as number,
    stop,
    dispose: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Counts the accounting records and sessions in a serve database. */
export async function countAccounting(database: string): Promise<{ records: number; sessions: number }> {
  const Database = (await import('better-sqlite3')).default;
  const db = new Database(database, { readonly: true });
  try {
    const count = (table: string) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { records: count('acct_records'), sessions: count('acct_sessions') };
  } finally {
    db.close();
  }
}

/** The measurements: serve and FreeRADIUS answering Access-Requests, serve storing accounting. */
export type ServeBenchName = 'serve' | 'freeradius' | 'acct';

const LABELS: Record<ServeBenchName, string> = {
  serve: 'aioradius serve (PAP)',
  freeradius: 'FreeRADIUS 3.2 (PAP, files)',
  acct: 'aioradius serve (durable accounting)',
};

/** Options of {@link runServeBench}. */
export interface ServeBenchOptions {
  /** Measured rounds (default 3). */
  rounds?: number;
  /** Seconds of load per measurement (default 5). */
  seconds?: number;
  /** Warm-up seconds before each measurement (default 1). */
  warmupSeconds?: number;
  /**
   * Access-Requests in flight (default 128). Both servers are saturated well below that; above about
   * 190, FreeRADIUS's stock socket receive buffer overflows whenever it pauses and the excess is lost.
   */
  inflight?: number;
  /** Accounting-Requests in flight (default 512): group commit gathers what is waiting. */
  acctInflight?: number;
  /** serve's log level (default warn). */
  logLevel?: string;
  /** serve's Prometheus endpoint (default on). */
  metrics?: boolean;
  /** Measurements to run (default all; FreeRADIUS is skipped when not installed). */
  only?: readonly ServeBenchName[];
  log?: (line: string) => void;
}

/** One measurement's rounds and medians. */
export type ServeBenchEntry = RoundsSummary<ServeBenchName>;

/** The whole benchmark. */
export interface ServeBenchResult {
  entries: ServeBenchEntry[];
  skipped: Array<{ name: ServeBenchName; reason: string }>;
  /** Accounting-Responses received over every acct round, and what the database holds afterwards. */
  accounting?: { responses: number; records: number; sessions: number };
  rounds: number;
  seconds: number;
  inflight: number;
  acctInflight: number;
  logLevel: string;
  metrics: boolean;
}

interface Target {
  name: ServeBenchName;
  port: number;
  kind: 'auth' | 'acct';
  inflight: number;
}

/** Starts serve (and FreeRADIUS), runs the rotating rounds, stops everything. */
export async function runServeBench(options: ServeBenchOptions = {}): Promise<ServeBenchResult> {
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 5;
  const warmupSeconds = options.warmupSeconds ?? 1;
  const inflight = options.inflight ?? 128;
  const acctInflight = options.acctInflight ?? 512;
  const logLevel = options.logLevel ?? 'warn';
  const metrics = options.metrics ?? true;
  const log = options.log ?? (() => {});
  const wanted = options.only ?? (['serve', 'freeradius', 'acct'] as const);
  const skipped: ServeBenchResult['skipped'] = [];
  const targets: Target[] = [];
  let serve: ServeProcess | undefined;
  let freeradius: { stop(): Promise<void> } | undefined;
  try {
    if (wanted.includes('serve') || wanted.includes('acct')) {
      serve = await startServeProcess({ logLevel, metrics });
      if (wanted.includes('serve'))
        targets.push({ name: 'serve', port: serve.authPort, kind: 'auth', inflight });
    }
    if (wanted.includes('freeradius')) {
      if (!findBinary('freeradius'))
        skipped.push({ name: 'freeradius', reason: 'freeradius is not installed' });
      else {
        try {
          const peer = await startFreeradius({ secret: SECRET, users: [{ name: USER, password: PASSWORD }] });
          freeradius = peer;
          targets.push({ name: 'freeradius', port: peer.authPort, kind: 'auth', inflight });
        } catch (e) {
          skipped.push({
            name: 'freeradius',
            reason: e instanceof Error ? e.message.split('\n')[0] : String(e),
          });
        }
      }
    }
    if (serve && wanted.includes('acct')) {
      targets.push({ name: 'acct', port: serve.acctPort, kind: 'acct', inflight: acctInflight });
    }
    const entries = await runRounds(
      targets.map((t) => ({
        name: t.name,
        label: LABELS[t.name],
        load: {
          port: t.port,
          secret: SECRET,
          kind: t.kind,
          user: USER,
          password: PASSWORD,
          inflight: t.inflight,
          seconds,
          warmupSeconds,
        },
      })),
      rounds,
      log,
    );
    let accounting: ServeBenchResult['accounting'];
    if (serve && targets.some((t) => t.name === 'acct')) {
      // Stop first: what was answered must be in the file the server leaves behind.
      await serve.stop();
      const responses = (entries.find((e) => e.name === 'acct')?.rounds ?? []).reduce(
        (a, r) => a + r.accepts,
        0,
      );
      accounting = { responses, ...(await countAccounting(serve.database)) };
    }
    return {
      entries,
      skipped,
      accounting,
      rounds,
      seconds,
      inflight,
      acctInflight,
      logLevel,
      metrics,
    };
  } finally {
    await serve?.dispose().catch(() => {});
    await freeradius?.stop().catch(() => {});
  }
}

/** The results as tables, with the ratios and targets of the issue. */
export function formatServeResults(res: ServeBenchResult): string {
  const row = (e: ServeBenchEntry) => [
    e.label,
    fmtInt(e.medianRps),
    e.rounds.map((r) => fmtInt(r.rps)).join(' / '),
    e.medianP50ms.toFixed(2),
    e.medianP99ms.toFixed(2),
    String(e.timeouts),
  ];
  const header = ['server', 'median req/s', 'rounds', 'p50 ms', 'p99 ms', 'timeouts'];
  const by = (n: ServeBenchName) => res.entries.find((e) => e.name === n);
  const lines: string[] = [];
  const auth = res.entries.filter((e) => e.name !== 'acct');
  if (auth.length) {
    lines.push(table([header, ...auth.map(row)]), '');
    const ratio = (by('serve')?.medianRps ?? Number.NaN) / (by('freeradius')?.medianRps ?? Number.NaN);
    lines.push(
      `serve / FreeRADIUS (PAP): ${fmtRatio(ratio)}  (target at least 1.50x: ${Number.isFinite(ratio) ? (ratio >= 1.5 ? 'met' : 'NOT met') : 'n/a'})`,
    );
  }
  const acct = by('acct');
  if (acct) {
    if (lines.length) lines.push('');
    lines.push(table([header, row(acct)]), '');
    lines.push(
      `durable accounting: ${fmtInt(acct.medianRps)}/s  (target at least 10,000/s: ${acct.medianRps >= 10_000 ? 'met' : 'NOT met'})`,
    );
    const a = res.accounting;
    if (a) {
      // Every answered request is a distinct record, so the table must hold at least that many.
      lines.push(
        `stored: ${fmtInt(a.records)} records in ${fmtInt(a.sessions)} sessions for ${fmtInt(a.responses)} ` +
          `Accounting-Responses (${a.records >= a.responses ? 'every answered request stored' : 'RECORDS MISSING'})`,
      );
    }
  }
  for (const s of res.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  return lines.join('\n');
}

function parseOnly(v: string | undefined): ServeBenchName[] | undefined {
  if (!v) return undefined;
  const names = v.split(',') as ServeBenchName[];
  for (const n of names) if (!(n in LABELS)) throw new Error(`unknown measurement ${n}`);
  return names;
}

/** The one-line description printed above the tables. */
export function describeServeBench(o: {
  rounds: number;
  seconds: number;
  inflight: number;
  acctInflight: number;
  logLevel: string;
  metrics: boolean;
}): string {
  return (
    `serve benchmark: ${o.rounds} rounds x ${o.seconds} s per measurement (after 1 s warm-up); ` +
    `auth ${o.inflight} in flight, acct ${o.acctInflight} in flight; serve log level ${o.logLevel}, ` +
    `metrics ${o.metrics ? 'on' : 'off'} (node ${process.version})`
  );
}

if (isMain(import.meta.url)) {
  const [rounds = 3, seconds = 5, inflight = 128, acctInflight = 512] = process.argv.slice(2, 6).map(Number);
  const logLevel = process.env.BENCH_SERVE_LOG || 'warn';
  const metrics = process.env.BENCH_SERVE_METRICS !== '0';
  const only = parseOnly(process.env.BENCH_ONLY);
  console.log(describeServeBench({ rounds, seconds, inflight, acctInflight, logLevel, metrics }));
  runServeBench({
    rounds,
    seconds,
    inflight,
    acctInflight,
    logLevel,
    metrics,
    only,
    log: (l) => console.log(l),
  }).then(
    (r) => console.log(formatServeResults(r)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
