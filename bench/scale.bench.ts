/**
 * Several cores and several databases, one run:
 *   (a) PAP Access-Requests/s of `aioradius serve --workers 1`, `2` and N (one per core), with the
 *       CPU per request of all its processes (primary and workers);
 *   (b) durable accounting (every reply after its COMMIT) at `acct-inflight` in flight: `serve` on
 *       SQLite and on a local PostgreSQL (one process, and one per core), beside FreeRADIUS 3.2
 *       writing its detail file (no fsync) and FreeRADIUS with rlm_sql on the same PostgreSQL
 *       (Debian freeradius-postgresql; each Start an INSERT into radacct, committed).
 * The contenders run one at a time, in an order rotated from round to round (bench/rounds.ts); the
 * tables show medians. PostgreSQL runs with fsync and synchronous_commit on (test/helpers/postgres.ts).
 *
 * Run: `node build/bench/scale.bench.js [rounds] [seconds] [inflight] [acct-inflight]` after
 * `npm run build:test` (default 3 5 128 128); BENCH_ONLY=pap,acct picks a part.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { findBinary, startFreeradius } from '../test/helpers/peers.js';
import { type PostgresPeer, postgresMissing, startPostgres } from '../test/helpers/postgres.js';
import { type RoundsSummary, type RoundTarget, runRounds } from './rounds.js';
import { isMain, withChildren } from './server-process.js';
import { type ServeProcess, startServeProcess } from './serve.bench.js';
import { fmtInt, fmtRatio, table } from './stats.js';

const SECRET = 'b3nchm4rk-s3cret';
const USER = 'alice';
const PASSWORD = 'alicepw';
const FREERADIUS_SCHEMA = '/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql';

/** Closes what was started, in reverse order. */
class Stack {
  private readonly stops: Array<() => Promise<unknown>> = [];
  add(stop: () => Promise<unknown>): void {
    this.stops.push(stop);
  }
  async close(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
  }
}

/** Starts serve (startServeProcess waits for all its workers) and stops it with the stack. */
async function serveWith(stack: Stack, o: { workers?: number; database?: string }): Promise<ServeProcess> {
  const s = await startServeProcess({ secret: SECRET, user: USER, password: PASSWORD, metrics: false, ...o });
  stack.add(() => s.dispose());
  return s;
}

