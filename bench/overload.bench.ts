/**
 * Overload benchmark (not a test): the PAP server of bench/our-server.ts offered twice the load it
 * can answer, for 60 s, then half of it. Does it stay up, keep its memory bounded, keep answering
 * at its capacity, count what it cannot take, and recover when the load falls?
 *
 *   1. capacity: the closed-loop load generator (bench/loadgen.ts) at 256 in flight for 5 s;
 *   2. overload: an open-loop sender (bench/blaster.ts) at 2x that rate for 60 s;
 *   3. recovery: the same sender at 0.5x for 15 s.
 * Every second: requests offered, replies received, the server's resident memory
 * (/proc/PID/status) and the datagrams the kernel dropped at its socket (/proc/net/udp).
 *
 * Run: `node build/bench/overload.bench.js [overloadSeconds] [factor]` after `npm run build:test`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBlaster } from './blaster.js';
import { runLoadInChild } from './loadgen.js';
import { isMain, startServerProcess } from './server-process.js';
import { fmtInt, median, table } from './stats.js';

const SERVER = { secret: 'overl0ad-s3cret', user: 'alice', password: 'alicepw' };

/** One second of the run. */
interface Sample {
  phase: 'overload' | 'recovery';
  second: number;
  offered: number;
  answered: number;
  rssMiB: number;
  kernelDrops: number;
}

/** Resident and peak resident memory of a process, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Datagrams the kernel dropped at the UDP socket bound to 127.0.0.1:`port` (receive buffer full). */
function kernelDrops(port: number): number {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === hex) return Number(cols[cols.length - 1]);
  }
  return 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the three phases and prints what each second looked like, then a summary. */
export async function runOverloadBench(overloadSeconds = 60, factor = 2, log = console.log): Promise<void> {
  const server = await startServerProcess(fileURLToPath(new URL('./our-server.js', import.meta.url)), SERVER);
  try {
    const capacity = await runLoadInChild({
      port: server.port,
      ...SERVER,
      inflight: 256,
      seconds: 5,
      warmupSeconds: 1,
    });
    const rate = Math.round(capacity.rps * factor);
    log(
      `capacity (closed loop, 256 in flight): ${fmtInt(capacity.rps)} req/s; offering ${fmtInt(rate)} req/s`,
    );
    // Enough distinct requests that none comes back within the server's 5 s duplicate window.
    const blaster = await startBlaster({
      port: server.port,
      ...SERVER,
      pool: Math.max(100_000, rate * 7),
      sockets: 64,
    });
    const samples: Sample[] = [];
    const dropsBefore = kernelDrops(server.port);
    let last = await blaster.counts();
    let lastDrops = dropsBefore;
    const phases: Array<[Sample['phase'], number, number]> = [
      ['overload', overloadSeconds, rate],
      ['recovery', 15, Math.round(capacity.rps / 2)],
    ];
    try {
      for (const [phase, seconds, phaseRate] of phases) {
        blaster.setRate(phaseRate);
        for (let s = 1; s <= seconds; s++) {
          await sleep(1000);
          const now = await blaster.counts();
          const drops = kernelDrops(server.port);
          samples.push({
            phase,
            second: s,
            offered: now.sent - last.sent,
            answered: now.replies - last.replies,
            rssMiB: memoryOf(server.pid).rss,
            kernelDrops: drops - lastDrops,
          });
          last = now;
          lastDrops = drops;
        }
      }
      blaster.setRate(0);
      await sleep(1000);
    } finally {
      blaster.stop();
    }
    const peak = memoryOf(server.pid).peak;
    const rows = [['phase', 'seconds', 'offered/s', 'answered/s', 'kernel drops/s', 'RSS MiB']];
    for (const phase of ['overload', 'recovery'] as const) {
      const list = samples.filter((x) => x.phase === phase);
      for (let i = 0; i < list.length; i += 10) {
        const part = list.slice(i, i + 10);
        rows.push([
          phase,
          `${part[0].second}-${part[part.length - 1].second}`,
          fmtInt(median(part.map((x) => x.offered))),
          fmtInt(median(part.map((x) => x.answered))),
          fmtInt(median(part.map((x) => x.kernelDrops))),
          Math.max(...part.map((x) => x.rssMiB)).toFixed(0),
        ]);
      }
    }
    log(table(rows));
    const over = samples.filter((x) => x.phase === 'overload');
    const rec = samples.filter((x) => x.phase === 'recovery').slice(2);
    const answeredOver = median(over.map((x) => x.answered));
    const recovered =
      rec.reduce((a, x) => a + x.answered, 0) /
      Math.max(
        1,
        rec.reduce((a, x) => a + x.offered, 0),
      );
    log(
      [
        `server up at the end: ${isAlive(server.pid)}; peak RSS ${peak.toFixed(0)} MiB`,
        `answered under ${factor}x overload (median/s): ${fmtInt(answeredOver)} = ${((100 * answeredOver) / capacity.rps).toFixed(0)}% of capacity`,
        `datagrams dropped by the kernel during the run: ${fmtInt(kernelDrops(server.port) - dropsBefore)}`,
        `recovery at 0.5x (after 2 s): ${(100 * recovered).toFixed(1)}% of requests answered`,
      ].join('\n'),
    );
  } finally {
    await server.stop();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (isMain(import.meta.url)) {
  const [seconds, factor] = process.argv.slice(2).map(Number);
  runOverloadBench(seconds || 60, factor || 2).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
