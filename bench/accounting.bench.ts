/**
 * Durable accounting benchmark, one run: Accounting-Requests per second answered by `aioradius serve`,
 * each answered only after its record is committed to SQLite (WAL, synchronous=FULL, group commit).
 *
 * The server runs in a child process (bench/serve.bench.ts starts it) and the load engine in another:
 * a fixed number of requests in flight, every request a new Acct-Session-Id (so every one is a new
 * row), every reply's Response Authenticator checked. `serve.bench.ts` runs this in rounds next to
 * the auth measurements. Run: `node build/bench/accounting.bench.js [seconds] [inflight]` after
 * `npm run build:test`; prints a table, or one JSON line with `--json`.
 */
import { pathToFileURL } from 'node:url';
import { runLoadInChild } from './loadgen.js';
import { countAccounting, startServeProcess } from './serve.bench.js';
import { fmtInt, table } from './stats.js';

const SECRET = 'bench-acct-secret';

/** What one run measured. */
export interface AccountingBenchResult {
  seconds: number;
  inflight: number;
  /** Valid Accounting-Responses inside the measuring window. */
  replies: number;
  timeouts: number;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  /** Accounting-Responses received in the whole run. */
  responses: number;
  /** Rows in the database afterwards (at least `responses`: every answered request is stored). */
  rows: number;
}

/** Runs the load for `seconds` (after 1 s of warm-up) with `inflight` requests outstanding. */
export async function runAccountingBench(seconds = 5, inflight = 512): Promise<AccountingBenchResult> {
  const serve = await startServeProcess({ secret: SECRET, metrics: false });
  try {
    const r = await runLoadInChild({
      port: serve.acctPort,
      secret: SECRET,
      kind: 'acct',
      inflight,
      seconds,
      warmupSeconds: 1,
    });
    await serve.stop();
    const { records } = await countAccounting(serve.database);
    return {
      seconds: r.seconds,
      inflight,
      replies: r.replies,
      timeouts: r.timeouts,
      rps: r.rps,
      p50ms: r.p50ms,
      p99ms: r.p99ms,
      maxms: r.maxms,
      responses: r.accepts,
      rows: records,
    };
  } finally {
    await serve.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2).filter((a) => a !== '--json');
  const json = process.argv.includes('--json');
  const r = await runAccountingBench(Number(args[0] ?? 5), Number(args[1] ?? 512));
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else {
    process.stdout.write(
      `${table([
        [
          'durable accounting (serve)',
          'req/s',
          'p50 ms',
          'p99 ms',
          'max ms',
          'timeouts',
          'responses',
          'rows',
        ],
        [
          `${r.inflight} in flight, ${r.seconds} s`,
          fmtInt(r.rps),
          r.p50ms.toFixed(2),
          r.p99ms.toFixed(2),
          r.maxms.toFixed(1),
          String(r.timeouts),
          String(r.responses),
          String(r.rows),
        ],
      ])}\n`,
    );
  }
}
