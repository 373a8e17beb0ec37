/*
 * DES (FIPS 46-3), single-block ECB encryption only, in plain TypeScript.
 *
 * Why it exists: OpenSSL 3, which Node 17+ links, moved single DES to its "legacy" provider, so
 * `createCipheriv('des-ecb', ...)` throws on stock Node 20/22 unless the process runs with
 * --openssl-legacy-provider. MS-CHAP v1/v2 compute their challenge responses with DES
 * (RFC 2433 §A.5, RFC 2759 §8.5-8.6), and DES-based crypt(3) checks stored passwords with a
 * salt-perturbed DES no library offers (desCryptBlock). Those are its only uses here: DES is far
 * too weak for confidentiality, and this code makes no attempt at speed or side-channel resistance.
 *
 * OpenSSL's triple DES stays in its default provider, and with one key three times it is single
 * DES (encrypt, decrypt, encrypt with K: the last two cancel out): desEncryptBlock uses it when this
 * OpenSSL has it and gives the standard's answer (5 µs a block against 27 here, measured on Node 20),
 * else the code below (an OpenSSL whose provider refuses triple DES, as FIPS ones may).
 *
 * The code follows the standard's description bit by bit: blocks are arrays of 0/1 values and every
 * table below lists 1-based bit positions, most significant bit of the first byte being bit 1.
 */

import { createCipheriv } from 'node:crypto';
import { InvalidValueError } from '../errors.js';

// The tables are laid out as printed in FIPS 46-3; the formatter is told to keep them that way.

// FIPS 46-3: initial permutation IP.
// biome-ignore format: FIPS 46-3 layout
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2,
  60, 52, 44, 36, 28, 20, 12, 4,
  62, 54, 46, 38, 30, 22, 14, 6,
  64, 56, 48, 40, 32, 24, 16, 8,
  57, 49, 41, 33, 25, 17,  9, 1,
  59, 51, 43, 35, 27, 19, 11, 3,
  61, 53, 45, 37, 29, 21, 13, 5,
  63, 55, 47, 39, 31, 23, 15, 7,
];

// FIPS 46-3: inverse initial permutation IP^-1 (final permutation).
// biome-ignore format: FIPS 46-3 layout
const IP_INVERSE = [
  40, 8, 48, 16, 56, 24, 64, 32,
  39, 7, 47, 15, 55, 23, 63, 31,
  38, 6, 46, 14, 54, 22, 62, 30,
  37, 5, 45, 13, 53, 21, 61, 29,
  36, 4, 44, 12, 52, 20, 60, 28,
  35, 3, 43, 11, 51, 19, 59, 27,
  34, 2, 42, 10, 50, 18, 58, 26,
  33, 1, 41,  9, 49, 17, 57, 25,
];

// FIPS 46-3: E bit-selection table, expands the 32-bit half block to 48 bits.
// biome-ignore format: FIPS 46-3 layout
const E = [
  32,  1,  2,  3,  4,  5,
   4,  5,  6,  7,  8,  9,
   8,  9, 10, 11, 12, 13,
  12, 13, 14, 15, 16, 17,
  16, 17, 18, 19, 20, 21,
  20, 21, 22, 23, 24, 25,
  24, 25, 26, 27, 28, 29,
  28, 29, 30, 31, 32,  1,
];

// FIPS 46-3: permutation P applied to the S-box output.
// biome-ignore format: FIPS 46-3 layout
const P = [
  16,  7, 20, 21,
  29, 12, 28, 17,
   1, 15, 23, 26,
   5, 18, 31, 10,
   2,  8, 24, 14,
  32, 27,  3,  9,
  19, 13, 30,  6,
  22, 11,  4, 25,
];

// FIPS 46-3: permuted choice 1, picks the 56 key bits (parity bits 8, 16, ... 64 are dropped).
// The first four rows give C0, the last four D0.
// biome-ignore format: FIPS 46-3 layout
const PC1 = [
  57, 49, 41, 33, 25, 17,  9,
   1, 58, 50, 42, 34, 26, 18,
  10,  2, 59, 51, 43, 35, 27,
  19, 11,  3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15,
   7, 62, 54, 46, 38, 30, 22,
  14,  6, 61, 53, 45, 37, 29,
  21, 13,  5, 28, 20, 12,  4,
];

