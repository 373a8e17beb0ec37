/**
 * EAP benchmark: full 802.1X logins per second and server CPU per login, for EAP-TLS over TLS 1.3
 * and 1.2, PEAP/MSCHAPv2, and EAP-TLS with resumption (eapol_test -r), of the library example
 * server (examples/eap-server.ts, a child process) beside FreeRADIUS 3.2 (its eap module with the
 * same certificates), both driven by the same parallel eapol_test loops in one run. Each round
 * measures every scenario in turn, contenders alternating round by round; figures are medians
 * over rounds.
 *
 * CPU per login is the server process's user+system time (/proc/PID/stat) over the logins it
 * completed. The eapol_test processes share the machine: on few cores the rate is bounded by them
 * as much as by the server, so compare the two servers in one run, and CPU per login above all.
 *
 * Run: `node build/bench/eap.bench.js [rounds] [seconds] [loops]` after `npm run build:test`
 * (default 3 5 4). Before each scenario's rounds every contender logins unmeasured for
 * BENCH_WARMUP seconds (default 15): a Node server that has just started, or meets a method for the
 * first time, runs JavaScript that V8 has not optimised yet, which a long-running server does not
 * (its CPU per login falls for about 15 s of steady logins: PEAP 3.1, 2.0, 1.8, 1.7 ms in windows
 * of 5 s, then no lower).
 * BENCH_ONLY=tls13,tls12,peap,resume,resume13,resumed12,resumed13 picks scenarios. BENCH_DRIVER=node
 * drives the EAP-TLS scenarios with bench/eap-peer.ts instead (node:tls peers logging in back to
 * back over RadiusClient, in worker threads of this process, BENCH_PEER_THREADS of them, default
 * one per core): steady load without one eapol_test process per login; and PEAP with
 * bench/peap-peer.ts (PEAPv0/EAP-MSCHAPv2, outer identity "anonymous").
 * BENCH_DRIVER=c drives the EAP-TLS scenarios (tls13, tls12, resumed12, resumed13; without
 * BENCH_ONLY, those four) with bench/eap-tls-load.c (built with cc and OpenSSL by bench/c-peer.ts):
 * one process per measured run, `loops` conversations in one thread, each with its own socket and
 * SSL object, so that the peers cost the cores a fraction of what node:tls peers do and the servers
 * bound the rate. It speaks EAP-TLS only: PEAP and EAP-MD5 are skipped under it (the node driver
 * has them); the eapol_test scenarios (resume, resume13) are too.
 * The "driver CPU ms/login" column is the node peers' CPU (this process) per login, or under
 * BENCH_DRIVER=c the C peer's own user+system time per accepted login, from its report.
 *
 * The full-handshake scenarios meet FreeRADIUS without its session cache, and so also "aioradius,
 * no resumption" (resumptionLifetime 0), like for like: keeping sessions costs a server CPU on
 * every full login (OpenSSL's session callbacks; two TLS 1.3 tickets each). BENCH_FR_CACHED=1 adds
 * FreeRADIUS with its cache to them (like for like with our default). The resumed scenarios meet
 * both servers with their caches on.
 *
 * The "resumed" column is the share of logins that resumed a TLS session (as the peer saw it): a
 * server may answer an offered session with a full handshake. When a full scenario and its resumed
 * one both ran (tls12 and resumed12, tls13 and resumed13), a line gives each server's resumed rate
 * over its own full-handshake rate: the median of that ratio taken round by round, and its range.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCa, makeCert } from '../test/helpers/certs.js';
import { findBinary, type FreeradiusPeer, runCommand, startFreeradius } from '../test/helpers/peers.js';
import { freePort } from '../test/helpers/ports.js';
import { buildCPeer, cPeerUnavailable, driveC } from './c-peer.js';
import type { DriveResult } from './eap-peer.js';
import { PeerThreads } from './peer-threads.js';
import { isMain, withChildren } from './server-process.js';
import { startServeProcess } from './serve.bench.js';
import { fmtRatio, table } from './stats.js';
import type tls from 'node:tls';

const SECRET = 'testing123';
const EXAMPLE_JS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples/eap-server.js');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** One scenario: an eapol_test network block and how many resumed logins follow each full one. */
interface Scenario {
  name: string;
  network: string[];
  reauths: number;
  /** The TLS version bench/eap-peer.ts can drive this scenario with (EAP-TLS). */
  peer?: tls.SecureVersion;
  /** bench/eap-peer.ts resumes the session of each peer's previous login. */
  resume?: boolean;
  /** bench/peap-peer.ts can drive this scenario (PEAPv0/EAP-MSCHAPv2). */
  peap?: boolean;
  /** bench/md5-peer.ts drives this scenario (EAP-MD5: the EAP layer without TLS); node driver only. */
  md5?: boolean;
}

