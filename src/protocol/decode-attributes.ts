import type { AttributeDef, VendorDef } from '../dictionary/definitions.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { AttributeValue } from '../dictionary/types.js';
import { MalformedPacketError } from '../errors.js';
import type { AttributesSet } from './attributes.js';
import {
  decryptAscendSecret,
  decryptTunnelPassword,
  MAX_PASSWORD_LENGTH,
  revealUserPasswordInto,
} from './crypt.js';
import { decodeFilterRules, isNasFilterRule, NAS_FILTER_RULE } from './filter-rules.js';
import { named, readValue } from './values.js';

/**
 * Chargeable-User-Identity (RFC 4372): WiMAX sends it empty to ask for one, so FreeRADIUS keeps a
 * zero-length CUI (and sends one) where every other empty attribute is skipped.
 */
export const CHARGEABLE_USER_IDENTITY = 89;

/**
 * A zero-length top-level attribute that decoding skips: RFC 2865 §5 gives text and string values
 * one or more octets, and FreeRADIUS drops empty ones rather than making an empty value of them.
 * Type 0 is not skipped (it is malformed: decoding rejects it).
 */
function skippedEmpty(type: number, len: number): boolean {
  return len === 2 && type !== 0 && type !== CHARGEABLE_USER_IDENTITY;
}

/** What hidden attributes need to be revealed: the shared secret and the authenticator they were hidden with. */
export interface CryptContext {
  secret: Buffer;
  /** Request Authenticator of the request (for replies: of the request they answer). */
  authenticator: Buffer;
  /**
   * RADIUS/1.1 (RFC 9765 §5.1): nothing is hidden, each `encrypt=` attribute is carried as its
   * plain data type (TLS protects it).
   */
  plain?: boolean;
}

/**
 * Decodes the attributes in `buf[start, end)` into `out`. The framing (type/length) must be sound
 * or a MalformedPacketError is thrown (RFC 2865 §5: the packet is then dropped). Values that do
 * not fit their type, unknown attributes and undecodable vendor data are kept as raw octets under
 * `Attr-<oid>` names (RFC 6929 §2.8), so that nothing is lost and re-encoding is byte-exact.
 */
export function decodeAttributes(
  buf: Buffer,
  start: number,
  end: number,
  out: AttributesSet,
  ctx: CryptContext,
): void {
  const dict = out.dictionary;
  let pos = start;
  let lastConcat: AttributeDef | undefined;
  while (pos < end) {
    if (end - pos < 2) throw new MalformedPacketError(`attribute header truncated at offset ${pos}`);
    const type = buf[pos];
    const len = buf[pos + 1];
    if (len < 2)
      throw new MalformedPacketError(`attribute ${type} at offset ${pos} has length ${len} (minimum 2)`);
    if (pos + len > end)
      throw new MalformedPacketError(`attribute ${type} at offset ${pos} runs past the packet end`);
    if (skippedEmpty(type, len)) {
      // A concat run (EAP-Message) goes on past it: the empty piece adds nothing to the value.
      pos += 2;
      continue;
    }
    const vs = pos + 2;
    const ve = pos + len;
    const def = dict.standard[type];
    const mark = out.entries.length;
    let next = ve;
    if (def === undefined) {
      out.push(rawDef(dict, String(type)), copy(buf, vs, ve));
    } else if (def.flags.concat && lastConcat === def) {
      // RFC 3579 §3.1: consecutive EAP-Message (and other concat) attributes form one value.
      const prev = out.entries[out.entries.length - 1];
      prev.value = Buffer.concat([prev.value as Buffer, buf.subarray(vs, ve)]);
    } else if (def.number === NAS_FILTER_RULE && isNasFilterRule(def)) {
      next = decodeFilterRules(def, buf, pos, end, out);
    } else {
      let ok = true;
      switch (def.type) {
        case 'vsa': {
          const r = decodeVsa(dict, buf, vs, ve, end, out, ctx);
          ok = r > 0;
          if (ok) next = r;
          break;
        }
        case 'extended':
          ok = decodeExtended(dict, def, buf, vs, ve, out, ctx);
          break;
        case 'long-extended': {
          const r = decodeLongExtended(dict, def, buf, pos, end, out, ctx);
          ok = r > 0;
          if (ok) next = r;
          break;
        }
        case 'tlv':
          ok = decodeTlv(dict, def, buf, vs, ve, out, ctx);
          break;
        case 'evs':
          ok = false;
          break;
        default:
          ok = decodeLeaf(dict, def, buf, vs, ve, out, ctx);
      }
      if (!ok) {
        out.entries.length = mark;
        out.push(rawDef(dict, String(type)), copy(buf, vs, ve));
        next = ve;
      }
    }
    lastConcat = def?.flags.concat && out.entries.length > 0 ? def : undefined;
    pos = next;
  }
}

