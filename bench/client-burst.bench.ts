/**
 * A burst of 20,000 Access-Requests sent at once to one FreeRADIUS 3.2 (stock configuration and
 * thread pool, `startFreeradius` of test/helpers/peers.ts): the time until every one is answered,
 * for RadiusClient with its defaults (adaptive window, timeout 3 s, retries 3) and for FreeRADIUS's
 * own `radclient -p 256 -c 1` reading the 20,000 requests from a file (its defaults: -t 3 -r 3).
 * The two alternate, round by round, against the same server; the figures are medians.
 * radclient's time includes starting the process and reading the file; RadiusClient's, building
 * the 20,000 packets. Nothing is asserted: see test/interop/client-freeradius.test.ts for that.
 * Run with `node build/bench/client-burst.bench.js [--rounds 3] [--count 20000]`.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RadiusClient } from '../src/client/radius-client.js';
import { ACCESS_ACCEPT } from '../src/protocol/codes.js';
import { AccessRequest } from '../src/protocol/packet.js';
import { findBinary, runCommand, startFreeradius } from '../test/helpers/peers.js';
import { isMain } from './server-process.js';
import { fmtInt, fmtRatio, median, table } from './stats.js';

const SECRET = 'burst-bench-s3cret';
const USER = 'alice';
const PASSWORD = 'alicepw';

/** One run of one contender. */
export interface BurstResult {
  contender: 'aioradius' | 'radclient -p 256';
  round: number;
  seconds: number;
  accepted: number;
  /** Calls that ended without an answer. */
  failed: number;
  retransmissions: number | undefined;
}

async function runOurs(port: number, count: number, round: number): Promise<BurstResult> {
  const client = new RadiusClient();
  try {
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: count }, () =>
        client.sendPacket(
          new AccessRequest(SECRET).addAttributes(['User-Name', USER], ['User-Password', PASSWORD]),
          { remoteHost: '127.0.0.1', remotePort: port },
        ),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    let accepted = 0;
    for (const r of results) if (r.status === 'fulfilled' && r.value[0].code === ACCESS_ACCEPT) accepted++;
    const failed = results.filter((r) => r.status === 'rejected').length;
    return {
      contender: 'aioradius',
      round,
      seconds,
      accepted,
      failed,
      retransmissions: client.statistics.retransmissions,
    };
  } finally {
    client.close();
  }
}

async function runRadclient(port: number, file: string, count: number, round: number): Promise<BurstResult> {
  const bin = findBinary('radclient') ?? 'radclient';
  const started = performance.now();
  const r = await runCommand(
    bin,
    ['-q', '-s', '-c', '1', '-p', '256', '-f', file, `127.0.0.1:${port}`, 'auth', SECRET],
    { timeoutMs: 600_000 },
  );
  const seconds = (performance.now() - started) / 1000;
  // -s: a "Packet summary" with Accepted, Rejected and Lost lines.
  const num = (re: RegExp) => Number(r.stdout.match(re)?.[1] ?? Number.NaN);
  const accepted = num(/^\s*Accepted\s*:\s*(\d+)/m);
  const lost = num(/^\s*Lost\s*:\s*(\d+)/m);
  if (Number.isNaN(accepted))
    throw new Error(`radclient: no summary (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
  return {
    contender: 'radclient -p 256',
    round,
    seconds,
    accepted,
    failed: Number.isNaN(lost) ? count - accepted : lost,
    retransmissions: undefined,
  };
}

/** Runs the rounds; returns every result. */
export async function runClientBurstBench(
  options: { rounds?: number; count?: number; log?: (line: string) => void } = {},
): Promise<BurstResult[]> {
  const rounds = options.rounds ?? 3;
  const count = options.count ?? 20_000;
  const log = options.log ?? ((line: string) => console.log(line));
  if (!findBinary('radclient')) throw new Error('radclient (freeradius-utils) is not installed');
  const fr = await startFreeradius({ secret: SECRET, users: [{ name: USER, password: PASSWORD }] });
  const file = path.join(tmpdir(), `aioradius-burst-${process.pid}.txt`);
  await writeFile(file, `User-Name = "${USER}"\nUser-Password = "${PASSWORD}"\n\n`.repeat(count));
  const results: BurstResult[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? ['ours', 'radclient'] : ['radclient', 'ours'];
      for (const which of order) {
        const r =
          which === 'ours'
            ? await runOurs(fr.authPort, count, round)
            : await runRadclient(fr.authPort, file, count, round);
        results.push(r);
        log(
          `round ${round}  ${r.contender.padEnd(16)} ${r.seconds.toFixed(2)} s  accepted ${fmtInt(r.accepted)}` +
            `  unanswered ${fmtInt(r.failed)}` +
            (r.retransmissions === undefined ? '' : `  retransmissions ${fmtInt(r.retransmissions)}`),
        );
      }
    }
  } finally {
    await fr.stop();
  }
  const of = (c: BurstResult['contender']) => results.filter((r) => r.contender === c);
  const ours = median(of('aioradius').map((r) => r.seconds));
  const theirs = median(of('radclient -p 256').map((r) => r.seconds));
  log('');
  log(
    table([
      [`${fmtInt(count)} at once to FreeRADIUS`, 'median s', 'rounds (s)'],
      ...(['aioradius', 'radclient -p 256'] as const).map((c) => [
        c,
        median(of(c).map((r) => r.seconds)).toFixed(2),
        of(c)
          .map((r) => r.seconds.toFixed(2))
          .join(' / '),
      ]),
    ]),
  );
  log(`radclient / aioradius: ${fmtRatio(theirs / ours)} (above 1: aioradius finished sooner)`);
  return results;
}

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, count: { type: 'string' } },
  });
  await runClientBurstBench({
    rounds: values.rounds ? Number(values.rounds) : undefined,
    count: values.count ? Number(values.count) : undefined,
  });
}
