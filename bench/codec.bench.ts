/**
 * Codec benchmark: encode and decode of a typical Access-Request and Accounting-Request, this
 * library against npm `radius` 1.1.4 doing the same work, in one process and one run.
 *
 * - encode: build the packet from an attribute list and produce wire bytes (fresh Request
 *   Authenticator per Access-Request, User-Password hidden, Message-Authenticator signed; the
 *   Accounting-Request authenticator computed, RFC 2866 section 3).
 * - decode: parse the same wire bytes with verification: Message-Authenticator checked and
 *   User-Password revealed (Access-Request), Request Authenticator checked (Accounting-Request).
 *
 * Contenders alternate inside every round (A B, then B A) so that drift of the machine hits both;
 * the figure reported is the median ops/s over the rounds. Run: `node build/bench/codec.bench.js
 * [rounds] [ms-per-run]` after `npm run build:test`.
 */
import radius from 'radius';
import { pathToFileURL } from 'node:url';
import { AccessRequest, AccountingRequest, decodeRequest } from '../src/index.js';
import { fmtInt, fmtRatio, median, table } from './stats.js';

const SECRET = 'b3nchm4rk-s3cret';

/** One case (e.g. "encode Access-Request") with its two contenders. */
interface CodecCase {
  name: string;
  ours: () => unknown;
  npm: () => unknown;
}

/** Result of one case: median ops/s of each contender and their ratio. */
export interface CodecResult {
  name: string;
  oursOpsPerSec: number;
  npmOpsPerSec: number;
  /** ours / npm. */
  ratio: number;
  /** ops/s of every round, in order. */
  oursRounds: number[];
  npmRounds: number[];
}

