/**
 * RADIUS/TLS benchmark (RFC 6614): PAP Access-Requests (with Message-Authenticator, fresh Request
 * Authenticator each) over several TLS connections, answered per second by
 *   - aioradius: the minimal PAP server of bench/our-server.ts with its TLS listener,
 *   - FreeRADIUS 3.2's RadSec listener with the same user in its files module (test/helpers/peers.ts),
 *   - radsecproxy 1.9.2 taking TLS and forwarding over UDP to the raw ceiling server
 *     (bench/ceiling-server.ts), which answers at once.
 * The load generator is the load engine of `aioradius bench` over TLS (bench/loadgen.ts), with a client
 * certificate, in a process of its own. Rounds rotate the order of the contenders; the figures are
 * medians over rounds. CPU per request is the servers' user + system time over a run (from
 * /proc/PID/stat; radsecproxy and the ceiling server together) divided by the replies of the run.
 *
 * Run: `node build/bench/tls.bench.js [rounds] [seconds] [inflight] [connections]` after
 * `npm run build:test` (default 3 5 256 4); `BENCH_ONLY=aioradius,radsecproxy` picks contenders.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CertFiles, makeCa, makeCert } from '../test/helpers/certs.js';
import { findBinary, startFreeradius, startRadsecproxyTlsFront } from '../test/helpers/peers.js';
import { freePort } from '../test/helpers/ports.js';
import { type RoundsSummary, runRounds } from './rounds.js';
import { isMain, startServerProcess } from './server-process.js';
import { fmtInt, fmtRatio, table } from './stats.js';

/** Short names of the contenders. */
export type TlsContenderName = 'aioradius' | 'aioradius-shared' | 'freeradius' | 'radsecproxy';

/** Options of {@link runTlsBench}. */
export interface TlsBenchOptions {
  /** Measured rounds (default 3). */
  rounds?: number;
  /** Seconds of load per contender and round (default 5). */
  seconds?: number;
  /** Warm-up seconds before each measurement (default 1). */
  warmupSeconds?: number;
  /** Requests in flight over all connections (default 256). */
  inflight?: number;
  /** TLS connections of the load generator (default 4). */
  connections?: number;
  /** Contenders to run (default all; those whose peer is not installed are skipped). */
  only?: readonly TlsContenderName[];
  log?: (line: string) => void;
}

/** The whole benchmark. */
export interface TlsBenchResult {
  contenders: RoundsSummary<TlsContenderName>[];
  skipped: Array<{ name: TlsContenderName; reason: string }>;
  rounds: number;
  seconds: number;
  inflight: number;
  connections: number;
}

const USER = 'alice';
const PASSWORD = 'alicepw';
/** RFC 6614 §2.3: the shared secret over TLS is 'radsec'. */
const TLS_SECRET = 'radsec';
/** Between radsecproxy and the ceiling server (UDP). */
const UDP_SECRET = 'b3nchm4rk-s3cret';

const LABELS: Record<TlsContenderName, string> = {
  aioradius: 'aioradius (AbstractRadiusServer, TLS listener)',
  'aioradius-shared': 'aioradius, shareRecords (replies share TLS records)',
  freeradius: 'FreeRADIUS 3.2 (RadSec listener, files)',
  radsecproxy: 'radsecproxy 1.9.2 (TLS -> UDP ceiling)',
};

/** Our own CA, the servers' certificate and the load generator's client certificate. */
interface Pki {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  client: CertFiles;
}

interface Running {
  name: TlsContenderName;
  port: number;
  pids: number[];
  stop(): Promise<void>;
}

