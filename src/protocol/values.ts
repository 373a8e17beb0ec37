import { isUtf8 } from 'node:buffer';
import type { AttributeDef } from '../dictionary/definitions.js';
import type { AttributeValue } from '../dictionary/types.js';
import { InvalidValueError, UnknownValueError } from '../errors.js';
import { decodeAscendFilter, encodeAscendFilter } from './ascend-filter.js';
import {
  clearHostBits,
  readEther,
  readIfid,
  readIPv4,
  readIPv6,
  writeEther,
  writeIfid,
  writeIPv4,
  writeIPv6,
} from './address.js';

/** Fixed value sizes per type (0 = variable). */
const FIXED_SIZE: Record<string, number> = {
  ipaddr: 4,
  ipv6addr: 16,
  ifid: 8,
  integer: 4,
  integer64: 8,
  date: 4,
  byte: 1,
  short: 2,
  signed: 4,
  ether: 6,
  ipv4prefix: 6,
};

/** The fixed wire size of a type's value, or 0 when it varies. */
export function fixedSize(def: AttributeDef): number {
  return def.flags.length ?? FIXED_SIZE[def.type] ?? 0;
}

/**
 * Writes the wire form of `value` for `def` into `buf` at `off` and returns the bytes written.
 * Byte values longer than the room left in `buf` are rejected; attribute length limits are the caller's.
 */
export function writeValue(def: AttributeDef, value: unknown, buf: Buffer, off: number): number {
  switch (def.type) {
    case 'string':
      if (typeof value === 'string') return writeText(value, buf, off);
      return writeBytes(def, value, buf, off);
    case 'abinary':
      // Filter text is encoded to the binary layout NASes read; bytes (a Buffer, 0x hex) go as they are.
      if (typeof value === 'string' && !/^0x/i.test(value)) return writeFilter(def, value, buf, off);
      return writeBytes(def, value, buf, off);
    case 'tlv':
      // A TLV given as bytes (WiMAX-Capability = 0x01ff...) is its children already encoded.
      return writeBytes(def, value, buf, off);
    case 'octets': {
      if (typeof value === 'string' && !/^0x/i.test(value)) return buf.write(value, off, 'utf8');
      const n = writeBytes(def, value, buf, off);
      if (def.flags.length !== undefined && n !== def.flags.length) {
        throw new InvalidValueError(def.name, `must be exactly ${def.flags.length} bytes, got ${n}`);
      }
      return n;
    }
    case 'ipaddr':
      if (typeof value !== 'string' || !writeIPv4(value, buf, off)) throw bad(def, value, 'an IPv4 address');
      return 4;
    case 'ipv6addr':
      if (typeof value !== 'string' || !writeIPv6(value, buf, off)) throw bad(def, value, 'an IPv6 address');
      return 16;
    case 'combo-ip':
      if (typeof value === 'string' && writeIPv4(value, buf, off)) return 4;
      if (typeof value === 'string' && writeIPv6(value, buf, off)) return 16;
      throw bad(def, value, 'an IPv4 or IPv6 address');
    case 'ipv6prefix':
      return writeIPv6Prefix(def, value, buf, off);
    case 'ipv4prefix':
      return writeIPv4Prefix(def, value, buf, off);
    case 'ifid':
      if (typeof value !== 'string' || !writeIfid(value, buf, off))
        throw bad(def, value, 'an interface id (xxxx:xxxx:xxxx:xxxx)');
      return 8;
    case 'ether':
      if (typeof value !== 'string' || !writeEther(value, buf, off)) throw bad(def, value, 'a MAC address');
      return 6;
    case 'integer':
      put32(buf, toInteger(def, value, 0, 0xffffffff), off);
      return 4;
    case 'signed':
      put32(buf, toInteger(def, value, -0x80000000, 0x7fffffff), off);
      return 4;
    case 'short':
      if (off < 0 || off + 2 > buf.length) buf.writeUInt16BE(toInteger(def, value, 0, 0xffff), off);
      else {
        const n = toInteger(def, value, 0, 0xffff);
        buf[off] = n >>> 8;
        buf[off + 1] = n;
      }
      return 2;
    case 'byte':
      buf[off] = toInteger(def, value, 0, 0xff);
      return 1;
    case 'integer64':
      buf.writeBigUInt64BE(toBigInt(def, value), off);
      return 8;
    case 'date':
      put32(buf, toSeconds(def, value), off);
      return 4;
    default:
      throw new InvalidValueError(def.name, `type ${def.type} holds other attributes, not a value`);
  }
}