/** Options of {@link runCodecBench}. */
export interface CodecBenchOptions {
  /** Rounds per case (each contender runs once per round); default 5. */
  rounds?: number;
  /** Milliseconds each timed run lasts; default 400. */
  runMs?: number;
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

// Values of a typical session; both libraries get exactly these.
const USER = 'alice@example.com';
const PASSWORD = 'correct horse battery';
const NAS_IP = '192.0.2.10';
const CALLED = '00-11-22-33-44-55:corp-wifi';
const CALLING = 'AA-BB-CC-DD-EE-FF';
const EVENT_TIME = new Date('2024-07-09T12:00:00Z');

type Pair = [string, string | number | Date];

function accessAttributes(): Pair[] {
  return [
    ['User-Name', USER],
    ['User-Password', PASSWORD],
    ['NAS-IP-Address', NAS_IP],
    ['NAS-Port', 12],
    ['Called-Station-Id', CALLED],
    ['Calling-Station-Id', CALLING],
  ];
}

function accountingAttributes(): Pair[] {
  return [
    ['Acct-Status-Type', 'Interim-Update'],
    ['Acct-Session-Id', '5f2a0c1d-00000042'],
    ['User-Name', USER],
    ['NAS-IP-Address', NAS_IP],
    ['NAS-Identifier', 'ap-17.example.net'],
    ['NAS-Port', 12],
    ['NAS-Port-Type', 'Wireless-802.11'],
    ['Framed-IP-Address', '10.1.2.3'],
    ['Acct-Input-Octets', 1_234_567],
    ['Acct-Output-Octets', 7_654_321],
    ['Acct-Input-Packets', 4_321],
    ['Acct-Output-Packets', 5_432],
    ['Acct-Session-Time', 3_600],
    ['Event-Timestamp', EVENT_TIME],
    ['Calling-Station-Id', CALLING],
    ['Called-Station-Id', CALLED],
    ['Acct-Delay-Time', 0],
  ];
}

/** The four cases; decoders get bytes made by our encoder, checked to decode identically in both. */
export function codecCases(): CodecCase[] {
  const accessBytes = new AccessRequest(SECRET, { attributes: accessAttributes() }).encode();
  const acctBytes = new AccountingRequest(SECRET, { attributes: accountingAttributes() }).encode();

  // Sanity: both libraries accept both packets and see the same password and counters.
  const a1 = decodeRequest(SECRET, accessBytes);
  const a2 = radius.decode({ packet: accessBytes, secret: SECRET });
  if (a1.get('User-Password') !== PASSWORD || a2.attributes['User-Password'] !== PASSWORD) {
    throw new Error('codec bench: the Access-Request does not decode to the same password in both libraries');
  }
  const c1 = decodeRequest(SECRET, acctBytes);
  const c2 = radius.decode({ packet: acctBytes, secret: SECRET });
  if (c1.get('Acct-Output-Octets') !== 7_654_321 || c2.attributes['Acct-Output-Octets'] !== 7_654_321) {
    throw new Error('codec bench: the Accounting-Request does not decode the same in both libraries');
  }
  const npmAccess = radius.encode({
    code: 'Access-Request',
    secret: SECRET,
    attributes: accessAttributes(),
    add_message_authenticator: true,
  });
  if (decodeRequest(SECRET, npmAccess).get('User-Password') !== PASSWORD) {
    throw new Error('codec bench: npm radius encoded an Access-Request this library cannot verify');
  }

  return [
    {
      name: 'encode Access-Request',
      ours: () => new AccessRequest(SECRET, { attributes: accessAttributes() }).encode(),
      npm: () =>
        radius.encode({
          code: 'Access-Request',
          secret: SECRET,
          attributes: accessAttributes(),
          add_message_authenticator: true,
        }),
    },
    {
      name: 'decode Access-Request',
      ours: () => decodeRequest(SECRET, accessBytes),
      npm: () => radius.decode({ packet: accessBytes, secret: SECRET }),
    },
    {
      name: 'encode Accounting-Request',
      ours: () => new AccountingRequest(SECRET, { attributes: accountingAttributes() }).encode(),
      npm: () =>
        radius.encode({ code: 'Accounting-Request', secret: SECRET, attributes: accountingAttributes() }),
    },
    {
      name: 'decode Accounting-Request',
      ours: () => decodeRequest(SECRET, acctBytes),
      npm: () => radius.decode({ packet: acctBytes, secret: SECRET }),
    },
  ];
}

let sink: unknown;

/** Calls `fn` for about `ms` milliseconds and returns calls per second. */
function timedRun(fn: () => unknown, ms: number): number {
  const limit = BigInt(Math.round(ms * 1e6));
  const t0 = process.hrtime.bigint();
  let n = 0;
  let elapsed = 0n;
  // The clock is read every 64 calls: often enough to stop on time, rarely enough to cost nothing.
  do {
    for (let i = 0; i < 64; i++) sink = fn();
    n += 64;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < limit);
  return (n * 1e9) / Number(elapsed);
}

/** Runs every case for `rounds` rounds, alternating which contender goes first. */
export function runCodecBench(options: CodecBenchOptions = {}): CodecResult[] {
  const rounds = options.rounds ?? 5;
  const runMs = options.runMs ?? 400;
  const log = options.log ?? (() => {});
  const results: CodecResult[] = [];
  for (const c of codecCases()) {
    // Warm-up so both contenders are optimised before timing.
    timedRun(c.ours, runMs / 2);
    timedRun(c.npm, runMs / 2);
    const ours: number[] = [];
    const npm: number[] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        ours.push(timedRun(c.ours, runMs));
        npm.push(timedRun(c.npm, runMs));
      } else {
        npm.push(timedRun(c.npm, runMs));
        ours.push(timedRun(c.ours, runMs));
      }
      log(`  ${c.name} round ${r + 1}: ours ${fmtInt(ours[r])}/s, npm radius ${fmtInt(npm[r])}/s`);
    }
    const o = median(ours);
    const m = median(npm);
    results.push({
      name: c.name,
      oursOpsPerSec: o,
      npmOpsPerSec: m,
      ratio: o / m,
      oursRounds: ours,
      npmRounds: npm,
    });
  }
  if (sink === 0.5) log('');
  return results;
}

/** The results as an aligned text table. */
export function formatCodecResults(results: readonly CodecResult[]): string {
  return table([
    ['case', 'aioradius ops/s', 'npm radius ops/s', 'ratio'],
    ...results.map((r) => [r.name, fmtInt(r.oursOpsPerSec), fmtInt(r.npmOpsPerSec), fmtRatio(r.ratio)]),
  ]);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 5);
  const runMs = Number(process.argv[3] ?? 400);
  console.log(
    `codec benchmark: ${rounds} rounds x ${runMs} ms per contender, medians (node ${process.version})`,
  );
  const results = runCodecBench({ rounds, runMs, log: (l) => console.log(l) });
  console.log(formatCodecResults(results));
}