function copy(buf: Buffer, s: number, e: number): Buffer {
  return Buffer.from(buf.subarray(s, e));
}

function rawDef(dict: Dictionary, oid: string): AttributeDef {
  const def = dict.unknownByOid(oid);
  // Every oid built here is well-formed; a failure would be a bug in this decoder.
  if (!def) throw new MalformedPacketError(`cannot represent attribute ${oid}`);
  return def;
}

/**
 * Decodes one value of a leaf attribute, handling tags and hiding. A value that does not decode is
 * kept raw under its oid; false when no raw definition can be named that deep (the caller then keeps
 * the enclosing attribute raw instead: RFC 6929 §2.8, nothing is lost and nothing throws).
 */
function decodeLeaf(
  dict: Dictionary,
  def: AttributeDef,
  buf: Buffer,
  s: number,
  e: number,
  out: AttributesSet,
  ctx: CryptContext,
): boolean {
  const rawStart = s;
  let tag: number | undefined;
  // A single byte is the value, not a tag (as FreeRADIUS reads it): a tag alone would be an empty value.
  if (def.flags.hasTag && e - s > 1) {
    // RFC 2868 §3.1: a tag is 0x01..0x1F (0x00 unused); a first byte above is part of the value, as
    // FreeRADIUS reads it (40 06 e5000003 is Tunnel-Type = 3841982467, untagged).
    if (buf[s] < 0x20) {
      if (def.type !== 'integer') {
        tag = buf[s];
        s++;
      } else if (e - s === 4) {
        // The tag byte and a 3-byte value.
        out.push(def, named(def, buf.readUIntBE(s + 1, 3)), buf[s]);
        return true;
      }
    } else if (def.flags.encrypt === 2 && ctx.plain !== true) {
      // RFC 2868 §3.5: Tunnel-Password always has the byte; above 0x1F it is ignored, so it reads
      // as the unused tag (0), the byte sent for it again.
      tag = 0;
      s++;
    }
  }
  let value: AttributeValue | undefined;
  if (def.flags.encrypt === 0 && def.flags.array && def.type !== 'string' && def.type !== 'octets') {
    if (decodeArray(def, buf, s, e, out, tag)) return true;
  } else {
    value = leafValue(def, buf, s, e, ctx);
  }
  if (value !== undefined) {
    out.push(def, value, tag);
    return true;
  }
  const raw = dict.unknownByOid(def.oid);
  if (!raw) return false;
  out.push(raw, copy(buf, rawStart, e));
  return true;
}

/** The value of a leaf in `buf[s, e)` (tag already taken off, not an array), revealed if hidden; undefined if it does not decode. */
function leafValue(
  def: AttributeDef,
  buf: Buffer,
  s: number,
  e: number,
  ctx: CryptContext,
): AttributeValue | undefined {
  const encrypt = ctx.plain === true ? 0 : def.flags.encrypt;
  if (encrypt === 0) return readValue(def, buf, s, e);
  if (encrypt === 1) return readUserPassword(def, buf, s, e, ctx);
  let plain: Buffer | undefined;
  try {
    const data = buf.subarray(s, e);
    if (encrypt === 2) plain = decryptTunnelPassword(data, ctx.secret, ctx.authenticator);
    else plain = decryptAscendSecret(data, ctx.secret, ctx.authenticator);
  } catch {
    plain = undefined;
  }
  return plain ? readValue(def, plain, 0, plain.length) : undefined;
}