// FIPS 46-3: permuted choice 2, picks the 48 bits of each round key from C||D.
// biome-ignore format: FIPS 46-3 layout
const PC2 = [
  14, 17, 11, 24,  1,  5,
   3, 28, 15,  6, 21, 10,
  23, 19, 12,  4, 26,  8,
  16,  7, 27, 20, 13,  2,
  41, 52, 31, 37, 47, 55,
  30, 40, 51, 45, 33, 48,
  44, 49, 39, 56, 34, 53,
  46, 42, 50, 36, 29, 32,
];

// FIPS 46-3: left shifts of C and D before each of the 16 rounds.
const KEY_SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

// FIPS 46-3: the eight S-boxes S1..S8, each 4 rows of 16 columns.
// biome-ignore format: FIPS 46-3 layout
const S_BOXES: readonly (readonly number[])[] = [
  [
    14,  4, 13,  1,  2, 15, 11,  8,  3, 10,  6, 12,  5,  9,  0,  7,
     0, 15,  7,  4, 14,  2, 13,  1, 10,  6, 12, 11,  9,  5,  3,  8,
     4,  1, 14,  8, 13,  6,  2, 11, 15, 12,  9,  7,  3, 10,  5,  0,
    15, 12,  8,  2,  4,  9,  1,  7,  5, 11,  3, 14, 10,  0,  6, 13,
  ],
  [
    15,  1,  8, 14,  6, 11,  3,  4,  9,  7,  2, 13, 12,  0,  5, 10,
     3, 13,  4,  7, 15,  2,  8, 14, 12,  0,  1, 10,  6,  9, 11,  5,
     0, 14,  7, 11, 10,  4, 13,  1,  5,  8, 12,  6,  9,  3,  2, 15,
    13,  8, 10,  1,  3, 15,  4,  2, 11,  6,  7, 12,  0,  5, 14,  9,
  ],
  [
    10,  0,  9, 14,  6,  3, 15,  5,  1, 13, 12,  7, 11,  4,  2,  8,
    13,  7,  0,  9,  3,  4,  6, 10,  2,  8,  5, 14, 12, 11, 15,  1,
    13,  6,  4,  9,  8, 15,  3,  0, 11,  1,  2, 12,  5, 10, 14,  7,
     1, 10, 13,  0,  6,  9,  8,  7,  4, 15, 14,  3, 11,  5,  2, 12,
  ],
  [
     7, 13, 14,  3,  0,  6,  9, 10,  1,  2,  8,  5, 11, 12,  4, 15,
    13,  8, 11,  5,  6, 15,  0,  3,  4,  7,  2, 12,  1, 10, 14,  9,
    10,  6,  9,  0, 12, 11,  7, 13, 15,  1,  3, 14,  5,  2,  8,  4,
     3, 15,  0,  6, 10,  1, 13,  8,  9,  4,  5, 11, 12,  7,  2, 14,
  ],
  [
     2, 12,  4,  1,  7, 10, 11,  6,  8,  5,  3, 15, 13,  0, 14,  9,
    14, 11,  2, 12,  4,  7, 13,  1,  5,  0, 15, 10,  3,  9,  8,  6,
     4,  2,  1, 11, 10, 13,  7,  8, 15,  9, 12,  5,  6,  3,  0, 14,
    11,  8, 12,  7,  1, 14,  2, 13,  6, 15,  0,  9, 10,  4,  5,  3,
  ],
  [
    12,  1, 10, 15,  9,  2,  6,  8,  0, 13,  3,  4, 14,  7,  5, 11,
    10, 15,  4,  2,  7, 12,  9,  5,  6,  1, 13, 14,  0, 11,  3,  8,
     9, 14, 15,  5,  2,  8, 12,  3,  7,  0,  4, 10,  1, 13, 11,  6,
     4,  3,  2, 12,  9,  5, 15, 10, 11, 14,  1,  7,  6,  0,  8, 13,
  ],
  [
     4, 11,  2, 14, 15,  0,  8, 13,  3, 12,  9,  7,  5, 10,  6,  1,
    13,  0, 11,  7,  4,  9,  1, 10, 14,  3,  5, 12,  2, 15,  8,  6,
     1,  4, 11, 13, 12,  3,  7, 14, 10, 15,  6,  8,  0,  5,  9,  2,
     6, 11, 13,  8,  1,  4, 10,  7,  9,  5,  0, 15, 14,  2,  3, 12,
  ],
  [
    13,  2,  8,  4,  6, 15, 11,  1, 10,  9,  3, 14,  5,  0, 12,  7,
     1, 15, 13,  8, 10,  3,  7,  4, 12,  5,  6, 11,  0, 14,  9,  2,
     7, 11,  4,  1,  9, 12, 14,  2,  0,  6, 10, 13, 15,  3,  5,  8,
     2,  1, 14,  7,  4, 10,  8, 13, 15, 12,  9,  0,  3,  5,  6, 11,
  ],
];

