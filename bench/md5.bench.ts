/**
 * Micro-benchmark: MD5 and HMAC-MD5 of a 124-byte message, this module against node:crypto.
 * Run with `node build/bench/md5.bench.js` after `npm run build:test`.
 */
import { createHash, createHmac, hash, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { HmacMd5Key, hmacKeyFor, hmacMd5Into, md5, md5Into } from '../src/protocol/md5.js';

/** One benchmark row: a name and its measured throughput. */
export interface BenchResult {
  name: string;
  opsPerSec: number;
}

let sink = 0;

function measure(name: string, iterations: number, fn: () => Uint8Array): BenchResult {
  // Warm up so the optimizing compiler has settled, then keep the best of a few rounds: the machine
  // may be busy with other work, which only ever makes a round slower.
  for (let i = 0; i < 20_000; i++) sink ^= fn()[0];
  let best = 0;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink ^= fn()[0];
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.max(best, (iterations * 1e9) / ns);
  }
  return { name, opsPerSec: best };
}

/** Measures every variant at `size` bytes and returns the rows. */
export function runMd5Bench(size = 124, iterations = 200_000): BenchResult[] {
  const msg = randomBytes(size);
  const secret = Buffer.from('testing123');
  const key = new HmacMd5Key(secret);
  const out = Buffer.alloc(16);
  const head = msg.subarray(0, 4);
  const tail = msg.subarray(4);
  return [
    measure(`md5 ${size}B  crypto.hash`, iterations, () => hash('md5', msg, 'buffer')),
    measure(`md5 ${size}B  createHash`, iterations, () => createHash('md5').update(msg).digest()),
    measure(`md5 ${size}B  md5()`, iterations, () => md5(msg)),
    measure(`md5 ${size}B  md5Into()`, iterations, () => md5Into(out, 0, msg)),
    measure(`md5 ${size}B  md5Into() 3 parts`, iterations, () => md5Into(out, 0, head, tail, secret)),
    measure(`hmac ${size}B createHmac`, iterations, () => createHmac('md5', secret).update(msg).digest()),
    measure(`hmac ${size}B key.digestInto()`, iterations, () => key.digestInto(out, 0, msg)),
    measure(`hmac ${size}B key.digest()`, iterations, () => key.digest(msg)),
    measure(`hmac ${size}B hmacMd5Into(secret)`, iterations, () => hmacMd5Into(out, 0, secret, msg)),
    measure(`hmac ${size}B hmacKeyFor()+digestInto`, iterations, () =>
      hmacKeyFor(secret).digestInto(out, 0, msg),
    ),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of runMd5Bench()) {
    console.log(`${r.name.padEnd(40)} ${(r.opsPerSec / 1e6).toFixed(2)} M ops/s`);
  }
  if (sink === 0.5) console.log('');
}