/** What {@link RawAttributes.first} returns when only a full decode can answer. */
export const NEEDS_FULL_DECODE: unique symbol = Symbol('needs full decode');

/**
 * The attributes of a received packet, still in wire form (framing already checked): decoded all
 * at once by {@link decodeInto} when the set is first used as a whole, but a plain top-level
 * attribute can be read without decoding the others ({@link first}). A handler that reads
 * User-Name and User-Password then pays for no other attribute.
 */
export class RawAttributes {
  constructor(
    readonly buf: Buffer,
    readonly start: number,
    readonly end: number,
    readonly ctx: CryptContext,
  ) {}

  /** Decodes every attribute into `out`, as {@link decodeAttributes} does. */
  decodeInto(out: AttributesSet): void {
    decodeAttributes(this.buf, this.start, this.end, out, this.ctx);
  }

  /**
   * The first value of `def` that decodes, which is the first entry for `def` a full decode would
   * give; NEEDS_FULL_DECODE for definitions whose entries do not map one to one to top-level
   * attributes of their number (vendor, nested, container, concat, array and tagged ones).
   */
  first(dict: Dictionary, def: AttributeDef): AttributeValue | undefined | typeof NEEDS_FULL_DECODE {
    // has() then get() of the same attribute (User-Password: an MD5 to reveal) decode it once.
    if (def === this.lastDef) return this.lastValue;
    const value = this.firstOf(dict, def);
    this.lastDef = def;
    this.lastValue = value;
    return value;
  }

  private lastDef: AttributeDef | undefined;
  private lastValue: AttributeValue | undefined | typeof NEEDS_FULL_DECODE;