/** Bytes to an array of bits, most significant bit first. */
function toBits(bytes: Uint8Array): number[] {
  const bits: number[] = [];
  for (const byte of bytes) {
    for (let i = 7; i >= 0; i--) bits.push((byte >> i) & 1);
  }
  return bits;
}

/** Bits (most significant first, length a multiple of 8) back to bytes. */
function fromBits(bits: readonly number[]): Buffer {
  const out = Buffer.alloc(bits.length / 8);
  for (let i = 0; i < bits.length; i++) out[i >> 3] |= bits[i] << (7 - (i & 7));
  return out;
}

/** Output bit i is input bit table[i] (tables are 1-based, as printed in FIPS 46-3). */
function permute(input: readonly number[], table: readonly number[]): number[] {
  return table.map((position) => input[position - 1]);
}

function rotateLeft(bits: readonly number[], count: number): number[] {
  return [...bits.slice(count), ...bits.slice(0, count)];
}

/** FIPS 46-3 key schedule: the 16 round keys of 48 bits each. */
function roundKeys(key: Uint8Array): number[][] {
  const selected = permute(toBits(key), PC1);
  let left = selected.slice(0, 28);
  let right = selected.slice(28);
  const keys: number[][] = [];
  for (const shift of KEY_SHIFTS) {
    left = rotateLeft(left, shift);
    right = rotateLeft(right, shift);
    keys.push(permute([...left, ...right], PC2));
  }
  return keys;
}

/**
 * FIPS 46-3 cipher function f(R, K): expand (by `expansion`, E unless crypt(3) salted it), mix in
 * the round key, substitute, permute.
 */
function feistel(
  right: readonly number[],
  roundKey: readonly number[],
  expansion: readonly number[],
): number[] {
  const mixed = permute(right, expansion).map((bit, i) => bit ^ roundKey[i]);
  const substituted: number[] = [];
  for (let box = 0; box < 8; box++) {
    const six = mixed.slice(box * 6, box * 6 + 6);
    // The outer two bits choose the row, the inner four the column.
    const row = (six[0] << 1) | six[5];
    const column = (six[1] << 3) | (six[2] << 2) | (six[3] << 1) | six[4];
    const value = S_BOXES[box][row * 16 + column];
    for (let i = 3; i >= 0; i--) substituted.push((value >> i) & 1);
  }
  return permute(substituted, P);
}

/**
 * Encrypt one 8-byte block with an 8-byte DES key (parity bits ignored). For MS-CHAP only; see the
 * note at the top of this file.
 */
export function desEncryptBlock(block: Uint8Array, key: Uint8Array): Buffer {
  if (!(block instanceof Uint8Array) || block.length !== 8) {
    throw new InvalidValueError('DES block', 'expected 8 bytes');
  }
  if (!(key instanceof Uint8Array) || key.length !== 8) {
    throw new InvalidValueError('DES key', 'expected 8 bytes');
  }
  if (opensslDes ?? checkOpensslDes()) return opensslBlock(block, key);
  return jsBlock(block, key);
}

