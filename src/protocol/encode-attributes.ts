import type { AttributeDef, VendorDef } from '../dictionary/definitions.js';
import { InvalidValueError, PacketTooLargeError } from '../errors.js';
import type { AttributeEntry } from './attributes.js';
import { encryptAscendSecret, encryptTunnelPassword, encryptUserPassword, randomSalt } from './crypt.js';
import { CHARGEABLE_USER_IDENTITY, type CryptContext } from './decode-attributes.js';
import { isNasFilterRule, joinFilterRules, NAS_FILTER_RULE } from './filter-rules.js';
import { writeValue } from './values.js';

/** Largest RADIUS packet (RFC 2865 §3). */
export const MAX_PACKET_LENGTH = 4096;
const MAX_ATTR_DATA = 253;

// One value is written here before it is framed; JS is single-threaded, so one scratch suffices.
const valueScratch = Buffer.allocUnsafe(MAX_PACKET_LENGTH * 2);

/** Writes attributes after a RADIUS header; `out` must be at least MAX_PACKET_LENGTH + 300 bytes. */
export class AttributeWriter {
  readonly buf: Buffer;
  pos: number;
  private salts: Set<number> | undefined;

  constructor(buf: Buffer, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }

  private room(n: number): void {
    if (this.pos + n > MAX_PACKET_LENGTH) {
      throw new PacketTooLargeError(`packet would exceed ${MAX_PACKET_LENGTH} bytes`);
    }
  }

  /** Writes every entry, grouping consecutive children of one TLV into a single attribute. */
  writeAll(
    entries: readonly AttributeEntry[],
    ctx: CryptContext,
    skip?: (def: AttributeDef) => boolean,
  ): void {
    this.salts = undefined;
    let i = 0;
    while (i < entries.length) {
      const e = entries[i];
      if (e.def.flags.virtual || skip?.(e.def) || isEmptyValue(e)) {
        i++;
        continue;
      }
      i = this.writeTop(entries, i, ctx);
    }
  }

  /** Writes the top-level attribute(s) starting at entries[i]; returns the index after what it consumed. */
  private writeTop(entries: readonly AttributeEntry[], i: number, ctx: CryptContext): number {
    const def = entries[i].def;
    // A container given a value of its own (e.g. Extended-Type-1 = ...) has no wire form; a TLV
    // given bytes has: they are its children, encoded.
    if (def.isContainer && def.type !== 'tlv')
      throw new InvalidValueError(def.name, `type ${def.type} holds other attributes, not a value`);
    if (
      def.parent === undefined &&
      def.vendor === undefined &&
      !def.flags.concat &&
      def.children === undefined &&
      !(def.number === NAS_FILTER_RULE && isNasFilterRule(def))
    ) {
      // The common case, kept free of subarray/copy calls: their fixed cost exceeds a short value's.
      const n = this.leafLength(entries[i], ctx);
      if (n > MAX_ATTR_DATA) {
        throw new InvalidValueError(
          def.name,
          `${n} bytes is over the ${MAX_ATTR_DATA}-byte limit of its attribute`,
        );
      }
      this.room(2 + n);
      const buf = this.buf;
      const p = this.pos;
      buf[p] = def.number;
      buf[p + 1] = 2 + n;
      for (let k = 0; k < n; k++) buf[p + 2 + k] = valueScratch[k];
      this.pos = p + 2 + n;
      return i + 1;
    }
    const chain = chainOf(def);
    const root = chain[0];
    if (root.vendor) {
      const vendor = root.vendor;
      if (vendor.continuation) return this.writeContinued(entries, i, chain, vendor, ctx);
      const hdr = vendor.typeSize + vendor.lengthSize;
      const start = this.pos;
      this.room(6 + hdr);
      this.buf[start] = 26;
      this.buf.writeUInt32BE(vendor.id, start + 2);
      this.pos += 6;
      const sub = this.pos;
      if (vendor.typeSize === 1) this.buf[sub] = root.number;
      else if (vendor.typeSize === 2) this.buf.writeUInt16BE(root.number, sub);
      else this.buf.writeUInt32BE(root.number, sub);
      this.pos += hdr;
      const next = this.writeBody(entries, i, chain, 0, ctx, 255 - 6 - hdr);
      const subLen = this.pos - sub;
      if (vendor.lengthSize === 1) this.buf[sub + vendor.typeSize] = subLen;
      else if (vendor.lengthSize === 2) this.buf.writeUInt16BE(subLen, sub + vendor.typeSize);
      this.buf[start + 1] = this.pos - start;
      return next;
    }
    if (root.type === 'extended' || root.type === 'long-extended')
      return this.writeExtended(entries, i, chain, ctx);
    if (chain.length === 1 && root.flags.concat) return this.writeConcat(entries[i], ctx, i);
    if (isNasFilterRule(def)) return this.writeFilterRules(entries, i, ctx);
    const start = this.pos;
    this.room(2);
    this.buf[start] = root.number;
    this.pos += 2;
    const next = this.writeBody(entries, i, chain, 0, ctx, MAX_ATTR_DATA);
    this.buf[start + 1] = this.pos - start;
    return next;
  }

