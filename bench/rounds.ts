/**
 * Rounds of load against several targets, in an order rotated from round to round so that no target
 * always runs first (or right after the same one), and the medians of what they measured. Shared by
 * the server and `serve` benchmarks.
 */
import { type LoadOptions, type LoadResult, runLoadInChild } from './loadgen.js';
import { fmtInt, median } from './stats.js';

/** One thing to measure: a name, a label for the tables, and the load to drive it with. */
export interface RoundTarget<N extends string> {
  name: N;
  label: string;
  load: LoadOptions;
}

/** A target's rounds and their medians. */
export interface RoundsSummary<N extends string> {
  name: N;
  label: string;
  rounds: LoadResult[];
  medianRps: number;
  medianP50ms: number;
  medianP99ms: number;
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
  const width = Math.max(0, ...targets.map((t) => t.label.length)) + 2;
  for (let round = 0; round < rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    for (const t of order) {
      const r = await runLoadInChild(t.load);
      results.get(t.name)?.push(r);
      log(
        `  round ${round + 1} ${t.label.padEnd(width)} ${fmtInt(r.rps).padStart(7)} req/s` +
          `  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms` +
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
      timeouts: rs.reduce((a, r) => a + r.timeouts, 0),
      bad: rs.reduce((a, r) => a + r.bad, 0),
    };
  });
}