/** Whether OpenSSL's triple DES gives single DES here: undefined until checked. */
let opensslDes: boolean | undefined;

/** One block through OpenSSL: triple DES keyed K, K, K. */
function opensslBlock(block: Uint8Array, key: Uint8Array): Buffer {
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return cipher.update(block);
}

/** Tries OpenSSL once on the FIPS 81 example ("Now is t" under 0123456789abcdef). */
function checkOpensslDes(): boolean {
  try {
    const out = opensslBlock(Buffer.from('4e6f772069732074', 'hex'), Buffer.from('0123456789abcdef', 'hex'));
    opensslDes = out.toString('hex') === '3fa40e8a984d4815';
  } catch {
    opensslDes = false;
  }
  return opensslDes;
}

/** One block by the standard's description (the fallback). Exported for the tests. */
export function jsBlock(block: Uint8Array, key: Uint8Array): Buffer {
  return fromBits(encryptBits(toBits(block), roundKeys(key), E));
}

/** The 16 rounds between IP and IP^-1 on a block of bits (FIPS 46-3), with E as given. */
function encryptBits(
  block: readonly number[],
  keys: readonly number[][],
  expansion: readonly number[],
): number[] {
  const permuted = permute(block, IP);
  let left = permuted.slice(0, 32);
  let right = permuted.slice(32);
  for (const roundKey of keys) {
    const f = feistel(right, roundKey, expansion);
    [left, right] = [right, left.map((bit, i) => bit ^ f[i])];
  }
  // The last round's halves are not swapped back: the output is R16 || L16.
  return permute([...right, ...left], IP_INVERSE);
}

/**
 * crypt(3)'s DES: `count` encryptions in a row of `block` under `key` (parity bits ignored), with
 * E's output bits i and i+24 exchanged for every bit i set in `saltBits` (the salt of traditional
 * crypt has 12 bits, extended crypt's 24). With saltBits 0 and count 1 this is desEncryptBlock.
 */
export function desCryptBlock(block: Uint8Array, key: Uint8Array, saltBits: number, count: number): Buffer {
  if (block.length !== 8) throw new InvalidValueError('DES block', 'expected 8 bytes');
  if (key.length !== 8) throw new InvalidValueError('DES key', 'expected 8 bytes');
  if (!Number.isInteger(saltBits) || saltBits < 0 || saltBits >= 1 << 24) {
    throw new InvalidValueError('crypt salt', 'expected 0 to 24 bits');
  }
  if (!Number.isInteger(count) || count < 1) throw new InvalidValueError('crypt count', 'expected 1 or more');
  // OpenSSL's DES has no salt, so crypt(3) always takes the code above.
  const expansion = [...E];
  for (let i = 0; i < 24; i++) {
    if ((saltBits >>> i) & 1) [expansion[i], expansion[i + 24]] = [E[i + 24], E[i]];
  }
  const keys = roundKeys(key);
  let bits = toBits(block);
  for (let n = 0; n < count; n++) bits = encryptBits(bits, keys, expansion);
  return fromBits(bits);
}

/**
 * Spread a 7-byte (56-bit) key over 8 bytes, 7 key bits per byte followed by an odd parity bit
 * (RFC 2759 §8.6 and the example in §9.3).
 */
export function expandDesKey(key7: Uint8Array): Buffer {
  if (!(key7 instanceof Uint8Array) || key7.length !== 7) {
    throw new InvalidValueError('DES key', 'expected 7 bytes');
  }
  const bits = toBits(key7);
  const out = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) {
    let byte = 0;
    let ones = 0;
    for (let j = 0; j < 7; j++) {
      const bit = bits[i * 7 + j];
      byte = (byte << 1) | bit;
      ones += bit;
    }
    out[i] = (byte << 1) | (ones % 2 === 0 ? 1 : 0);
  }
  return out;
}

/** RFC 2759 §8.6 DesEncrypt(): encrypt an 8-byte block with a 7-byte key. */
export function desEncrypt(clear: Uint8Array, key7: Uint8Array): Buffer {
  return desEncryptBlock(clear, expandDesKey(key7));
}