// Short ASCII text is copied byte by byte: for the 5-40 byte strings of RADIUS the fixed cost of
// Buffer.write / isUtf8 (argument checks, a native call) is larger than the work.
const SHORT_TEXT = 64;

/** Writes `text` as UTF-8 at `off` like `buf.write(text, off, 'utf8')`, returning the bytes written. */
function writeText(text: string, buf: Buffer, off: number): number {
  const n = text.length;
  if (n > SHORT_TEXT || off + n > buf.length) return buf.write(text, off, 'utf8');
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return buf.write(text, off, 'utf8');
    buf[off + i] = c;
  }
  return n;
}

/** A new Buffer with `buf[start, end)`; short values are copied byte by byte (no subarray view). */
function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  const len = end - start;
  if (len > SHORT_TEXT) return Buffer.from(buf.subarray(start, end));
  const out = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) out[i] = buf[start + i];
  return out;
}

/**
 * Writes a 32-bit value (already range-checked, signed or unsigned) big-endian at `off`. Byte stores
 * skip the argument checks of Buffer#writeUInt32BE, which cost more than the write; an offset out of
 * range still goes to it, to throw as before.
 */
function put32(buf: Buffer, n: number, off: number): void {
  if (off < 0 || off + 4 > buf.length) {
    buf.writeUInt32BE(n >>> 0, off);
    return;
  }
  buf[off] = n >>> 24;
  buf[off + 1] = n >>> 16;
  buf[off + 2] = n >>> 8;
  buf[off + 3] = n;
}

function isAscii(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return false;
  return true;
}

/** Longest text built with String.fromCharCode: up to here V8 makes flat strings of the pieces. */
const CHAR_CODE_TEXT = 12;

/**
 * `buf[start, end)` (ASCII) as a string. A user name or password of a few characters is built with
 * String.fromCharCode, which costs half of what Buffer#toString's argument handling does.
 */
function asciiText(buf: Buffer, start: number, end: number): string {
  if (end - start > CHAR_CODE_TEXT) return buf.toString('latin1', start, end);
  let text = '';
  let i = start;
  for (; i + 4 <= end; i += 4) text += String.fromCharCode(buf[i], buf[i + 1], buf[i + 2], buf[i + 3]);
  for (; i < end; i++) text += String.fromCharCode(buf[i]);
  return text;
}

/** Decodes a value of `def` from `buf[start, end)`, or returns undefined when the size is wrong for the type. */
export function readValue(
  def: AttributeDef,
  buf: Buffer,
  start: number,
  end: number,
): AttributeValue | undefined {
  const len = end - start;
  switch (def.type) {
    case 'string':
      // Non-UTF-8 bytes stay bytes, so nothing is lost on re-encode.
      if (len <= SHORT_TEXT && isAscii(buf, start, end)) return asciiText(buf, start, end);
      return isUtf8(buf.subarray(start, end))
        ? buf.toString('utf8', start, end)
        : Buffer.from(buf.subarray(start, end));
    case 'octets':
      if (def.flags.length !== undefined && len !== def.flags.length) return undefined;
      return copyBytes(buf, start, end);
    case 'abinary':
      // The filter's text; bytes the text would not give back (no filter, a field out of range)
      // stay bytes, as a string that is not UTF-8 does, so that a relayed filter is byte-exact.
      return decodeAscendFilter(buf, start, end) ?? copyBytes(buf, start, end);
    case 'ipaddr':
      return len === 4 ? readIPv4(buf, start) : undefined;
    case 'ipv6addr':
      return len === 16 ? readIPv6(buf, start) : undefined;
    case 'combo-ip':
      return len === 4 ? readIPv4(buf, start) : len === 16 ? readIPv6(buf, start) : undefined;
    case 'ipv6prefix':
      return readIPv6Prefix(buf, start, end);
    case 'ipv4prefix':
      return readIPv4Prefix(buf, start, end);
    case 'ifid':
      return len === 8 ? readIfid(buf, start) : undefined;
    case 'ether':
      return len === 6 ? readEther(buf, start) : undefined;
    case 'integer':
      return len === 4 ? named(def, buf.readUInt32BE(start)) : undefined;
    case 'signed':
      return len === 4 ? named(def, buf.readInt32BE(start)) : undefined;
    case 'short':
      return len === 2 ? named(def, buf.readUInt16BE(start)) : undefined;
    case 'byte':
      return len === 1 ? named(def, buf[start]) : undefined;
    case 'integer64':
      return len === 8 ? buf.readBigUInt64BE(start) : undefined;
    case 'date':
      return len === 4 ? new Date(buf.readUInt32BE(start) * 1000) : undefined;
    default:
      return undefined;
  }
}

