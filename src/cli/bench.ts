// `aioradius bench`: a load generator (auth or accounting), at fixed concurrency or fixed rate.
import { ACCESS_ACCEPT, ACCESS_REQUEST, ACCOUNTING_REQUEST } from '../protocol/codes.js';
import { createPacket, type Packet } from '../protocol/packet.js';
import {
  formatHostPort,
  numberOption,
  parseCommandLine,
  parseHostPort,
  stringOption,
  UsageError,
} from './args.js';
import { Exchanger, resolveServer } from './exchange.js';

/** Help text of `aioradius bench`. */
export const USAGE = `Usage: aioradius bench SERVER[:PORT] auth|acct SECRET [options]

Sends PAP Access-Requests (auth, port 1812) or Accounting-Requests (acct, port 1813, each with
its own Acct-Session-Id) as fast as the concurrency allows, or at a fixed rate, for a duration
or a count; shows a live progress line on a terminal and prints a summary.

Options:
  -c, --concurrency N     requests in flight at once (default 32)
      --rate N            start N requests per second (default: as fast as possible)
  -d, --duration SECONDS  run this long (default 10 unless --count is given)
  -n, --count N           send N requests in all
  -u, --user NAME         User-Name (default bench)
  -w, --password TEXT     User-Password for auth (default bench)
  -t, --timeout SECONDS   wait per try (default 2)
  -r, --retries N         tries per request in all (default 1)
      --progress          print the progress line even when stderr is not a terminal
      --json              print the summary as JSON
  -h, --help              this text

Exit status: 0 when every request was answered, 1 when some were not, 2 on bad usage.`;

const OPTIONS = {
  concurrency: { type: 'string', short: 'c' },
  rate: { type: 'string' },
  duration: { type: 'string', short: 'd' },
  count: { type: 'string', short: 'n' },
  user: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'w' },
  timeout: { type: 'string', short: 't' },
  retries: { type: 'string', short: 'r' },
  progress: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What a run measured. */
export interface BenchSummary {
  server: string;
  type: 'auth' | 'acct';
  concurrency: number;
  seconds: number;
  requests: number;
  answered: number;
  timeouts: number;
  rejects: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** The q-quantile (0..1) of sorted values; 0 when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** Runs `aioradius bench`; returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await runBench(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`aioradius bench: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`aioradius bench: ${(err as Error).message}\n`);
    return 2;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function runBench(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 3) throw new UsageError('expected SERVER[:PORT] auth|acct SECRET');
  const [serverText, typeWord, secret] = positionals;
  if (typeWord !== 'auth' && typeWord !== 'acct') throw new UsageError('the type is auth or acct');
  const concurrency = numberOption(values, 'concurrency', 32, 1, 10_000);
  const rate = numberOption(values, 'rate', 0, 0, 10_000_000, false);
  const count = numberOption(values, 'count', 0, 0, 1e12);
  const duration = numberOption(values, 'duration', count ? 0 : 10, 0, 86_400, false);
  const timeout = numberOption(values, 'timeout', 2, 0.01, 3600, false);
  const tries = numberOption(values, 'retries', 1, 1, 100);
  const user = stringOption(values, 'user') ?? 'bench';
  const password = stringOption(values, 'password') ?? 'bench';
  const { host, port } = parseHostPort(serverText, typeWord === 'auth' ? 1812 : 1813);
  const server = await resolveServer(host, port);
  const where = formatHostPort(server.address, server.port);
  const code = typeWord === 'auth' ? ACCESS_REQUEST : ACCOUNTING_REQUEST;
  const sessionPrefix = `bench-${process.pid}-${Date.now().toString(36)}-`;

  const build = (n: number): Packet => {
    const p = createPacket(code, secret);
    p.add('User-Name', user);
    if (code === ACCESS_REQUEST) p.add('User-Password', password);
    else p.add('Acct-Status-Type', 'Start').add('Acct-Session-Id', `${sessionPrefix}${n}`);
    return p.add('NAS-Identifier', 'aioradius-bench');
  };

  let latencies = new Float64Array(1 << 16);
  let answered = 0;
  let timeouts = 0;
  let rejects = 0;
  let started = 0;
  const t0 = performance.now();
  const deadline = duration ? t0 + duration * 1000 : Number.POSITIVE_INFINITY;
  const more = () => (count ? started < count : true) && performance.now() < deadline;

  const lane = async (ex: Exchanger) => {
    while (more()) {
      const n = started++;
      // Fixed rate: request n starts at t0 + n/rate (lanes only bound how many wait at once).
      if (rate) {
        const due = t0 + (n * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      try {
        const r = await ex.exchange(build(n), server, { timeout, tries });
        if (answered === latencies.length) {
          const bigger = new Float64Array(latencies.length * 2);
          bigger.set(latencies);
          latencies = bigger;
        }
        latencies[answered++] = r.seconds * 1000;
        if (code === ACCESS_REQUEST && r.reply.code !== ACCESS_ACCEPT) rejects++;
      } catch {
        timeouts++;
      }
    }
  };

  const showProgress = values.progress === true || process.stderr.isTTY === true;
  let lastAnswered = 0;
  let lastTime = t0;
  const ticker = showProgress
    ? setInterval(() => {
        const now = performance.now();
        const rateNow = ((answered - lastAnswered) * 1000) / (now - lastTime);
        lastAnswered = answered;
        lastTime = now;
        const recent = latencies.slice(Math.max(0, answered - 1000), answered).sort();
        process.stderr.write(
          `\r${((now - t0) / 1000).toFixed(0)}s  sent ${started}  answered ${answered}  ` +
            `${rateNow.toFixed(0)}/s  p50 ${quantile(recent, 0.5).toFixed(2)} ms  ` +
            `p99 ${quantile(recent, 0.99).toFixed(2)} ms  timeouts ${timeouts}   `,
        );
      }, 1000)
    : undefined;

  const lanes: Exchanger[] = [];
  try {
    const n = count ? Math.min(concurrency, count) : concurrency;
    for (let i = 0; i < n; i++) lanes.push(new Exchanger(server.family));
    await Promise.all(lanes.map(lane));
  } finally {
    if (ticker) clearInterval(ticker);
    for (const l of lanes) l.close();
  }
  if (showProgress) process.stderr.write('\n');

  const seconds = (performance.now() - t0) / 1000;
  const sorted = latencies.slice(0, answered).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const summary: BenchSummary = {
    server: where,
    type: typeWord,
    concurrency,
    seconds: round(seconds),
    requests: started,
    answered,
    timeouts,
    rejects,
    requestsPerSecond: round(answered / seconds),
    latencyMs: {
      p50: round(quantile(sorted, 0.5)),
      p90: round(quantile(sorted, 0.9)),
      p99: round(quantile(sorted, 0.99)),
      max: round(quantile(sorted, 1)),
      mean: round(answered ? sum / answered : 0),
    },
  };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const l = summary.latencyMs;
    process.stdout.write(
      [
        `${typeWord} against ${where}, concurrency ${concurrency}${rate ? `, rate ${rate}/s` : ''}`,
        `requests   ${started} in ${seconds.toFixed(2)} s`,
        `answered   ${answered} (${summary.requestsPerSecond.toFixed(0)}/s)`,
        `timeouts   ${timeouts}`,
        ...(code === ACCESS_REQUEST ? [`rejects    ${rejects}`] : []),
        `latency    p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  mean ${l.mean} ms`,
        '',
      ].join('\n'),
    );
  }
  return timeouts ? 1 : 0;
}