function moduleFile(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

async function startContender(name: TlsContenderName, pki: Pki): Promise<Running> {
  const tlsFiles = { certFile: pki.server.cert, keyFile: pki.server.key, caFile: pki.ca.cert };
  if (name === 'aioradius' || name === 'aioradius-shared') {
    const proc = await startServerProcess(moduleFile('our-server.js'), {
      secret: TLS_SECRET,
      user: USER,
      password: PASSWORD,
      tls: { ...tlsFiles, shareRecords: name === 'aioradius-shared' },
    });
    return { name, port: proc.port, pids: [proc.pid], stop: () => proc.stop() };
  }
  if (name === 'freeradius') {
    const port = await freePort({ tcp: true });
    const peer = await startFreeradius({
      secret: UDP_SECRET,
      users: [{ name: USER, password: PASSWORD }],
      files: { 'server.pem': pki.server.certPem, 'server.key': pki.server.keyPem, 'ca.pem': pki.ca.certPem },
      tls: { port, certFile: 'server.pem', keyFile: 'server.key', caFile: 'ca.pem' },
    });
    return { name, port, pids: [peer.pid], stop: () => peer.stop() };
  }
  const ceiling = await startServerProcess(moduleFile('ceiling-server.js'), {
    secret: UDP_SECRET,
    user: USER,
    password: PASSWORD,
  });
  try {
    const port = await freePort({ tcp: true });
    const proxy = await startRadsecproxyTlsFront({
      tlsPort: port,
      udpPort: ceiling.port,
      udpSecret: UDP_SECRET,
      ...tlsFiles,
    });
    return {
      name,
      port,
      pids: [proxy.pid, ceiling.pid],
      stop: async () => {
        await proxy.stop();
        await ceiling.stop();
      },
    };
  } catch (e) {
    await ceiling.stop();
    throw e;
  }
}

function missing(name: TlsContenderName): string | undefined {
  if (name === 'freeradius' && !findBinary('freeradius')) return 'freeradius is not installed';
  if (name === 'radsecproxy' && !findBinary('radsecproxy')) return 'radsecproxy is not installed';
  return undefined;
}

/** Makes the certificates, starts every contender, runs the rotating rounds, stops everything. */
export async function runTlsBench(options: TlsBenchOptions = {}): Promise<TlsBenchResult> {
  const rounds = options.rounds ?? 3;
  const seconds = options.seconds ?? 5;
  const warmupSeconds = options.warmupSeconds ?? 1;
  const inflight = options.inflight ?? 256;
  const connections = options.connections ?? 4;
  const log = options.log ?? (() => {});
  const wanted = options.only ?? (['aioradius', 'aioradius-shared', 'freeradius', 'radsecproxy'] as const);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-tls-bench-'));
  const ca = makeCa(dir, 'ca');
  const pki: Pki = { dir, ca, server: makeCert(dir, ca, 'server'), client: makeCert(dir, ca, 'nas') };
  const skipped: TlsBenchResult['skipped'] = [];
  const running: Running[] = [];
  try {
    for (const name of wanted) {
      const reason = missing(name);
      if (reason) {
        skipped.push({ name, reason });
        continue;
      }
      try {
        running.push(await startContender(name, pki));
      } catch (e) {
        skipped.push({ name, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) });
      }
    }
    const contenders = await runRounds(
      running.map((c) => ({
        name: c.name,
        label: LABELS[c.name],
        pids: c.pids,
        load: {
          port: c.port,
          secret: TLS_SECRET,
          user: USER,
          password: PASSWORD,
          inflight,
          sockets: connections,
          seconds,
          warmupSeconds,
          transport: 'tls' as const,
          tlsFiles: { caFile: pki.ca.cert, certFile: pki.client.cert, keyFile: pki.client.key },
        },
      })),
      rounds,
      log,
    );
    return { contenders, skipped, rounds, seconds, inflight, connections };
  } finally {
    for (const r of running) await r.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The results as a table, the CPU per request, and the ratios against the targets. */
export function formatTlsResults(res: TlsBenchResult): string {
  const rows = [
    ['server', 'median req/s', 'rounds', 'p50 ms', 'p99 ms', 'CPU µs/req', 'timeouts'],
    ...res.contenders.map((c) => [
      c.label,
      fmtInt(c.medianRps),
      c.rounds.map((r) => fmtInt(r.rps)).join(' / '),
      c.medianP50ms.toFixed(2),
      c.medianP99ms.toFixed(2),
      Number.isFinite(c.medianCpuUs) ? c.medianCpuUs.toFixed(1) : 'n/a',
      String(c.timeouts),
    ]),
  ];
  const by = (n: TlsContenderName) => res.contenders.find((c) => c.name === n)?.medianRps ?? Number.NaN;
  const ours = by('aioradius');
  const lines = [
    table(rows),
    '',
    `aioradius / radsecproxy: ${fmtRatio(ours / by('radsecproxy'))} (target 3x)`,
    `aioradius / FreeRADIUS:  ${fmtRatio(ours / by('freeradius'))} (target 1.5x)`,
    `aioradius shareRecords / radsecproxy: ${fmtRatio(by('aioradius-shared') / by('radsecproxy'))} (replies may share TLS records: radsecproxy and RadiusClient read them; FreeRADIUS 3.2 does not)`,
  ];
  for (const s of res.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  return lines.join('\n');
}

/** A one-line description of a run's settings. */
export function describeTlsBench(o: TlsBenchOptions): string {
  return (
    `RADIUS/TLS: Access-Requests/s (PAP + Message-Authenticator), median of ${o.rounds ?? 3} rounds x ` +
    `${o.seconds ?? 5} s, ${o.inflight ?? 256} in flight over ${o.connections ?? 4} TLS connections`
  );
}

function parseOnly(v: string | undefined): TlsContenderName[] | undefined {
  if (!v) return undefined;
  const names = v.split(',') as TlsContenderName[];
  for (const n of names) if (!(n in LABELS)) throw new Error(`unknown contender ${n}`);
  return names;
}

if (isMain(import.meta.url)) {
  const [rounds = 3, seconds = 5, inflight = 256, connections = 4] = process.argv.slice(2, 6).map(Number);
  const options: TlsBenchOptions = {
    rounds,
    seconds,
    inflight,
    connections,
    only: parseOnly(process.env.BENCH_ONLY),
  };
  console.log(`${describeTlsBench(options)} (node ${process.version})`);
  runTlsBench({ ...options, log: (l) => console.log(l) }).then(
    (r) => console.log(formatTlsResults(r)),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