  /**
   * Writes the value of chain[level] (a leaf, or a TLV whose children are the following entries
   * sharing it); `max` bounds the bytes this body may take.
   */
  private writeBody(
    entries: readonly AttributeEntry[],
    i: number,
    chain: AttributeDef[],
    level: number,
    ctx: CryptContext,
    max: number,
  ): number {
    const node = chain[level];
    if (level === chain.length - 1) {
      const v = this.leafBytes(entries[i], ctx);
      if (v.length > max) {
        throw new InvalidValueError(
          node.name,
          `${v.length} bytes is over the ${max}-byte limit of its attribute`,
        );
      }
      this.room(v.length);
      v.copy(this.buf, this.pos);
      this.pos += v.length;
      return i + 1;
    }
    // A TLV: group every following entry whose chain goes through this same node.
    const start = this.pos;
    let j = i;
    while (j < entries.length) {
      const c = chainOf(entries[j].def);
      if (c.length <= level + 1 || c[level] !== node || entries[j].def.flags.virtual) break;
      if (isEmptyValue(entries[j])) {
        j++;
        continue;
      }
      const child = c[level + 1];
      const cs = this.pos;
      this.room(2);
      this.buf[cs] = child.number;
      this.pos += 2;
      j = this.writeBody(entries, j, c, level + 1, ctx, Math.min(MAX_ATTR_DATA, max - (cs - start) - 2));
      this.buf[cs + 1] = this.pos - cs;
      if (j === i) break;
    }
    return j;
  }

  /** RFC 6929 extended (one attribute) and long-extended (fragmented with the M flag) attributes. */
  private writeExtended(
    entries: readonly AttributeEntry[],
    i: number,
    chain: AttributeDef[],
    ctx: CryptContext,
  ): number {
    const root = chain[0];
    const ext = chain[1];
    const long = root.type === 'long-extended';
    // Build the extended value (EVS header + body) at the end of the packet area, then frame it.
    const bodyStart = this.pos;
    let next: number;
    const limit = long ? MAX_PACKET_LENGTH : MAX_ATTR_DATA - 1;
    if (ext.evsVendors) {
      const leaf = chain[2];
      this.room(5);
      this.buf.writeUInt32BE(leaf.vendor?.id ?? 0, this.pos);
      this.buf[this.pos + 4] = leaf.number;
      this.pos += 5;
      next = this.writeBody(entries, i, chain, 2, ctx, limit - 5);
    } else {
      next = this.writeBody(entries, i, chain, 1, ctx, limit);
    }
    const body = Buffer.from(this.buf.subarray(bodyStart, this.pos));
    this.pos = bodyStart;
    const per = long ? 251 : 252;
    let off = 0;
    do {
      const n = Math.min(per, body.length - off);
      const hdr = long ? 4 : 3;
      this.room(hdr + n);
      const s = this.pos;
      this.buf[s] = root.number;
      this.buf[s + 1] = hdr + n;
      this.buf[s + 2] = ext.number;
      if (long) this.buf[s + 3] = off + n < body.length ? 0x80 : 0;
      body.copy(this.buf, s + hdr, off, off + n);
      this.pos += hdr + n;
      off += n;
    } while (off < body.length);
    return next;
  }

