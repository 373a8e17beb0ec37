/*
 * MD4 message digest (RFC 1320) in plain TypeScript.
 *
 * Why it exists: OpenSSL 3, which Node 17+ links, moved MD4 to its "legacy" provider, so
 * `createHash('md4')` throws on stock Node 20/22 unless the process runs with
 * --openssl-legacy-provider. MS-CHAP's NT password hash (RFC 2759 §8.3, §8.4) needs MD4, so we carry
 * our own. MD4 is broken as a general-purpose hash: use it only where a protocol demands it.
 */

import { InvalidValueError } from '../errors.js';

/** Rotate a 32-bit word left by `s` bits. */
function rotl(x: number, s: number): number {
  return (x << s) | (x >>> (32 - s));
}

// RFC 1320 §3.4: the three auxiliary functions.
function f(x: number, y: number, z: number): number {
  return (x & y) | (~x & z);
}
function g(x: number, y: number, z: number): number {
  return (x & y) | (x & z) | (y & z);
}
function h(x: number, y: number, z: number): number {
  return x ^ y ^ z;
}

// RFC 1320 §3.4: round 2 and round 3 add these constants (sqrt(2) and sqrt(3) scaled to 32 bits).
const ROUND2_CONSTANT = 0x5a827999;
const ROUND3_CONSTANT = 0x6ed9eba1;

// Word order and shift amounts of each round, as listed in RFC 1320 §3.4.
const ROUND1_ORDER = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
const ROUND2_ORDER = [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15];
const ROUND3_ORDER = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];
const ROUND1_SHIFTS = [3, 7, 11, 19];
const ROUND2_SHIFTS = [3, 5, 9, 13];
const ROUND3_SHIFTS = [3, 9, 11, 15];

/** RFC 1320 §3.1-3.2: append 0x80, zeros up to 56 mod 64, then the bit length as 64-bit little-endian. */
function pad(message: Uint8Array): Buffer {
  const paddedLength = (Math.floor((message.length + 8) / 64) + 1) * 64;
  const out = Buffer.alloc(paddedLength);
  out.set(message, 0);
  out[message.length] = 0x80;
  const bitLength = message.length * 8;
  // Split into two 32-bit halves: JS bit operators only handle 32 bits.
  out.writeUInt32LE(bitLength % 0x100000000, paddedLength - 8);
  out.writeUInt32LE(Math.floor(bitLength / 0x100000000), paddedLength - 4);
  return out;
}

/** MD4 digest (16 bytes) of `data`, per RFC 1320. */
export function md4(data: Uint8Array): Buffer {
  if (!(data instanceof Uint8Array)) {
    throw new InvalidValueError('md4 input', 'expected a Buffer or Uint8Array');
  }
  // RFC 1320 §3.3: initial state.
  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;

  const padded = pad(data);
  const x = new Array<number>(16);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readInt32LE(offset + i * 4);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;

    // Each round runs 16 steps; step i updates one of a, d, c, b in turn.
    for (let i = 0; i < 16; i++) {
      const t = (a + f(b, c, d) + x[ROUND1_ORDER[i]]) | 0;
      [a, b, c, d] = [d, rotl(t, ROUND1_SHIFTS[i % 4]), b, c];
    }
    for (let i = 0; i < 16; i++) {
      const t = (a + g(b, c, d) + x[ROUND2_ORDER[i]] + ROUND2_CONSTANT) | 0;
      [a, b, c, d] = [d, rotl(t, ROUND2_SHIFTS[i % 4]), b, c];
    }
    for (let i = 0; i < 16; i++) {
      const t = (a + h(b, c, d) + x[ROUND3_ORDER[i]] + ROUND3_CONSTANT) | 0;
      [a, b, c, d] = [d, rotl(t, ROUND3_SHIFTS[i % 4]), b, c];
    }

    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  // RFC 1320 §3.5: output A, B, C, D, each low-order byte first.
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}
