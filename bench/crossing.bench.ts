/**
 * What a call to a worker thread costs: round trips of a TLS-worker-sized message (the `receive`
 * and `state` shapes of src/eap/tls-worker-messages.ts, 200 bytes each way) between this thread and
 * a worker that answers at once, with 1, 4 and 32 calls in flight. CPU per round trip is the whole
 * process's (both threads). A TLS worker's calls come one or two at a time per conversation, so
 * under EAP load each is close to the "1 in flight" figure: both threads wake for it.
 *
 * Run: `node build/bench/crossing.bench.js [rounds] [calls]` after `npm run build:test` (default 5 20000).
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { isMain } from './server-process.js';
import { table } from './stats.js';

interface Call {
  op: 'receive';
  id: number;
  seq: number;
  bytes: Uint8Array;
}

/** `calls` round trips with `inflight` outstanding: wall and CPU µs per round trip. */
async function roundTrips(
  worker: Worker,
  calls: number,
  inflight: number,
): Promise<{ wall: number; cpu: number }> {
  const bytes = new Uint8Array(200);
  let sent = 0;
  let answered = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const send = () => {
      sent++;
      worker.postMessage({ op: 'receive', id: sent, seq: sent, bytes } satisfies Call);
    };
    const onAnswer = () => {
      answered++;
      if (sent < calls) send();
      if (answered === calls) {
        worker.off('message', onAnswer);
        resolve();
      }
    };
    worker.on('message', onAnswer);
    for (let i = 0; i < Math.min(inflight, calls); i++) send();
  });
  const wall = ((performance.now() - t0) * 1000) / calls;
  const used = process.cpuUsage(cpu0);
  return { wall, cpu: (used.user + used.system) / calls };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const [rounds = 5, calls = 20_000] = process.argv.slice(2, 4).map(Number);
  const worker = new Worker(fileURLToPath(import.meta.url));
  const levels = [1, 4, 32];
  const results = new Map(levels.map((n) => [n, { wall: [] as number[], cpu: [] as number[] }]));
  // Unmeasured, so that both threads run optimised code.
  await roundTrips(worker, calls, 4);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? levels : [...levels].reverse();
    for (const n of order) {
      const r = await roundTrips(worker, calls, n);
      results.get(n)?.wall.push(r.wall);
      results.get(n)?.cpu.push(r.cpu);
    }
  }
  await worker.terminate();
  console.log(`node ${process.version}; ${rounds} rounds of ${calls} round trips, medians`);
  const rows = [['in flight', 'wall µs/round trip', 'CPU µs/round trip']];
  for (const [n, r] of results) rows.push([String(n), median(r.wall).toFixed(1), median(r.cpu).toFixed(1)]);
  console.log(table(rows));
}

if (!isMainThread) {
  // The worker: answers each call at once with a `state` of the same size.
  parentPort?.on('message', (m: Call) =>
    parentPort?.postMessage({ op: 'state', seq: m.seq, output: m.bytes, established: true }),
  );
} else if (isMain(import.meta.url)) {
  await main();
}