/** A database of its own on the PostgreSQL server, for one contender. */
async function createDatabase(pg: PostgresPeer, name: string, schema?: string): Promise<string> {
  const { default: Pg } = await import('pg');
  const admin = new Pg.Client({ connectionString: pg.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = pg.url.replace(/\/postgres$/, `/${name}`);
  if (schema) {
    const c = new Pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(schema);
    } finally {
      await c.end();
    }
  }
  return url;
}

/** Options of {@link runScaleBench}. */
export interface ScaleBenchOptions {
  rounds?: number;
  seconds?: number;
  inflight?: number;
  acctInflight?: number;
  only?: ReadonlyArray<'pap' | 'acct'>;
  log?: (line: string) => void;
}

/** What the benchmark measured. */
export interface ScaleBenchResult {
  pap: RoundsSummary<string>[];
  acct: RoundsSummary<string>[];
  skipped: string[];
  cores: number;
  loadBefore: number[];
  loadAfter: number[];
}

/** Runs both parts; every process started is stopped before it returns. */
export async function runScaleBench(o: ScaleBenchOptions = {}): Promise<ScaleBenchResult> {
  const rounds = o.rounds ?? 3;
  const seconds = o.seconds ?? 5;
  const inflight = o.inflight ?? 128;
  const acctInflight = o.acctInflight ?? 128;
  const only = o.only ?? ['pap', 'acct'];
  const log = o.log ?? (() => {});
  const cores = availableParallelism();
  const skipped: string[] = [];
  const loadBefore = loadavg();
  const load = (port: number, kind: 'auth' | 'acct', n: number) => ({
    port,
    secret: SECRET,
    kind,
    user: USER,
    password: PASSWORD,
    inflight: n,
    seconds,
    warmupSeconds: 1,
  });
  let pap: RoundsSummary<string>[] = [];
  let acct: RoundsSummary<string>[] = [];
  const stack = new Stack();
  try {
    if (only.includes('pap')) {
      const counts = [...new Set([1, 2, cores])];
      const targets: RoundTarget<string>[] = [];
      for (const workers of counts) {
        const s = await serveWith(stack, { workers });
        targets.push({
          name: `pap-${workers}`,
          label: `serve --workers ${workers}${workers === cores ? ' (one per core)' : ''}`,
          load: load(s.authPort, 'auth', inflight),
          pids: withChildren(s.pid),
        });
      }
      log(`PAP, ${inflight} in flight`);
      pap = await runRounds(targets, rounds, log);
      await stack.close();
    }
    if (only.includes('acct')) {
      const targets: RoundTarget<string>[] = [];
      const sqlite = await serveWith(stack, {});
      targets.push({
        name: 'serve-sqlite',
        label: 'serve, SQLite',
        load: load(sqlite.acctPort, 'acct', acctInflight),
        pids: [sqlite.pid],
      });
      const pgMissing = postgresMissing();
      let pg: PostgresPeer | undefined;
      if (pgMissing) skipped.push(`PostgreSQL contenders: ${pgMissing}`);
      else {
        const peer = await startPostgres();
        pg = peer;
        stack.add(() => peer.stop());
        for (const workers of [...new Set([1, cores])]) {
          const database = await createDatabase(peer, `aioradius_w${workers}`);
          const s = await serveWith(stack, { database, workers });
          targets.push({
            name: `serve-pg-${workers}`,
            label: `serve --workers ${workers}, PostgreSQL`,
            load: load(s.acctPort, 'acct', acctInflight),
            pids: withChildren(s.pid),
          });
        }
      }
      if (!findBinary('freeradius')) skipped.push('FreeRADIUS contenders: freeradius is not installed');
      else {
        const detail = await startFreeradius({ secret: SECRET, users: [{ name: USER, password: PASSWORD }] });
        stack.add(() => detail.stop());
        targets.push({
          name: 'freeradius-detail',
          label: 'FreeRADIUS 3.2, detail file',
          load: load(detail.acctPort, 'acct', acctInflight),
          pids: [detail.pid],
        });
        let schema: string | undefined;
        try {
          schema = readFileSync(FREERADIUS_SCHEMA, 'utf8');
        } catch {
          skipped.push(
            `FreeRADIUS rlm_sql: ${FREERADIUS_SCHEMA} missing (apt-get install freeradius-postgresql)`,
          );
        }
        if (pg && schema) {
          const url = new URL(await createDatabase(pg, 'freeradius', schema));
          const sql = await startFreeradius({
            secret: SECRET,
            users: [{ name: USER, password: PASSWORD }],
            detail: false,
            sql: {
              radiusDb: `host=${url.hostname} port=${url.port} dbname=freeradius user=${url.username}`,
            },
          });
          stack.add(() => sql.stop());
          targets.push({
            name: 'freeradius-sql',
            label: 'FreeRADIUS 3.2, rlm_sql PostgreSQL',
            load: load(sql.acctPort, 'acct', acctInflight),
            pids: [sql.pid],
          });
        }
      }
      log(`durable accounting, ${acctInflight} in flight`);
      acct = await runRounds(targets, rounds, log);
    }
  } finally {
    await stack.close();
  }
  return { pap, acct, skipped, cores, loadBefore, loadAfter: loadavg() };
}

/** The tables, with the ratios the issue asks about. */
export function formatScaleResults(r: ScaleBenchResult): string {
  const header = ['contender', 'median req/s', 'rounds', 'CPU µs/req', 'p50 ms', 'p99 ms', 'timeouts'];
  const row = (e: RoundsSummary<string>) => [
    e.label,
    fmtInt(e.medianRps),
    e.rounds.map((x) => fmtInt(x.rps)).join(' / '),
    Number.isFinite(e.medianCpuUs) ? e.medianCpuUs.toFixed(1) : '-',
    e.medianP50ms.toFixed(2),
    e.medianP99ms.toFixed(2),
    String(e.timeouts),
  ];
  const lines = [
    `cores ${r.cores}; load average before ${r.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${r.loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
  ];
  if (r.pap.length) lines.push('', table([header, ...r.pap.map(row)]));
  if (r.acct.length) {
    lines.push('', table([header, ...r.acct.map(row)]));
    const by = (n: string) => r.acct.find((e) => e.name === n)?.medianRps ?? Number.NaN;
    const detail = by('freeradius-detail');
    lines.push(
      `serve SQLite / FreeRADIUS detail: ${fmtRatio(by('serve-sqlite') / detail)}` +
        `  (target at least 1.00x: ${by('serve-sqlite') >= detail ? 'met' : 'NOT met'})`,
    );
    const pgBest = Math.max(...r.acct.filter((e) => e.name.startsWith('serve-pg')).map((e) => e.medianRps));
    lines.push(
      `serve PostgreSQL (best): ${fmtInt(pgBest)}/s  (target at least 10,000/s: ${pgBest >= 10_000 ? 'met' : 'NOT met'});` +
        ` / FreeRADIUS rlm_sql: ${fmtRatio(pgBest / by('freeradius-sql'))}`,
    );
  }
  for (const s of r.skipped) lines.push(`skipped ${s}`);
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  const [rounds = 3, seconds = 5, inflight = 128, acctInflight = 128] = process.argv.slice(2, 6).map(Number);
  const only = process.env.BENCH_ONLY?.split(',') as Array<'pap' | 'acct'> | undefined;
  console.log(
    `scale benchmark: ${rounds} rounds x ${seconds} s (after 1 s warm-up); PAP ${inflight} in flight, ` +
      `accounting ${acctInflight} in flight (node ${process.version})`,
  );
  runScaleBench({ rounds, seconds, inflight, acctInflight, only, log: (l) => console.log(l) }).then(
    (r) => console.log(formatScaleResults(r)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
