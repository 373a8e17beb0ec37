// A reply's attributes passed on as the bytes that arrived (a proxy's hop back to the NAS), for
// replies with nothing hidden: no decode and re-encode per reply. Kept apart from relay.ts so
// that the encoder (packet.ts) can recognise them without importing Packet's subclasses.
import type { AttributeDef, VendorDef } from '../dictionary/definitions.js';
import type { Dictionary } from '../dictionary/dictionary.js';
import type { AttributePair } from './attributes.js';
import type { Packet } from './packet.js';

const USER_PASSWORD = 2;
const VENDOR_SPECIFIC = 26;
const PROXY_STATE = 33;
const EAP_MESSAGE = 79;
const MESSAGE_AUTHENTICATOR = 80;
/** Extended types (RFC 6929): their encrypted children are not looked for; such packets take the decoding path. */
const FIRST_EXTENDED = 241;
const LAST_EXTENDED = 246;

/** The Length field of a packet's bytes (a read of two bytes: Buffer#readUInt16BE checks more). */
export function lengthOf(packet: Uint8Array): number {
  return (packet[2] << 8) | packet[3];
}

/** Whether a definition, or any below it (TLV children, extended children), hides its value. */
function hides(def: AttributeDef): boolean {
  if (def.flags.encrypt !== 0) return true;
  if (def.children !== undefined) for (const c of def.children.values()) if (hides(c)) return true;
  if (def.evsVendors !== undefined)
    for (const m of def.evsVendors.values()) for (const c of m.values()) if (hides(c)) return true;
  return false;
}

/** Per vendor: whether any of its attributes is hidden, for the number of attributes it had then. */
const vendorHiding = new WeakMap<VendorDef, { size: number; hides: boolean }>();

function vendorHides(v: VendorDef): boolean {
  const known = vendorHiding.get(v);
  // A dictionary may grow after start: the answer holds while the vendor's attributes do.
  if (known !== undefined && known.size === v.attributes.size) return known.hides;
  let any = false;
  for (const d of v.attributes.values()) if (hides(d)) any = true;
  vendorHiding.set(v, { size: v.attributes.size, hides: any });
  return any;
}

/**
 * Whether the attributes in `data[start, end)` can travel to the next hop as bytes: nothing hidden
 * with the shared secret (RFC 2865 §5.2, RFC 2868 §3.5, RFC 2548 §2.4), except User-Password when
 * `password` (the caller hides it again, RFC 2865 §5.2) and then only of a valid length; no
 * extended attributes. The framing must already be known to be sound.
 */
export function relayableAsBytes(
  dict: Dictionary,
  data: Buffer,
  start: number,
  end: number,
  password: boolean,
): boolean {
  for (let p = start; p < end; p += data[p + 1]) {
    const t = data[p];
    const l = data[p + 1];
    if (t === VENDOR_SPECIFIC) {
      if (l < 6) continue; // Kept raw by the decoder too.
      const v = dict.vendors.get(data.readUInt32BE(p + 2));
      if (v !== undefined && vendorHides(v)) return false;
      continue;
    }
    if (t >= FIRST_EXTENDED && t <= LAST_EXTENDED) return false;
    const def = dict.standard[t];
    if (def === undefined) continue;
    if (t === USER_PASSWORD && def.flags.encrypt === 1 && password) {
      const n = l - 2;
      if (n === 0 || n % 16 !== 0 || n > 128) return false;
      continue;
    }
    if (hides(def)) return false;
  }
  return true;
}

/**
 * The attributes of a received reply as a handler returns them (pairs, in order, Proxy-State and
 * Message-Authenticator left out), with the bytes they came in: the encoder copies those bytes
 * rather than encoding the pairs. Only for replies with nothing hidden (see
 * {@link relayableAsBytes}): their attributes mean the same under any secret.
 */
export class RelayedAttributes implements Iterable<AttributePair> {
  /** The reply whose attributes these are; its bytes are `raw`. */
  readonly reply: Packet;
  private readonly raw: Buffer;

  constructor(reply: Packet, raw: Buffer) {
    this.reply = reply;
    this.raw = raw;
  }

  *[Symbol.iterator](): Iterator<AttributePair> {
    for (const e of this.reply.attributes.entries) {
      const d = e.def;
      if ((d.number === PROXY_STATE || d.number === MESSAGE_AUTHENTICATOR) && !d.vendor && !d.parent)
        continue;
      yield [e.tag === undefined ? d.name : `${d.name}:${e.tag}`, e.value];
    }
  }

  /** Whether an EAP-Message is among them (the reply then carries Message-Authenticator, RFC 3579 §3.2). */
  get hasEapMessage(): boolean {
    const raw = this.raw;
    const end = lengthOf(raw);
    for (let p = 20; p < end; p += raw[p + 1]) if (raw[p] === EAP_MESSAGE) return true;
    return false;
  }

  /**
   * Copies the attribute bytes, but Proxy-State and Message-Authenticator, to `out[pos]` and returns
   * the position after them; -1, having written past `limit` perhaps, when they do not fit before it.
   */
  writeTo(out: Uint8Array, pos: number, limit: number): number {
    const raw = this.raw;
    const end = lengthOf(raw);
    for (let p = 20; p < end; ) {
      const t = raw[p];
      const l = raw[p + 1];
      if (t !== PROXY_STATE && t !== MESSAGE_AUTHENTICATOR) {
        if (pos + l > limit) return -1;
        for (let i = 0; i < l; i++) out[pos + i] = raw[p + i];
        pos += l;
      }
      p += l;
    }
    return pos;
  }
}