  /**
   * A sub-attribute of a vendor with a continuation byte (WiMAX, `format=1,1,c`): a value longer than
   * one attribute 26 holds goes on in the following ones, each as full as possible, with the C bit
   * (0x80 of the continuation byte) set in all but the last.
   */
  private writeContinued(
    entries: readonly AttributeEntry[],
    i: number,
    chain: AttributeDef[],
    vendor: VendorDef,
    ctx: CryptContext,
  ): number {
    const root = chain[0];
    const ts = vendor.typeSize;
    const ls = vendor.lengthSize;
    const hdr = ts + ls + 1;
    // Build the value (or the TLV's children) where the attributes go, then frame it.
    const bodyStart = this.pos;
    const next = this.writeBody(entries, i, chain, 0, ctx, MAX_PACKET_LENGTH);
    const body = Buffer.from(this.buf.subarray(bodyStart, this.pos));
    this.pos = bodyStart;
    const per = 255 - 6 - hdr;
    let off = 0;
    do {
      const n = Math.min(per, body.length - off);
      this.room(6 + hdr + n);
      const buf = this.buf;
      const s = this.pos;
      const sub = s + 6;
      buf[s] = 26;
      buf[s + 1] = 6 + hdr + n;
      buf.writeUInt32BE(vendor.id, s + 2);
      if (ts === 1) buf[sub] = root.number;
      else if (ts === 2) buf.writeUInt16BE(root.number, sub);
      else buf.writeUInt32BE(root.number, sub);
      if (ls === 1) buf[sub + ts] = hdr + n;
      else if (ls === 2) buf.writeUInt16BE(hdr + n, sub + ts);
      buf[sub + ts + ls] = off + n < body.length ? 0x80 : 0;
      body.copy(buf, sub + hdr, off, off + n);
      this.pos = sub + hdr + n;
      off += n;
    } while (off < body.length);
    return next;
  }

  /**
   * NAS-Filter-Rule values from entries[i] on, while they follow each other: one NUL-separated
   * stream of rules (RFC 4849 §2) cut into as few attributes as it takes, a rule running on into the
   * next attribute where it must. FreeRADIUS cuts the same stream at the same places (it can also
   * leave an empty attribute after one that ends exactly full; RFC 2865 §5 has no empty ones). A rule
   * longer than an attribute is sent across attributes, as RFC 4849 §2 allows, where FreeRADIUS
   * drops it.
   */
  private writeFilterRules(entries: readonly AttributeEntry[], i: number, ctx: CryptContext): number {
    const def = entries[i].def;
    const rules: Buffer[] = [];
    let j = i;
    for (; j < entries.length; j++) {
      const e = entries[j];
      if (e.def !== def) break;
      if (isEmptyValue(e)) continue;
      rules.push(Buffer.from(this.leafBytes(e, ctx)));
    }
    const stream = joinFilterRules(def, rules);
    let off = 0;
    while (off < stream.length) {
      const n = Math.min(MAX_ATTR_DATA, stream.length - off);
      this.room(2 + n);
      this.buf[this.pos] = def.number;
      this.buf[this.pos + 1] = 2 + n;
      stream.copy(this.buf, this.pos + 2, off, off + n);
      this.pos += 2 + n;
      off += n;
    }
    return j;
  }

  /** A concat attribute (EAP-Message): split over as many 253-byte attributes as needed. */
  private writeConcat(entry: AttributeEntry, ctx: CryptContext, i: number): number {
    const v = Buffer.from(this.leafBytes(entry, ctx));
    let off = 0;
    do {
      const n = Math.min(MAX_ATTR_DATA, v.length - off);
      this.room(2 + n);
      this.buf[this.pos] = entry.def.number;
      this.buf[this.pos + 1] = 2 + n;
      v.copy(this.buf, this.pos + 2, off, off + n);
      this.pos += 2 + n;
      off += n;
    } while (off < v.length);
    return i + 1;
  }

  /** The wire bytes of one value: tag, hiding and type encoding applied. Valid until the next call. */
  private leafBytes(entry: AttributeEntry, ctx: CryptContext): Buffer {
    return valueScratch.subarray(0, this.leafLength(entry, ctx));
  }

