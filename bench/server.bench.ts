/**
 * Server benchmark: PAP Access-Requests (with Message-Authenticator, fresh Request Authenticator
 * each) answered per second by
 *   - aioradius: a minimal PAP server on AbstractRadiusServer (bench/our-server.ts),
 *   - FreeRADIUS 3.2 with the same user in its files module (test/helpers/peers.ts), when installed,
 *   - a server on npm `radius` 1.1.4 (bench/radius-npm-server.ts),
 *   - the ceiling: raw `node:dgram` computing only the Response Authenticator (bench/ceiling-server.ts).
 * Each server runs in its own process and the load generator (bench/loadgen.ts) in another. Rounds
 * rotate the order of the contenders; the figure reported is the median over rounds.
 *
 * Run: `node build/bench/server.bench.js [rounds] [seconds] [inflight]` after `npm run build:test`.
 */
import { fileURLToPath } from 'node:url';
import { findBinary, startFreeradius } from '../test/helpers/peers.js';
import { type RoundsSummary, runRounds } from './rounds.js';
import { type BenchServerOptions, isMain, startServerProcess } from './server-process.js';
import { fmtInt, fmtRatio, table } from './stats.js';

/** Options of {@link runServerBench}. */
export interface ServerBenchOptions {
  /** Measured rounds (default 3). */
  rounds?: number;
  /** Seconds of load per contender and round (default 5). */
  seconds?: number;
  /** Warm-up seconds before each measurement (default 1). */
  warmupSeconds?: number;
  /** Requests in flight (default 256). */
  inflight?: number;
  /** Contenders to run (default all; FreeRADIUS is skipped when not installed). */
  only?: readonly ContenderName[];
  log?: (line: string) => void;
}

/** Short names of the contenders. */
export type ContenderName = 'aioradius' | 'freeradius' | 'radius-npm' | 'ceiling';

/** One contender's rounds and medians. */
export type ContenderResult = RoundsSummary<ContenderName>;

/** The whole benchmark. */
export interface ServerBenchResult {
  contenders: ContenderResult[];
  /** Contenders that could not run, with the reason. */
  skipped: Array<{ name: ContenderName; reason: string }>;
  rounds: number;
  seconds: number;
  inflight: number;
}

const SERVER: BenchServerOptions = { secret: 'b3nchm4rk-s3cret', user: 'alice', password: 'alicepw' };

const LABELS: Record<ContenderName, string> = {
  aioradius: 'aioradius (AbstractRadiusServer)',
  freeradius: 'FreeRADIUS 3.2 (files)',
  'radius-npm': 'npm radius 1.1.4 + dgram',
  ceiling: 'ceiling (raw dgram, MD5 only)',
};

const MODULES: Record<Exclude<ContenderName, 'freeradius'>, string> = {
  aioradius: 'our-server.js',
  'radius-npm': 'radius-npm-server.js',
  ceiling: 'ceiling-server.js',
};

interface Running {
  name: ContenderName;
  port: number;
  stop(): Promise<void>;
}

async function startContender(name: ContenderName): Promise<Running> {
  if (name === 'freeradius') {
    const peer = await startFreeradius({
      secret: SERVER.secret,
      users: [{ name: SERVER.user, password: SERVER.password }],
    });
    return { name, port: peer.authPort, stop: () => peer.stop() };
  }
  const modulePath = fileURLToPath(new URL(MODULES[name], import.meta.url));
  const proc = await startServerProcess(modulePath, SERVER);
  return { name, port: proc.port, stop: () => proc.stop() };
}

/** Starts every contender, runs the rotating rounds, stops everything. */
export async function runServerBench(options: ServerBenchOptions = {}): Promise<ServerBenchResult> {
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 5;
  const warmupSeconds = options.warmupSeconds ?? 1;
  const inflight = options.inflight ?? 256;
  const log = options.log ?? (() => {});
  const wanted = options.only ?? (['aioradius', 'freeradius', 'radius-npm', 'ceiling'] as const);
  const skipped: ServerBenchResult['skipped'] = [];
  const running: Running[] = [];
  try {
    for (const name of wanted) {
      if (name === 'freeradius' && !findBinary('freeradius')) {
        skipped.push({ name, reason: 'freeradius is not installed' });
        continue;
      }
      try {
        running.push(await startContender(name));
      } catch (e) {
        skipped.push({ name, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) });
      }
    }
    const contenders = await runRounds(
      running.map((c) => ({
        name: c.name,
        label: LABELS[c.name],
        load: {
          port: c.port,
          secret: SERVER.secret,
          user: SERVER.user,
          password: SERVER.password,
          inflight,
          seconds,
          warmupSeconds,
        },
      })),
      rounds,
      log,
    );
    return { contenders, skipped, rounds, seconds, inflight };
  } finally {
    for (const r of running) await r.stop().catch(() => {});
  }
}

/** The results as a table plus the ratios the project tracks. */
export function formatServerResults(res: ServerBenchResult): string {
  const rows = [
    ['server', 'median req/s', 'rounds', 'p50 ms', 'p99 ms', 'timeouts'],
    ...res.contenders.map((c) => [
      c.label,
      fmtInt(c.medianRps),
      c.rounds.map((r) => fmtInt(r.rps)).join(' / '),
      c.medianP50ms.toFixed(2),
      c.medianP99ms.toFixed(2),
      String(c.timeouts),
    ]),
  ];
  const by = (n: ContenderName) => res.contenders.find((c) => c.name === n)?.medianRps ?? Number.NaN;
  const ours = by('aioradius');
  const lines = [
    table(rows),
    '',
    `aioradius / FreeRADIUS: ${fmtRatio(ours / by('freeradius'))}`,
    `aioradius / ceiling:    ${Number.isFinite(ours / by('ceiling')) ? `${((100 * ours) / by('ceiling')).toFixed(0)}%` : 'n/a'}`,
    `aioradius / npm radius: ${fmtRatio(ours / by('radius-npm'))}`,
  ];
  for (const s of res.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  return lines.join('\n');
}

function parseOnly(v: string | undefined): ContenderName[] | undefined {
  if (!v) return undefined;
  const names = v.split(',') as ContenderName[];
  for (const n of names) if (!(n in LABELS)) throw new Error(`unknown contender ${n}`);
  return names;
}

if (isMain(import.meta.url)) {
  const [rounds = 3, seconds = 5, inflight = 256] = process.argv.slice(2, 5).map(Number);
  const only = parseOnly(process.env.BENCH_ONLY);
  console.log(
    `server benchmark: ${rounds} rounds x ${seconds} s per server (after 1 s warm-up), ${inflight} in flight, ` +
      `PAP + Message-Authenticator (node ${process.version})`,
  );
  runServerBench({ rounds, seconds, inflight, only, log: (l) => console.log(l) }).then(
    (r) => console.log(formatServerResults(r)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
