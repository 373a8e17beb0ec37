// `aioradius bench`: a load generator (auth or accounting), at fixed concurrency or fixed rate, on
// the load engine (many requests in flight per socket, packets patched in place, every reply verified).
import { writeFileSync } from 'node:fs';
import {
  commandFailed,
  formatHostPort,
  numberOption,
  parseCommandLine,
  parseHostPort,
  SHARED_OPTIONS,
  stringOption,
  triesOption,
  UsageError,
} from './args.js';
import {
  defaultPortFor,
  resolveServer,
  TRANSPORT_OPTIONS,
  transportChoice,
  transportUsage,
} from './exchange.js';
import { latencySvg } from './latency-chart.js';
import { LoadEngine, type LoadProgress, type LoadReport } from './load-engine.js';

/** Help text of `aioradius bench`. */
export const USAGE = `Usage: aioradius bench SERVER[:PORT] auth|acct SECRET [options]

Sends PAP Access-Requests with Message-Authenticator (auth, port 1812) or Accounting-Requests
(acct, port 1813, each with its own Acct-Session-Id) as fast as the concurrency allows, or at a
fixed rate, for a duration or a count; every reply is verified. Shows a live progress line on a
terminal and prints a summary. Each UDP socket (or TCP/TLS connection) carries up to 128 requests
at once by default, so that an identifier is not reused the moment its reply arrives. Over TLS
the port defaults to 2083 and SECRET to radsec.

Options:
  -p, --parallel N        requests in flight at once (default 256; --concurrency is the same)
      --rate N            start N requests per second (default: as fast as the concurrency allows)
  -d, --duration SECONDS  run this long (default 10 unless --count is given)
  -n, --count N           send N requests in all
  -u, --user NAME         User-Name (default bench)
  -w, --password TEXT     User-Password for auth (default bench)
  -t, --timeout SECONDS   wait per try (default 2)
  -r, --retries N         retransmissions after the first try (default 0; over TCP/TLS none,
                          one try waits as long)
  -s, --sockets N         UDP sockets, or TCP/TLS connections (default one per 128 in flight)
${transportUsage(26)}
      --progress          print the progress line even when stderr is not a terminal
      --json              print the summary as JSON
      --svg FILE          write the latency distribution as an SVG bar chart
  -h, --help              this text

Ctrl-C stops sending; the summary covers what was sent.
Exit status: 0 when every request was answered, 1 when some were not, 2 on bad usage.`;

const OPTIONS = {
  parallel: SHARED_OPTIONS.parallel,
  concurrency: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string', short: 'd' },
  count: SHARED_OPTIONS.count,
  user: { type: 'string', short: 'u' },
  password: { type: 'string', short: 'w' },
  timeout: SHARED_OPTIONS.timeout,
  retries: SHARED_OPTIONS.retries,
  sockets: { type: 'string', short: 's' },
  progress: { type: 'boolean' },
  json: { type: 'boolean' },
  svg: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...TRANSPORT_OPTIONS,
} as const;