/** The value's name when the dictionary has one, else the number. */
export function named(def: AttributeDef, n: number): string | number {
  if (def.valueNames.size === 0) return n;
  return def.valueNames.get(n) ?? n;
}

function writeFilter(def: AttributeDef, text: string, buf: Buffer, off: number): number {
  const bytes = encodeAscendFilter(text, def.name);
  if (bytes.length > buf.length - off)
    throw new InvalidValueError(def.name, `${bytes.length} bytes is over the ${buf.length - off}-byte limit`);
  bytes.copy(buf, off);
  return bytes.length;
}

function bad(def: AttributeDef, value: unknown, what: string): InvalidValueError {
  return new InvalidValueError(def.name, `${describe(value)} is not ${what}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return typeof value;
}

// The per-attribute limit (253 bytes, less inside a VSA) is the encoder's to check: concat and
// long-extended values (RFC 3579 §3.1, RFC 6929 §2.2) may be longer. Only the room left in `buf` bounds them here.
function writeBytes(def: AttributeDef, value: unknown, buf: Buffer, off: number): number {
  const room = buf.length - off;
  if (value instanceof Uint8Array) {
    if (value.length > room)
      throw new InvalidValueError(def.name, `${value.length} bytes is over the ${room}-byte limit`);
    buf.set(value, off);
    return value.length;
  }
  if (typeof value === 'string' && /^0x([0-9a-f]{2})*$/i.test(value)) {
    const n = (value.length - 2) / 2;
    if (n > room) throw new InvalidValueError(def.name, `${n} bytes is over the ${room}-byte limit`);
    return buf.write(value.slice(2), off, 'hex');
  }
  throw bad(def, value, 'bytes (a Buffer or a 0x-prefixed hex string)');
}

/** Integer value from a number, a numeric string, or a value name of the dictionary. */
export function toInteger(def: AttributeDef, value: unknown, min: number, max: number): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string') {
    const v = def.values.get(value.toLowerCase());
    if (v !== undefined) n = Number(v.value);
    else if (/^-?\d+$/.test(value)) n = Number(value);
    else if (/^0x[0-9a-f]+$/i.test(value)) n = Number.parseInt(value.slice(2), 16);
    // Only an attribute with value names can be given an unknown one; any other wants a number.
    else if (def.values.size === 0) throw bad(def, value, 'an integer');
    else throw new UnknownValueError(def.name, value);
  } else throw bad(def, value, 'an integer or a value name');
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidValueError(def.name, `${n} is outside ${min}..${max}`);
  return n;
}

function toBigInt(def: AttributeDef, value: unknown): bigint {
  let n: bigint;
  try {
    if (typeof value === 'bigint') n = value;
    else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
    else if (typeof value === 'string' && /^\d+$/.test(value)) n = BigInt(value);
    else throw bad(def, value, 'a 64-bit unsigned integer');
  } catch (e) {
    if (e instanceof InvalidValueError) throw e;
    throw bad(def, value, 'a 64-bit unsigned integer');
  }
  if (n < 0n || n > 0xffffffffffffffffn)
    throw new InvalidValueError(def.name, `${n} is outside the 64-bit unsigned range`);
  return n;
}

function toSeconds(def: AttributeDef, value: unknown): number {
  let s: number;
  if (value instanceof Date) s = Math.floor(value.getTime() / 1000);
  else if (typeof value === 'number') s = value;
  else if (typeof value === 'string' && /^\d+$/.test(value)) s = Number(value);
  else if (typeof value === 'string' && !Number.isNaN(Date.parse(value)))
    s = Math.floor(Date.parse(value) / 1000);
  else throw bad(def, value, 'a Date, seconds since 1970, or a date string');
  if (!Number.isInteger(s) || s < 0 || s > 0xffffffff)
    throw new InvalidValueError(def.name, 'date outside 1970..2106');
  return s;
}

// Decimal digits only: Number() would read '' as 0 and '0x10' as 16.
function prefixLength(text: string): number {
  return /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
}

/** Address bytes of the prefix being read or written (JS is single-threaded: one scratch suffices). */
const prefixScratch = new Uint8Array(16);

// RFC 3162 §2.3: reserved byte, prefix length, then only the prefix's significant bytes. Bits past
// the length are cleared, not refused: RFC 8044 §3.10 / §3.11 require them to be zero on the wire,
// and RFC 4291 §2.3 lets `addr/len` text name the prefix of an address (2001:db8::1/32 is 2001:db8::/32).
function writeIPv6Prefix(def: AttributeDef, value: unknown, buf: Buffer, off: number): number {
  if (typeof value !== 'string') throw bad(def, value, 'an IPv6 prefix (addr/len)');
  const slash = value.indexOf('/');
  const bits = slash < 0 ? 128 : prefixLength(value.slice(slash + 1));
  if (
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > 128 ||
    !writeIPv6(slash < 0 ? value : value.slice(0, slash), prefixScratch, 0)
  ) {
    throw bad(def, value, 'an IPv6 prefix (addr/len)');
  }
  const n = (bits + 7) >> 3;
  clearHostBits(prefixScratch, 0, n, bits);
  buf[off] = 0;
  buf[off + 1] = bits;
  for (let i = 0; i < n; i++) buf[off + 2 + i] = prefixScratch[i];
  return 2 + n;
}

// A length over 128 or a Prefix over 16 octets is malformed (kept raw by the caller). Octets the
// length covers but the sender left out are zero, as FreeRADIUS reads them (00 40 20010db8 is
// 2001:db8::/64): RFC 3162 §2.3 and RFC 8044 §3.10 give the Prefix "up to 16 octets". Bits past the
// length are not part of the prefix and MUST be zero (RFC 8044 §3.10): a sender's stray ones are
// dropped, as the encoder does, so the value reads as the prefix it names.
function readIPv6Prefix(buf: Buffer, start: number, end: number): string | undefined {
  const len = end - start;
  if (len < 2 || len > 18) return undefined;
  const bits = buf[start + 1];
  if (bits > 128) return undefined;
  const n = Math.min((bits + 7) >> 3, len - 2);
  for (let i = 0; i < 16; i++) prefixScratch[i] = i < n ? buf[start + 2 + i] : 0;
  clearHostBits(prefixScratch, 0, n, bits);
  return `${readIPv6(prefixScratch, 0)}/${bits}`;
}

// RFC 8044 §3.11: reserved byte, prefix length (0..32), always four address bytes; host bits cleared
// as for IPv6 prefixes.
function writeIPv4Prefix(def: AttributeDef, value: unknown, buf: Buffer, off: number): number {
  if (typeof value !== 'string') throw bad(def, value, 'an IPv4 prefix (addr/len)');
  const slash = value.indexOf('/');
  const bits = slash < 0 ? 32 : prefixLength(value.slice(slash + 1));
  if (
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > 32 ||
    !writeIPv4(slash < 0 ? value : value.slice(0, slash), buf, off + 2)
  ) {
    throw bad(def, value, 'an IPv4 prefix (addr/len)');
  }
  clearHostBits(buf, off + 2, 4, bits);
  buf[off] = 0;
  buf[off + 1] = bits;
  return 6;
}

// As for IPv6 prefixes, bits past the length are dropped (RFC 8044 §3.11: they MUST be zero).
function readIPv4Prefix(buf: Buffer, start: number, end: number): string | undefined {
  if (end - start !== 6) return undefined;
  const bits = buf[start + 1];
  if (bits > 32) return undefined;
  for (let i = 0; i < 4; i++) prefixScratch[i] = buf[start + 2 + i];
  clearHostBits(prefixScratch, 0, 4, bits);
  return `${readIPv4(prefixScratch, 0)}/${bits}`;
}