  /** Writes the wire bytes of one value (see leafBytes) at the start of the value scratch; returns their length. */
  private leafLength(entry: AttributeEntry, ctx: CryptContext): number {
    const def = entry.def;
    const tagged = def.flags.hasTag;
    // RFC 9765 §5.1: over RADIUS/1.1 a hidden attribute is written as its plain data type.
    const enc = ctx.plain === true ? 0 : def.flags.encrypt;
    let off = 0;
    if (tagged && def.type !== 'integer' && (entry.tag !== undefined || enc === 2)) {
      valueScratch[0] = entry.tag ?? 0;
      off = 1;
    }
    const n = writeValue(def, entry.value, valueScratch, off);
    if (n > MAX_PACKET_LENGTH) throw new InvalidValueError(def.name, `${n} bytes is over the packet limit`);
    if (tagged && off === 0 && n > 0 && valueScratch[0] < 0x20 && def.type !== 'integer' && !enc) {
      // RFC 2868 §3.1: a first byte of 0x00..0x1F is read as a tag, so an untagged value that
      // starts with one gets the unused tag (zero) in front of it.
      valueScratch.copyWithin(1, 0, n);
      valueScratch[0] = 0;
      off = 1;
    }
    if (tagged && def.type === 'integer') {
      // RFC 2868 §3.1: tag in the first byte, the value in the other three. Without a tag, a value
      // whose first byte is above 0x1F (no tag) goes as its four bytes and reads back so.
      const first = valueScratch[0];
      if (entry.tag !== undefined ? first !== 0 : first !== 0 && first < 0x20) {
        throw new InvalidValueError(
          def.name,
          'a tagged integer must fit in 24 bits, unless it has no tag and its first byte is above 0x1F',
        );
      }
      if (entry.tag !== undefined) valueScratch[0] = entry.tag;
    }
    if (enc === 0) return off + n;
    const plain = valueScratch.subarray(off, off + n);
    let hidden: Buffer;
    if (enc === 1) hidden = encryptUserPassword(plain, ctx.secret, ctx.authenticator);
    else if (enc === 2)
      hidden = encryptTunnelPassword(plain, ctx.secret, ctx.authenticator, this.uniqueSalt());
    else hidden = encryptAscendSecret(plain, ctx.secret, ctx.authenticator);
    hidden.copy(valueScratch, off);
    return off + hidden.length;
  }

  // RFC 2868 §3.5: each salt in a packet must be unique, with the high bit set.
  private uniqueSalt(): Buffer {
    this.salts ??= new Set();
    // At most ~230 salts fit in a packet out of 32768: a repeat is rare, 64 draws are plenty.
    for (let tries = 0; tries < 64; tries++) {
      const s = randomSalt();
      const key = ((s[0] | 0x80) << 8) | s[1];
      if (!this.salts.has(key)) {
        this.salts.add(key);
        return s;
      }
    }
    throw new PacketTooLargeError('could not draw a unique salt');
  }
}

/** Types whose empty value (no octets) is skipped. */
const BYTE_TYPES: ReadonlySet<string> = new Set(['string', 'octets', 'abinary', 'tlv']);

/**
 * True for a value of no octets, which is not sent: RFC 2865 §5 gives text and string values one or
 * more octets, and FreeRADIUS skips empty ones. Not for hidden values (a hidden empty password is 16
 * octets of padding, RFC 2865 §5.2, RFC 2868 §3.5), nor for Chargeable-User-Identity, which WiMAX
 * sends empty to ask for one (RFC 4372; FreeRADIUS sends it too).
 */
function isEmptyValue(e: AttributeEntry): boolean {
  const v = e.value;
  let empty: boolean;
  if (typeof v === 'string') empty = v.length === 0 || (v.length === 2 && (v === '0x' || v === '0X'));
  else empty = typeof v === 'object' && v instanceof Uint8Array && v.length === 0;
  if (!empty) return false;
  const def = e.def;
  if (!BYTE_TYPES.has(def.type) || def.flags.encrypt !== 0) return false;
  // '0x' is text for a string attribute, bytes (none) for the others.
  if (v === '0x' || v === '0X') return def.type !== 'string';
  return !(def.number === CHARGEABLE_USER_IDENTITY && def.parent === undefined && def.vendor === undefined);
}

/** The definitions from the top-level attribute down to `def`. */
function chainOf(def: AttributeDef): AttributeDef[] {
  const chain: AttributeDef[] = [def];
  let p = def.parent;
  while (p) {
    chain.unshift(p);
    p = p.parent;
  }
  return chain;
}