/** What a run measured (the `--json` output). */
export interface BenchSummary {
  server: string;
  type: 'auth' | 'acct';
  transport: 'udp' | 'tcp' | 'tls';
  /** UDP sockets or TCP/TLS connections. */
  sockets: number;
  concurrency: number;
  /** Requests started per second, 0 when not rate-limited. */
  rate: number;
  /** Wall time of the run. */
  seconds: number;
  /** Distinct requests sent. */
  requests: number;
  answered: number;
  timeouts: number;
  /**
   * Tries that got no reply within the timeout, as RadiusClient's statistics count them: each one
   * retransmitted, and the last try of each request that timed out.
   */
  noResponses: number;
  /** Access-Accept (auth) or Accounting-Response (acct). */
  accepts: number;
  rejects: number;
  /** Valid replies of another code (Access-Challenge). */
  others: number;
  /** Replies that failed verification. */
  bad: number;
  retransmissions: number;
  /** TCP/TLS connections that closed during the run. */
  connectionsLost: number;
  /** Answered requests per second while the load ran. */
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

/** Runs `aioradius bench`; returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await runBench(argv);
  } catch (err) {
    return commandFailed('bench', err);
  }
}

/** The summary of an engine report. */
export function summarize(server: string, report: LoadReport): BenchSummary {
  return {
    server,
    type: report.kind,
    transport: report.transport,
    sockets: report.sockets,
    concurrency: report.concurrency,
    rate: report.rate,
    seconds: report.elapsedSeconds,
    requests: report.requests,
    answered: report.answered,
    timeouts: report.timeouts,
    // A try is only ever resent after its wait ran out unanswered.
    noResponses: report.transmissions - report.requests + report.timeouts,
    accepts: report.accepts,
    rejects: report.rejects,
    others: report.others,
    bad: report.bad,
    retransmissions: report.transmissions - report.requests,
    connectionsLost: report.connectionsLost,
    requestsPerSecond: report.rps,
    latencyMs: report.latencyMs,
  };
}

/** The summary as the lines printed without --json. */
export function formatSummary(s: BenchSummary): string {
  const l = s.latencyMs;
  return [
    `${s.type} against ${s.server}${s.transport === 'udp' ? '' : ` over ${s.transport.toUpperCase()}`}, ` +
      `concurrency ${s.concurrency}${s.rate ? `, rate ${s.rate}/s` : ''}`,
    `requests   ${s.requests} in ${s.seconds.toFixed(2)} s`,
    `answered   ${s.answered} (${s.requestsPerSecond.toFixed(0)}/s)`,
    `timeouts   ${s.timeouts}`,
    ...(s.noResponses
      ? [`no reply   ${s.noResponses} tr${s.noResponses === 1 ? 'y' : 'ies'} unanswered in time`]
      : []),
    ...(s.type === 'auth' ? [`rejects    ${s.rejects}`] : []),
    ...(s.others ? [`others     ${s.others}`] : []),
    ...(s.bad ? [`bad        ${s.bad} (failed verification)`] : []),
    ...(s.retransmissions ? [`resent     ${s.retransmissions}`] : []),
    ...(s.connectionsLost ? [`lost       ${s.connectionsLost} connection(s) during the run`] : []),
    `latency    p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  mean ${l.mean} ms`,
    '',
  ].join('\n');
}

function progressLine(p: LoadProgress): string {
  return (
    `\r${p.elapsedSeconds.toFixed(0)}s  sent ${p.requests}  answered ${p.answered}  ` +
    `${p.intervalRate.toFixed(0)}/s  p50 ${p.intervalP50.toFixed(2)} ms  ` +
    `p99 ${p.intervalP99.toFixed(2)} ms  timeouts ${p.timeouts}${p.bad ? `  bad ${p.bad}` : ''}   `
  );
}

async function runBench(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const choice = transportChoice(values);
  const tls = choice.transport === 'tls';
  if (positionals.length !== 3 && !(tls && positionals.length === 2))
    throw new UsageError('expected SERVER[:PORT] auth|acct SECRET');
  const [serverText, typeWord, secret = 'radsec'] = positionals;
  if (typeWord !== 'auth' && typeWord !== 'acct') throw new UsageError('the type is auth or acct');
  if (secret === '') throw new UsageError('the secret is empty');
  // --concurrency is the older long name of -p/--parallel.
  const concurrency = numberOption(
    values,
    values.parallel === undefined ? 'concurrency' : 'parallel',
    256,
    1,
    10_000,
  );
  const rate = numberOption(values, 'rate', 0, 0, 10_000_000, false);
  const count = numberOption(values, 'count', 0, 0, 1e12);
  const duration = numberOption(values, 'duration', count ? 0 : 10, 0, 86_400, false);
  if (!count && !duration) throw new UsageError('give a duration (-d) or a count (-n)');
  const timeout = numberOption(values, 'timeout', 2, 0.01, 3600, false);
  const tries = triesOption(values, 0);
  const user = stringOption(values, 'user') ?? 'bench';
  const password = stringOption(values, 'password') ?? 'bench';
  const sockets = values.sockets === undefined ? undefined : numberOption(values, 'sockets', 1, 1, 10_000);
  const { host, port } = parseHostPort(
    serverText,
    defaultPortFor(choice.transport, typeWord === 'auth' ? 1812 : 1813),
  );
  const server = await resolveServer(host, port);
  const where = formatHostPort(server.address, server.port);

  let engine: LoadEngine;
  try {
    engine = new LoadEngine({
      host: server.address,
      port: server.port,
      secret,
      kind: typeWord,
      user,
      password,
      concurrency: count ? Math.min(concurrency, count) : concurrency,
      rate,
      seconds: duration,
      count,
      timeoutMs: timeout * 1000,
      tries,
      sockets,
      transport: choice.transport,
      tls: choice.tls,
    });
  } catch (err) {
    // Limits of the packet (user name, password length) are usage errors.
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }

  const showProgress = values.progress === true || process.stderr.isTTY === true;
  const ticker = showProgress
    ? setInterval(() => process.stderr.write(progressLine(engine.progress())), 1000)
    : undefined;
  // The first Ctrl-C ends the load and still prints the summary; a second one quits at once.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    engine.stop();
  };
  process.on('SIGINT', onInterrupt);
  let report: LoadReport;
  try {
    await engine.open();
    report = await engine.run();
  } finally {
    process.off('SIGINT', onInterrupt);
    if (ticker) clearInterval(ticker);
    engine.close();
  }
  if (showProgress) process.stderr.write(`${progressLine(engine.progress())}\n`);

  const summary = summarize(where, report);
  // The summary reports the concurrency asked for, even when a small count needed fewer slots.
  summary.concurrency = concurrency;
  process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  // A run of nothing but rejects measures the server's failure path, likely by mistake.
  if (typeWord === 'auth' && report.answered > 0 && report.rejects === report.answered) {
    process.stderr.write(
      `aioradius bench: warning: every answer was an Access-Reject: does the server know user ${JSON.stringify(user)} with this password (-u, -w)?\n`,
    );
  }
  const svgFile = stringOption(values, 'svg');
  if (svgFile !== undefined) {
    writeFileSync(
      svgFile,
      latencySvg(
        report,
        `aioradius bench ${where} ${typeWord} (${choice.transport}, ${concurrency} in flight)`,
      ),
    );
    if (!values.json) process.stdout.write(`latency chart written to ${svgFile}\n`);
  }
  return report.timeouts ? 1 : 0;
}
