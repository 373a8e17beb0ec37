/**
 * Rounds of load against several targets, in an order rotated from round to round so that no target
 * always runs first (or right after the same one), and the medians of what they measured. Shared by
 * the server and `serve` benchmarks.
 */
import { readFileSync } from 'node:fs';
import { type LoadOptions, type LoadResult, runLoadInChild } from './loadgen.js';
import { fmtInt, median } from './stats.js';

/** One thing to measure: a name, a label for the tables, and the load to drive it with. */
export interface RoundTarget<N extends string> {
  name: N;
  label: string;
  load: LoadOptions;
  /** Processes serving it (Linux): their CPU time over each run is divided by the replies. */
  pids?: readonly number[];
}

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds (user + system) a process has used so far, from /proc; NaN where unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

function totalCpu(pids: readonly number[]): number {
  let sum = 0;
  for (const p of pids) sum += cpuSeconds(p);
  return sum;
}

/** A target's rounds and their medians. */
export interface RoundsSummary<N extends string> {
  name: N;
  label: string;
  rounds: LoadResult[];
  medianRps: number;
  medianP50ms: number;
  medianP99ms: number;
  /** Median CPU of the target's processes per reply, µs (NaN without `pids`). */
  medianCpuUs: number;
  timeouts: number;
  bad: number;
}

/** Runs `rounds` rounds over `targets` (each load in a child process), logging a line per run. */
export async function runRounds<N extends string>(
  targets: readonly RoundTarget<N>[],
  rounds: number,
  log: (line: string) => void,
): Promise<RoundsSummary<N>[]> {
  const results = new Map<N, LoadResult[]>(targets.map((t) => [t.name, []]));
  const cpu = new Map<N, number[]>(targets.map((t) => [t.name, []]));
  const width = Math.max(0, ...targets.map((t) => t.label.length)) + 2;
  for (let round = 0; round < rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const cpuBefore = t.pids ? totalCpu(t.pids) : Number.NaN;
      const r = await runLoadInChild(t.load);
      // Every reply of the run (warm-up included) against all the CPU the run took.
      const cpuUs = ((totalCpu(t.pids ?? []) - cpuBefore) * 1e6) / (r.accepts + r.rejects + r.others);
      results.get(t.name)?.push(r);
      cpu.get(t.name)?.push(cpuUs);
      log(
        `  round ${round + 1} ${t.label.padEnd(width)} ${fmtInt(r.rps).padStart(7)} req/s` +
          `  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms` +
          (Number.isFinite(cpuUs) ? `  server ${cpuUs.toFixed(1)} µs CPU/req` : '') +
          `  load generator ${r.cpuUsPerReply.toFixed(1)} µs CPU/req` +
          (r.timeouts || r.bad ? `  timeouts ${r.timeouts} bad ${r.bad}` : ''),
      );
    }
  }
  return targets.map((t) => {
    const rs = results.get(t.name) ?? [];
    return {
      name: t.name,
      label: t.label,
      rounds: rs,
      medianRps: median(rs.map((r) => r.rps)),
      medianP50ms: median(rs.map((r) => r.p50ms)),
      medianP99ms: median(rs.map((r) => r.p99ms)),
      medianCpuUs: median(cpu.get(t.name) ?? []),
      timeouts: rs.reduce((a, r) => a + r.timeouts, 0),
      bad: rs.reduce((a, r) => a + r.bad, 0),
    };
  });
}