  private firstOf(
    dict: Dictionary,
    def: AttributeDef,
  ): AttributeValue | undefined | typeof NEEDS_FULL_DECODE {
    if (!isPlainTopLevel(dict, def)) return NEEDS_FULL_DECODE;
    const buf = this.buf;
    for (let p = this.start; p < this.end; p += buf[p + 1]) {
      if (buf[p] !== def.number || skippedEmpty(buf[p], buf[p + 1])) continue;
      const value = leafValue(def, buf, p + 2, p + buf[p + 1], this.ctx);
      // One that does not decode would be kept raw, under another definition.
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** Whether an attribute of top-level type `type` is present; undefined when only a full decode can tell. */
  hasType(dict: Dictionary, type: number): boolean | undefined {
    const def = dict.standard[type];
    const plain = def === undefined || isPlainTopLevel(dict, def);
    const buf = this.buf;
    for (let p = this.start; p < this.end; p += buf[p + 1])
      if (buf[p] === type && !skippedEmpty(type, buf[p + 1])) return plain ? true : undefined;
    // A top-level entry of type N only ever comes from a wire attribute of type N (EAP-Message, say,
    // which is never deferred when present): absent from the bytes, absent from the set.
    return false;
  }

  /** Whether an attribute of wire type `type`, or of a type in [from, to], is present. */
  hasAnyType(type: number, from: number, to: number): boolean {
    const buf = this.buf;
    for (let p = this.start; p < this.end; p += buf[p + 1]) {
      const t = buf[p];
      if (t === type || (t >= from && t <= to)) return true;
    }
    return false;
  }
}

/** Types that decodeAttributes does not decode as one leaf value (compared, not a Set: a handler's every read asks). */
function isNestingType(type: string): boolean {
  return (
    type === 'vsa' || type === 'extended' || type === 'long-extended' || type === 'tlv' || type === 'evs'
  );
}

/** A definition whose every wire attribute decodes to one entry of its own, or to a raw one. */
function isPlainTopLevel(dict: Dictionary, def: AttributeDef): boolean {
  const f = def.flags;
  return (
    def.parent === undefined &&
    def.vendor === undefined &&
    dict.standard[def.number] === def &&
    !def.isContainer &&
    !isNestingType(def.type) &&
    !f.concat &&
    !f.hasTag &&
    !f.array &&
    !isNasFilterRule(def)
  );
}

/**
 * True when `buf[start, end)` is a list of attributes that decodeAttributes cannot reject, so that
 * decoding can wait: each header complete, lengths at least 2 and within the end, no attribute of
 * type 0 (it has no name, not even a raw one), none to be joined to the next (RFC 3579 §3.1).
 */
export function attributesDecodable(dict: Dictionary, buf: Buffer, start: number, end: number): boolean {
  let p = start;
  while (p < end) {
    if (end - p < 2) return false;
    const type = buf[p];
    const len = buf[p + 1];
    if (type === 0 || len < 2 || p + len > end || dict.standard[type]?.flags.concat) return false;
    p += len;
  }
  return true;
}

// User-Passwords are revealed here and read at once: readValue copies what it returns (strings,
// new Buffers), so nothing refers to this memory afterwards; it is wiped after each use.
const revealed = Buffer.alloc(MAX_PASSWORD_LENGTH);

/** The value of a User-Password-style attribute (encrypt=1), or undefined when it cannot be revealed. */
function readUserPassword(
  def: AttributeDef,
  buf: Buffer,
  s: number,
  e: number,
  ctx: CryptContext,
): AttributeValue | undefined {
  let n: number;
  try {
    n = revealUserPasswordInto(buf, s, e, ctx.secret, ctx.authenticator, revealed, def.type === 'string');
  } catch {
    return undefined;
  }
  // An octets[N] value was padded to 16-byte blocks (MS-CHAP-MPPE-Keys: 24 in 32, RFC 2548 §2.4.1).
  const max = def.flags.length;
  const value = readValue(def, revealed, 0, max !== undefined && n > max ? max : n);
  for (let i = 0; i < e - s; i++) revealed[i] = 0;
  return value;
}

const ARRAY_SIZES: Record<string, number> = {
  ipaddr: 4,
  ipv6addr: 16,
  integer: 4,
  short: 2,
  byte: 1,
  signed: 4,
  integer64: 8,
  date: 4,
  ether: 6,
  ifid: 8,
};

function decodeArray(
  def: AttributeDef,
  buf: Buffer,
  s: number,
  e: number,
  out: AttributesSet,
  tag: number | undefined,
): boolean {
  const size = ARRAY_SIZES[def.type];
  if (!size || e === s || (e - s) % size !== 0) return false;
  for (let p = s; p < e; p += size) {
    const v = readValue(def, buf, p, p + size);
    if (v === undefined) return false;
    out.push(def, v, tag);
  }
  return true;
}

/**
 * Children of a TLV: type (1), length (1, includes header), value. Returns false when the layout
 * is broken: fewer than 3 bytes, or a child whose header or length does not fit. The layout of every
 * child is checked before any is decoded, so a broken TLV yields nothing but its raw form
 * ({@link decodeTlvOrRaw}). Zero-length children are skipped (RFC 2865 §5, as at the top level).
 */
function decodeTlv(
  dict: Dictionary,
  parent: AttributeDef,
  buf: Buffer,
  s: number,
  e: number,
  out: AttributesSet,
  ctx: CryptContext,
): boolean {
  if (e - s < 3) return false;
  for (let p = s; p < e; p += buf[p + 1]) {
    if (e - p < 2) return false;
    const l = buf[p + 1];
    if (l < 2 || p + l > e) return false;
  }
  for (let p = s; p < e; p += buf[p + 1]) {
    const t = buf[p];
    const l = buf[p + 1];
    if (l === 2) continue;
    const child = parent.children?.get(t) ?? dict.unknownByOid(`${parent.oid}.${t}`);
    if (!child) return false;
    if (child.type === 'tlv') {
      if (!decodeTlvOrRaw(dict, child, buf, p + 2, p + l, out, ctx)) return false;
    } else if (!decodeLeaf(dict, child, buf, p + 2, p + l, out, ctx)) return false;
  }
  return true;
}

/**
 * A TLV's children or, when its layout is broken, the TLV kept raw under its own oid
 * (`Attr-26.9999.2.2`): the innermost broken piece is raw, what surrounds it decodes, as
 * FreeRADIUS does (RFC 6929 §2.8). False only when no raw definition can be named there.
 */
function decodeTlvOrRaw(
  dict: Dictionary,
  def: AttributeDef,
  buf: Buffer,
  s: number,
  e: number,
  out: AttributesSet,
  ctx: CryptContext,
): boolean {
  const mark = out.entries.length;
  if (decodeTlv(dict, def, buf, s, e, out, ctx)) return true;
  out.entries.length = mark;
  const raw = dict.unknownByOid(def.oid);
  if (!raw) return false;
  out.push(raw, copy(buf, s, e));
  return true;
}

/**
 * Vendor-Specific (RFC 2865 §5.26): vendor id, then sub-attributes laid out by the vendor's format.
 * Returns the position after the attribute (after the last one it continues into, see
 * {@link decodeContinued}), or 0 when the data does not parse (the caller keeps the attribute raw).
 */
function decodeVsa(
  dict: Dictionary,
  buf: Buffer,
  s: number,
  e: number,
  end: number,
  out: AttributesSet,
  ctx: CryptContext,
): number {
  if (e - s < 5) return 0;
  const vendorId = buf.readUInt32BE(s);
  const vendor = dict.vendors.get(vendorId);
  const ts = vendor?.typeSize ?? 1;
  const ls = vendor?.lengthSize ?? 1;
  const cont = vendor?.continuation ?? false;
  let p = s + 4;
  while (p < e) {
    const hdr = ts + ls + (cont ? 1 : 0);
    if (e - p < hdr) return 0;
    const t = ts === 1 ? buf[p] : ts === 2 ? buf.readUInt16BE(p) : buf.readUInt32BE(p);
    let l = ls === 0 ? e - p : ls === 1 ? buf[p + ts] : buf.readUInt16BE(p + ts);
    if (l < hdr || p + l > e) return 0;
    if (ls === 0) l = e - p;
    const def = vendor?.attributes.get(t) ?? dict.unknownByOid(`26.${vendorId}.${t}`);
    if (!def) return 0;
    if (cont && (buf[p + ts + ls] & 0x80) !== 0) {
      // Fragments are joined when the fragment fills its attribute 26, as the encoder writes them.
      if (!vendor || p !== s + 4 || p + l !== e || ls === 0) return 0;
      return decodeContinued(dict, vendor, t, def, buf, p, e, end, out, ctx);
    }
    // A sub-attribute with an empty value is skipped, as at the top level (RFC 2865 §5).
    if (l === hdr) {
      p += l;
      continue;
    }
    if (def.type === 'tlv') {
      if (!decodeTlvOrRaw(dict, def, buf, p + hdr, p + l, out, ctx)) return 0;
    } else if (!decodeLeaf(dict, def, buf, p + hdr, p + l, out, ctx)) return 0;
    p += l;
  }
  return e;
}

/**
 * A WiMAX-style continued sub-attribute (`format=1,1,c`): its C bit (0x80 of the continuation byte)
 * says the value goes on in the next attribute, which must be an attribute 26 of the same vendor
 * holding only a sub-attribute of the same type (`type`, defined by `def`); the last fragment has the
 * bit clear. The first fragment, at `buf[p, e)`, fills its attribute. Returns the position after the
 * last fragment, or 0 when the chain is broken.
 */
function decodeContinued(
  dict: Dictionary,
  vendor: VendorDef,
  type: number,
  def: AttributeDef,
  buf: Buffer,
  p: number,
  e: number,
  end: number,
  out: AttributesSet,
  ctx: CryptContext,
): number {
  const ts = vendor.typeSize;
  const ls = vendor.lengthSize;
  const hdr = ts + ls + 1;
  const parts = [buf.subarray(p + hdr, e)];
  let pos = e;
  // Each turn moves past at least one whole attribute, so the loop ends within the packet.
  for (;;) {
    if (end - pos < 6 + hdr || buf[pos] !== 26) return 0;
    const len = buf[pos + 1];
    if (len < 6 + hdr || pos + len > end || buf.readUInt32BE(pos + 2) !== vendor.id) return 0;
    const q = pos + 6;
    const t = ts === 1 ? buf[q] : ts === 2 ? buf.readUInt16BE(q) : buf.readUInt32BE(q);
    const l = ls === 1 ? buf[q + ts] : buf.readUInt16BE(q + ts);
    if (t !== type || l !== len - 6) return 0;
    parts.push(buf.subarray(q + hdr, pos + len));
    pos += len;
    if ((buf[q + ts + ls] & 0x80) === 0) break;
  }
  const value = Buffer.concat(parts);
  if (value.length === 0) return pos;
  if (def.type === 'tlv') {
    if (!decodeTlvOrRaw(dict, def, value, 0, value.length, out, ctx)) return 0;
  } else if (!decodeLeaf(dict, def, value, 0, value.length, out, ctx)) return 0;
  return pos;
}

/** RFC 6929 §2.1 Extended Type: one extended type byte, then the value (or EVS / TLV data). */
function decodeExtended(
  dict: Dictionary,
  def: AttributeDef,
  buf: Buffer,
  s: number,
  e: number,
  out: AttributesSet,
  ctx: CryptContext,
): boolean {
  // An extended type and at least one octet of value, or the whole attribute stays raw (RFC 6929 §2.8).
  if (e - s < 2) return false;
  return decodeExtendedValue(dict, def, buf[s], buf, s + 1, e, out, ctx);
}

function decodeExtendedValue(
  dict: Dictionary,
  def: AttributeDef,
  extType: number,
  buf: Buffer,
  s: number,
  e: number,
  out: AttributesSet,
  ctx: CryptContext,
): boolean {
  const child = def.children?.get(extType) ?? dict.unknownByOid(`${def.oid}.${extType}`);
  if (!child) return false;
  if (child.evsVendors) {
    // RFC 6929 §2.4: Vendor-Id (4, its first octet zero), Vendor-Type (1), a value of one octet or
    // more. Short of that, the EVS attribute itself is kept raw (`Attr-245.26`).
    if (e - s < 6 || buf[s] !== 0) {
      const raw = dict.unknownByOid(child.oid);
      if (!raw) return false;
      out.push(raw, copy(buf, s, e));
      return true;
    }
    const vendorId = buf.readUInt32BE(s);
    const vt = buf[s + 4];
    const leaf =
      child.evsVendors.get(vendorId)?.get(vt) ?? dict.unknownByOid(`${child.oid}.${vendorId}.${vt}`);
    if (!leaf) return false;
    if (leaf.type === 'tlv') return decodeTlvOrRaw(dict, leaf, buf, s + 5, e, out, ctx);
    return decodeLeaf(dict, leaf, buf, s + 5, e, out, ctx);
  }
  if (child.type === 'tlv') return decodeTlvOrRaw(dict, child, buf, s, e, out, ctx);
  return decodeLeaf(dict, child, buf, s, e, out, ctx);
}

/**
 * RFC 6929 §2.2 Long Extended Type: extended type, flags (M = more), fragment. Fragments of one
 * value follow each other; returns the position after the last one, or 0 if the layout is broken.
 */
function decodeLongExtended(
  dict: Dictionary,
  def: AttributeDef,
  buf: Buffer,
  pos: number,
  end: number,
  out: AttributesSet,
  ctx: CryptContext,
): number {
  const type = buf[pos];
  // The first fragment holds the extended type, the flags and at least one octet (RFC 6929 §2.2).
  if (buf[pos + 1] < 5) return 0;
  const extType = buf[pos + 2];
  const parts: Buffer[] = [];
  for (;;) {
    const len = buf[pos + 1];
    if (len < 4 || pos + len > end || buf[pos] !== type || buf[pos + 2] !== extType) return 0;
    const more = (buf[pos + 3] & 0x80) !== 0;
    parts.push(buf.subarray(pos + 4, pos + len));
    pos += len;
    if (!more) break;
    if (pos + 4 > end) return 0;
  }
  const value = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  return decodeExtendedValue(dict, def, extType, value, 0, value.length, out, ctx) ? pos : 0;
}