/** The machine's CPU time so far (all cores, clock ticks): idle (with iowait), stolen, and in all. */
function machineTicks(): { idle: number; steal: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  // cpu user nice system idle iowait irq softirq steal (proc(5)); guest time is inside user.
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: f[3] + f[4], steal: f[7], total: f.reduce((a, b) => a + b, 0) };
}

/** A server under test. */
interface Contender {
  name: string;
  port: number;
  pid: number;
  /** Measured in the full-handshake scenarios only (a server with resumption off). */
  fullOnly?: boolean;
  stop(): Promise<void>;
}

/** user+system CPU seconds of a process and its children (serve's workers) so far. */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of withChildren(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat(5) (utime, stime), counted from the state field (3).
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks / CLOCK_TICKS;
}

async function startOurs(dir: string, workers = 0, resumption = true): Promise<Contender> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // BENCH_NODE_ARGS: flags for the server's node (e.g. --cpu-prof to see where its time goes).
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      EXAMPLE_JS,
      path.join(dir, 'server.pem'),
      path.join(dir, 'server.key'),
      path.join(dir, 'ca.pem'),
    ],
    {
      env: {
        ...process.env,
        AUTH_PORT: String(port),
        TLS_WORKERS: String(workers),
        RESUMPTION_LIFETIME: resumption ? '3600' : '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the example server did not start')), 15_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the example server exited (${code})`)));
  });
  return {
    name: `aioradius${workers ? `, ${workers} TLS workers` : ''}${resumption ? '' : ', no resumption'}`,
    port,
    pid: child.pid as number,
    fullOnly: !resumption,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `aioradius serve --workers N` with the same certificates and user, its log at warn. */
async function startServe(dir: string, workers: number): Promise<Contender> {
  const eap = [
    'eap:',
    `  certificate: ${JSON.stringify(path.join(dir, 'server.pem'))}`,
    `  privateKey: ${JSON.stringify(path.join(dir, 'server.key'))}`,
    `  ca: ${JSON.stringify(path.join(dir, 'ca.pem'))}`,
    '  methods: [peap, tls, md5]',
  ].join('\n');
  const serve = await startServeProcess({ secret: SECRET, metrics: false, workers, extraYaml: eap });
  return {
    name: `aioradius serve, ${workers} processes`,
    port: serve.authPort,
    pid: serve.pid,
    stop: serve.dispose,
  };
}

/**
 * FreeRADIUS with its EAP session cache on (`cache`: needed to resume; FreeRADIUS 3.2 writes each
 * new session to its persist_dir) or off (cheaper for full handshakes): the full-handshake
 * scenarios meet the cheaper one.
 */
async function startFr(dir: string, cache: boolean): Promise<Contender> {
  const files = Object.fromEntries(
    ['server.pem', 'server.key', 'ca.pem'].map((f) => [`bench-${f}`, readFileSync(path.join(dir, f))]),
  );
  const fr: FreeradiusPeer = await startFreeradius({
    secret: SECRET,
    users: [{ name: 'alice', password: 'alicepw' }],
    files,
    eap: {
      certFile: 'bench-server.pem',
      keyFile: 'bench-server.key',
      caFile: 'bench-ca.pem',
      tlsMaxVersion: '1.3',
      cache,
    },
  });
  return { name: 'FreeRADIUS 3.2', port: fr.authPort, pid: fr.pid, stop: () => fr.stop() };
}

/**
 * `loops` eapol_test loops against `port` for `seconds`; returns the logins that succeeded and
 * how many of them resumed a TLS session.
 */
async function drive(
  conf: string,
  port: number,
  seconds: number,
  loops: number,
  reauths: number,
): Promise<DriveResult> {
  const until = Date.now() + seconds * 1000;
  const result: DriveResult = { logins: 0, resumed: 0, failed: 0 };
  const loop = async () => {
    while (Date.now() < until) {
      const args = ['-c', conf, '-a', '127.0.0.1', '-p', String(port), '-s', SECRET, '-t', '10'];
      if (reauths) args.push('-r', String(reauths));
      const r = await runCommand('eapol_test', args, { timeoutMs: 30_000 });
      const ok = r.stdout.match(/MPPE keys OK: (\d+)/);
      if (r.code !== 0 || !ok) {
        result.failed++;
        continue;
      }
      result.logins += Number(ok[1]);
      // One part per login; under TLS 1.3 OpenSSL reports the handshake twice (again after the
      // tickets), so count logins whose part says resumed, not the lines.
      for (const part of r.stdout.split('Triggering EAP reauthentication'))
        if (part.includes('Handshake finished - resumed=1')) result.resumed++;
    }
  };
  await Promise.all(Array.from({ length: loops }, loop));
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const cDriver = process.env.BENCH_DRIVER === 'c';
  // The C peer needs no eapol_test: it drives only EAP-TLS scenarios, which it speaks itself.
  if (!cDriver && !findBinary('eapol_test'))
    throw new Error('eapol_test (Debian eapoltest) is not installed');
  const cPeer = cDriver ? buildCPeer() : undefined;
  if (cDriver && !cPeer) throw new Error(`BENCH_DRIVER=c: ${cPeerUnavailable()}`);
  const [rounds = 3, seconds = 5, loops = 4] = process.argv.slice(2, 5).map(Number);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aioradius-eap-bench-'));
  const contenders: Contender[] = [];
  let peers: PeerThreads | undefined;
  // FreeRADIUS with its session cache on, for the scenarios whose logins resume.
  let frCached: Contender | undefined;
  try {
    const ca = makeCa(dir, 'ca');
    makeCert(dir, ca, 'server');
    const client = makeCert(dir, ca, 'client');
    const tls = (v13: boolean) => [
      'eap=TLS',
      'identity="client"',
      `ca_cert="${ca.cert}"`,
      `client_cert="${client.cert}"`,
      `private_key="${client.key}"`,
      `phase1="tls_disable_tlsv1_3=${v13 ? 0 : 1}"`,
    ];
    const all: Array<[string, Scenario]> = [
      ['tls13', { name: 'EAP-TLS, TLS 1.3', network: tls(true), reauths: 0, peer: 'TLSv1.3' }],
      ['tls12', { name: 'EAP-TLS, TLS 1.2', network: tls(false), reauths: 0, peer: 'TLSv1.2' }],
      [
        'peap',
        {
          name: 'PEAP/MSCHAPv2, TLS 1.2',
          network: [
            'eap=PEAP',
            'identity="alice"',
            'password="alicepw"',
            `ca_cert="${ca.cert}"`,
            'phase1="peapver=0"',
            'phase2="auth=MSCHAPV2"',
          ],
          reauths: 0,
          peap: true,
        },
      ],
      // The EAP layer without TLS: node peers only (eapol_test reports no MPPE keys for MD5).
      ['md5', { name: 'EAP-MD5 (no TLS)', network: [], reauths: 0, md5: true }],
      ['resume', { name: 'EAP-TLS 1.2, 1 full + 9 resumed', network: tls(false), reauths: 9 }],
      ['resume13', { name: 'EAP-TLS 1.3, 1 full + 9 resumed', network: tls(true), reauths: 9 }],
      [
        'resumed12',
        {
          name: 'EAP-TLS 1.2, resumed logins',
          network: tls(false),
          reauths: 9,
          peer: 'TLSv1.2',
          resume: true,
        },
      ],
      [
        'resumed13',
        {
          name: 'EAP-TLS 1.3, resumed logins',
          network: tls(true),
          reauths: 9,
          peer: 'TLSv1.3',
          resume: true,
        },
      ],
    ];
    const only = process.env.BENCH_ONLY?.split(',');
    const nodeDriver = process.env.BENCH_DRIVER === 'node';
    // Without BENCH_ONLY: the node and C drivers run what they can drive, eapol_test all but the
    // ones only peers of ours drive.
    const nodeOnly = (key: string, s: Scenario) => key.startsWith('resumed') || s.md5 === true;
    const scenarios = all
      .filter(([key, s]) => (only ? only.includes(key) : !nodeOnly(key, s) || nodeDriver || cDriver))
      .filter(([key, s]) => (cDriver ? s.peer : nodeDriver ? s.peer || s.peap || s.md5 : !nodeOnly(key, s)));
    // BENCH_PEER_THREADS (default: one per core): the node peers' threads, so that they are not
    // what bounds the rate at saturation.
    if (nodeDriver) peers = new PeerThreads(Number(process.env.BENCH_PEER_THREADS ?? os.cpus().length));
    contenders.push(await startOurs(dir));
    // Like for like with FreeRADIUS without its session cache (below): ours with resumption off,
    // which spares OpenSSL's session callbacks. BENCH_NO_RESUMPTION=0 leaves it out.
    const fullScenarios = scenarios.some(([, s]) => s.reauths === 0 && !s.resume && !s.md5);
    if (fullScenarios && process.env.BENCH_NO_RESUMPTION !== '0')
      contenders.push(await startOurs(dir, 0, false));
    // BENCH_WORKERS=N (or N,M,...): the same server with its TLS in N worker threads (tls.workers), beside.
    for (const workers of (process.env.BENCH_WORKERS ?? '').split(',').filter(Boolean).map(Number)) {
      if (workers > 0) contenders.push(await startOurs(dir, workers));
    }
    // BENCH_SERVE_WORKERS=N: `aioradius serve --workers N` (N processes, rounds handed to their owner).
    const serveWorkers = Number(process.env.BENCH_SERVE_WORKERS ?? 0);
    if (serveWorkers > 0) contenders.push(await startServe(dir, serveWorkers));
    // Two FreeRADIUS: without the session cache for full handshakes, with it where logins resume.
    let frPlain: Contender | undefined;
    if (findBinary('freeradius')) {
      frPlain = await startFr(dir, false);
      contenders.push(frPlain);
      // BENCH_FR_CACHED=1: the full-handshake scenarios meet FreeRADIUS with its cache too (like for
      // like with ours keeping sessions, its default).
      const cachedInFull = process.env.BENCH_FR_CACHED === '1' && fullScenarios;
      if (cachedInFull || scenarios.some(([, s]) => s.reauths > 0 || s.resume))
        frCached = await startFr(dir, true);
      if (cachedInFull && frCached)
        contenders.push({ ...frCached, name: 'FreeRADIUS 3.2, cache', fullOnly: true });
    } else console.log('freeradius not installed: aioradius alone');
    const driver = peers
      ? `node:tls peers in ${peers.size} threads (bench/eap-peer.ts, bench/peap-peer.ts)`
      : cPeer
        ? 'C EAP-TLS conversations in one process (bench/eap-tls-load.c)'
        : 'eapol_test loops';
    console.log(
      `node ${process.version}, ${os.cpus().length} cores; ${loops} ${driver}, ${rounds} rounds x ${seconds} s`,
    );
    const rows: string[][] = [
      [
        'scenario',
        'server',
        'logins/s',
        'resumed',
        'CPU ms/login',
        'CPU vs FreeRADIUS',
        'driver CPU ms/login',
        'idle',
        'steal',
        'failed',
      ],
    ];
    // Each scenario's measurements by contender, a value per round (same index, same round).
    type Results = Map<
      string,
      {
        rate: number[];
        cpu: number[];
        resumed: number[];
        driver: number[];
        idle: number[];
        steal: number[];
        failed: number;
      }
    >;
    const warmup = Number(process.env.BENCH_WARMUP ?? 15);
    const startLoad = os.loadavg();
    const runs = scenarios.map(([key, scenario]) => {
      // One eapol_test configuration per scenario: the rounds below take turns between scenarios.
      const conf = path.join(dir, `bench-${key}.conf`);
      writeFileSync(conf, `network={\n  key_mgmt=WPA-EAP\n  ${scenario.network.join('\n  ')}\n}\n`);
      const runPeers = (c: Contender, secs: number): Promise<DriveResult> =>
        peers && scenario.md5
          ? peers.drive({
              kind: 'md5',
              options: { port: c.port, secret: SECRET, identity: 'alice', password: 'alicepw' },
              seconds: secs,
              loops,
            })
          : peers && scenario.peap
            ? peers.drive({
                kind: 'peap',
                options: {
                  port: c.port,
                  secret: SECRET,
                  outerIdentity: 'anonymous',
                  identity: 'alice',
                  password: 'alicepw',
                  ca: ca.certPem,
                },
                seconds: secs,
                loops,
              })
            : peers && scenario.peer
              ? peers.drive({
                  kind: 'tls',
                  options: {
                    port: c.port,
                    secret: SECRET,
                    identity: 'client',
                    ca: ca.certPem,
                    cert: client.certPem,
                    key: client.keyPem,
                    maxVersion: scenario.peer,
                    resume: scenario.resume,
                  },
                  seconds: secs,
                  loops,
                })
              : drive(conf, c.port, secs, loops, scenario.reauths);
      // The C peer reports its own CPU per login (cpuMsPerLogin): it runs outside this process.
      const run = (c: Contender, secs: number): Promise<DriveResult & { cpuMsPerLogin?: number }> =>
        cPeer && scenario.peer
          ? driveC(
              cPeer,
              {
                port: c.port,
                secret: SECRET,
                identity: 'client',
                ca: ca.cert,
                cert: client.cert,
                key: client.key,
                tlsVersion: scenario.peer === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2',
                resume: scenario.resume,
              },
              secs,
              loops,
            )
          : runPeers(c, secs);
      const resumes = scenario.reauths > 0 || scenario.resume === true;
      const these = contenders
        .filter((c) => !(resumes && c.fullOnly))
        .map((c) => (c === frPlain && resumes && frCached ? frCached : c));
      return { key, scenario, run, these, results: new Map() as Results };
    });
    for (const { run, these } of runs) if (warmup > 0) for (const c of these) await run(c, warmup);
    // Round-major: each round measures every scenario in turn, so that a change in the machine
    // (another tenant, the CPU's clock) falls on all scenarios alike, and the ratios between two
    // scenarios (resumed over full) can be taken round by round.
    for (let round = 0; round < rounds; round++) {
      for (const { run, these, results } of runs) {
        // Alternate who goes first, round by round.
        const order = round % 2 === 0 ? these : [...these].reverse();
        for (const c of order) {
          const cpu0 = cpuSeconds(c.pid);
          const driver0 = process.cpuUsage();
          const machine0 = machineTicks();
          const t0 = performance.now();
          const { logins, resumed, failed, cpuMsPerLogin } = await run(c, seconds);
          const elapsed = (performance.now() - t0) / 1000;
          const cpu = cpuSeconds(c.pid) - cpu0;
          const driverUs = process.cpuUsage(driver0);
          const machine1 = machineTicks();
          const r = results.get(c.name) ?? {
            rate: [],
            cpu: [],
            resumed: [],
            driver: [],
            idle: [],
            steal: [],
            failed: 0,
          };
          // Whether the run saturated the machine: the cores' idle share (a server that leaves
          // cores idle is bound by latency or by one thread), and what the hypervisor took.
          const ticks = machine1.total - machine0.total || 1;
          r.idle.push((machine1.idle - machine0.idle) / ticks);
          r.steal.push((machine1.steal - machine0.steal) / ticks);
          r.failed += failed;
          r.rate.push(logins / elapsed);
          r.cpu.push(logins ? (cpu * 1000) / logins : Number.NaN);
          r.driver.push(
            cpuMsPerLogin !== undefined
              ? cpuMsPerLogin
              : logins
                ? (driverUs.user + driverUs.system) / 1000 / logins
                : Number.NaN,
          );
          r.resumed.push(logins ? resumed / logins : Number.NaN);
          results.set(c.name, r);
        }
      }
    }
    for (const { scenario, results } of runs) {
      const frCpu = results.get('FreeRADIUS 3.2');
      for (const [name, r] of results) {
        const cpu = median(r.cpu);
        rows.push([
          scenario.name,
          name,
          median(r.rate).toFixed(1),
          // The share of logins that resumed: a server may answer an offered session in full.
          `${(median(r.resumed) * 100).toFixed(0)}%`,
          // EAP-MD5 logins cost tens of microseconds: a third decimal.
          cpu < 0.1 ? cpu.toFixed(3) : cpu.toFixed(2),
          frCpu ? fmtRatio(cpu / median(frCpu.cpu)) : 'n/a',
          // The node peers run in this process (its threads), the C peer in its own: their CPU
          // shares the cores.
          nodeDriver || cDriver ? median(r.driver).toFixed(median(r.driver) < 0.1 ? 3 : 2) : '-',
          `${(median(r.idle) * 100).toFixed(0)}%`,
          `${(median(r.steal) * 100).toFixed(0)}%`,
          // Logins (eapol_test runs) that failed in the measured rounds: a timed-out one idles its peer.
          String(r.failed),
        ]);
      }
    }
    console.log(table(rows));
    // What resumption buys each server: its resumed rate over its own full-handshake rate, taken
    // round by round (the two measured minutes apart at most) and the median of those given, with
    // the lowest and highest round.
    const byKey = new Map(runs.map((r) => [r.key, r.results]));
    for (const [full, resumed, label] of [
      ['tls12', 'resumed12', 'TLS 1.2'],
      ['tls13', 'resumed13', 'TLS 1.3'],
    ]) {
      const f = byKey.get(full);
      const r = byKey.get(resumed);
      if (!f || !r) continue;
      const ratios = (pick: 'rate' | 'cpu', inverse: boolean) =>
        contenders
          .filter((c) => !c.fullOnly)
          .map((c) => {
            const a = f.get(c.name)?.[pick] ?? [];
            const b = r.get(c.name)?.[pick] ?? [];
            const each = a.map((x, i) => (inverse ? x / b[i] : b[i] / x)).filter(Number.isFinite);
            if (each.length === 0) return `${c.name} n/a`;
            const range = `${fmtRatio(Math.min(...each))}-${fmtRatio(Math.max(...each))}`;
            return `${c.name} ${fmtRatio(median(each))} (rounds ${range})`;
          })
          .join(', ');
      console.log(`resumed/full rate, ${label}: ${ratios('rate', false)}`);
      // The same ratio for a server alone on its cores, where its CPU is the bound: the peers here
      // pay for each login too (node peers about 2x more for a full TLS 1.3 login than a resumed one).
      console.log(`resumed/full by server CPU per login, ${label}: ${ratios('cpu', true)}`);
    }
    const load = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    console.log(`load average at the start: ${load(startLoad)}; at the end: ${load(os.loadavg())}`);
  } finally {
    // The cached FreeRADIUS may be among them under a second name: stopped once.
    for (const c of contenders) if (c.pid !== frCached?.pid) await c.stop();
    await frCached?.stop();
    await peers?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
