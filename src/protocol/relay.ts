// Packets passed from one hop to the next (a proxy's home server, a cluster's owner): a reply
// turned back into what a handler returns, so that it can be sent on to the NAS under the NAS's own
// secret, and a NAS's Access-Request forwarded as bytes under the home server's secret.
import { PacketTooLargeError } from '../errors.js';
import type { ReplyAttributes } from './attributes.js';
import { MESSAGE_AUTHENTICATOR, messageAuthenticatorInto, signInScratch } from './authenticator.js';
import { ACCESS_REQUEST } from './codes.js';
import { rehideUserPasswordInto } from './crypt.js';
import { attributesDecodable, RawAttributes } from './decode-attributes.js';
import { MAX_PACKET_LENGTH } from './encode-attributes.js';
import { HashScratch } from './md5.js';
import { createPacket, Packet } from './packet.js';
import { lengthOf, RelayedAttributes, relayableAsBytes } from './relayed-attributes.js';

export { RelayedAttributes } from './relayed-attributes.js';

const USER_NAME = 1;
const USER_PASSWORD = 2;
const CHAP_PASSWORD = 3;
const PROXY_STATE = 33;
const CHAP_CHALLENGE = 60;
/** Longest value of a standard attribute (RFC 2865 §5). */
const MAX_VALUE = 253;

// The forwarded request is laid out here and its Message-Authenticator computed in place.
const hashScratch = new HashScratch(MAX_PACKET_LENGTH + 256 + 256);
const scratch = Buffer.from(hashScratch.bytes.buffer, hashScratch.bytes.byteOffset, hashScratch.bytes.length);

/** Whether a dictionary definition is the standard attribute `type` (not a VSA or TLV child). */
export function isStandard(
  def: { number: number; vendor?: unknown; parent?: unknown },
  type: number,
): boolean {
  return def.number === type && def.vendor === undefined && def.parent === undefined;
}

/**
 * The attributes of `reply` in order, without Proxy-State (the NAS's own come back from its
 * request when the reply is encoded, RFC 2865 §5.33) and Message-Authenticator (computed anew).
 * Hidden values are decoded, and are hidden again with the next hop's secret; a reply with nothing
 * hidden gives a {@link RelayedAttributes}, whose bytes the encoder copies as they came. Also gives
 * the last Proxy-State the reply carried.
 */
export function relayedAttributes(reply: Packet): {
  attributes: ReplyAttributes;
  lastProxyState: Buffer | undefined;
} {
  const raw = reply.raw;
  if (raw !== undefined && reply.token === undefined) {
    const end = lengthOf(raw);
    if (relayableAsBytes(reply.dictionary, raw, 20, end, false)) {
      let last = -1;
      for (let p = 20; p < end; p += raw[p + 1]) if (raw[p] === PROXY_STATE) last = p;
      return {
        attributes: new RelayedAttributes(reply, raw),
        lastProxyState: last < 0 ? undefined : raw.subarray(last + 2, last + raw[last + 1]),
      };
    }
  }
  const out: Array<readonly [string, unknown]> = [];
  let last: Buffer | undefined;
  for (const e of reply.attributes.entries) {
    if (isStandard(e.def, PROXY_STATE)) {
      last = e.value as Buffer;
      continue;
    }
    if (isStandard(e.def, MESSAGE_AUTHENTICATOR)) continue;
    out.push([e.tag === undefined ? e.def.name : `${e.def.name}:${e.tag}`, e.value]);
  }
  return { attributes: out as ReplyAttributes, lastProxyState: last };
}

/**
 * The request for the next hop, from its decoded attributes: the same attributes in order (values
 * decoded with the NAS's secret, encoded again with the next hop's: RFC 2865 §5.2, RFC 2868 §3.5,
 * RFC 2548 §2.4), `userName` in place of User-Name when given (a realm stripped), no
 * Message-Authenticator (computed anew for this hop, RFC 3579 §3.2), CHAP-Challenge added when the
 * NAS's authenticator was the challenge, and `proxyState` last (RFC 2865 §5.33). Its secret is the
 * NAS's until the sender sets the next hop's.
 */
export function rebuildRequest(
  request: Packet,
  userName: string | undefined,
  proxyState: Buffer | undefined,
): Packet {
  // Signed on the next hop when it came signed (CoA, Disconnect and accounting are not by default).
  const out = createPacket(request.code, request.secret, {
    dictionary: request.dictionary,
    ...(request.messageAuthenticator === true ? { messageAuthenticator: true } : {}),
  });
  const set = out.attributes;
  let hasChap = false;
  let hasChallenge = false;
  for (const e of request.attributes.entries) {
    const def = e.def;
    if (isStandard(def, MESSAGE_AUTHENTICATOR)) continue;
    if (isStandard(def, USER_NAME) && userName !== undefined) {
      set.push(def, userName);
      continue;
    }
    if (isStandard(def, CHAP_PASSWORD)) hasChap = true;
    else if (isStandard(def, CHAP_CHALLENGE)) hasChallenge = true;
    set.push(def, e.value, e.tag);
  }
  // RFC 2865 §2.2: without CHAP-Challenge the Request Authenticator is the challenge, and the
  // next hop's authenticator differs: carry the NAS's as CHAP-Challenge.
  if (hasChap && !hasChallenge) set.add('CHAP-Challenge', request.authenticator);
  if (proxyState !== undefined) set.add('Proxy-State', proxyState);
  return out;
}

/**
 * Whether `request` (as received) can be forwarded as a {@link RelayedRequest}: an Access-Request
 * in RADIUS (not RADIUS/1.1) bytes with nothing hidden but a well-formed User-Password, and a
 * replacement User-Name (when given) of at most 253 bytes.
 */
export function relayableRequest(request: Packet, userName: string | undefined): boolean {
  const raw = request.raw;
  if (request.code !== ACCESS_REQUEST || raw === undefined || request.token !== undefined) return false;
  if (userName !== undefined && (userName === '' || Buffer.byteLength(userName, 'utf8') > MAX_VALUE))
    return false;
  return relayableAsBytes(request.dictionary, raw, 20, lengthOf(raw), true);
}

/**
 * A NAS's Access-Request forwarded to the next hop as bytes (RFC 2865 §2.3): its attributes in
 * order as they came, but Message-Authenticator (computed anew, first, RFC 3579 §3.2), User-Name
 * when the realm strips it, and User-Password hidden again with this hop's secret and Request
 * Authenticator (RFC 2865 §5.2); CHAP-Challenge added when the NAS's authenticator was the
 * challenge (RFC 2865 §2.2); our Proxy-State last (RFC 2865 §5.33). The same bytes as the request
 * rebuilt from its decoded attributes, without decoding or encoding them. Each encode() uses the
 * identifier, secret and authenticator of the moment (retransmission, failover).
 *
 * `attributes` are the NAS's, as received (what readers of a forwarded request ask: EAP or not).
 * Only for requests {@link relayableRequest} accepts. RADIUS/1.1 (a Token set by the client: the
 * attributes go in plain) takes {@link rebuildRequest}'s packet.
 */
export class RelayedRequest extends Packet {
  private readonly source: Packet;
  private readonly userName: string | undefined;
  private readonly proxyState: Buffer;

  constructor(source: Packet, userName: string | undefined, proxyState: Buffer) {
    // The client signs with the home server's secret; the NAS's stands in until then.
    super(source.code, source.secret, { identifier: source.identifier, dictionary: source.dictionary });
    this.source = source;
    this.userName = userName;
    this.proxyState = proxyState;
    const raw = source.raw as Buffer;
    const end = lengthOf(raw);
    if (attributesDecodable(source.dictionary, raw, 20, end))
      this.attributes.deferDecode(
        new RawAttributes(raw, 20, end, { secret: source.secret, authenticator: source.authenticator }),
      );
    else for (const e of source.attributes.entries) this.attributes.push(e.def, e.value, e.tag);
  }

  override encode(): Buffer {
    if (this.token !== undefined) {
      const p = rebuildRequest(this.source, this.userName, this.proxyState);
      p.identifier = this.identifier;
      p.secret = this.secret;
      p.token = this.token;
      return p.encode();
    }
    const src = this.source;
    const raw = src.raw as Buffer;
    const end = lengthOf(raw);
    const buf = scratch;
    const secret = this.secret;
    const auth = this.authenticator;
    buf[0] = this.code;
    buf[1] = this.identifier;
    buf[20] = MESSAGE_AUTHENTICATOR;
    buf[21] = 18;
    for (let i = 22; i < 38; i++) buf[i] = 0;
    let pos = 38;
    let chap = false;
    let challenge = false;
    for (let p = 20; p < end; p += raw[p + 1]) {
      const t = raw[p];
      const l = raw[p + 1];
      if (t === MESSAGE_AUTHENTICATOR) continue;
      if (t === USER_NAME && this.userName !== undefined) {
        const n = Buffer.byteLength(this.userName, 'utf8');
        room(pos, n + 2);
        buf[pos] = USER_NAME;
        buf[pos + 1] = n + 2;
        buf.write(this.userName, pos + 2, n, 'utf8');
        pos += n + 2;
        continue;
      }
      room(pos, l);
      if (t === USER_PASSWORD) {
        buf[pos] = t;
        buf[pos + 1] = l;
        rehideUserPasswordInto(raw, p + 2, p + l, src.secret, src.authenticator, secret, auth, buf, pos + 2);
      } else {
        if (t === CHAP_PASSWORD) chap = true;
        else if (t === CHAP_CHALLENGE) challenge = true;
        for (let i = 0; i < l; i++) buf[pos + i] = raw[p + i];
      }
      pos += l;
    }
    if (chap && !challenge) {
      // RFC 2865 §2.2: the NAS's authenticator was the challenge; this hop's differs.
      room(pos, 18);
      buf[pos] = CHAP_CHALLENGE;
      buf[pos + 1] = 18;
      for (let i = 0; i < 16; i++) buf[pos + 2 + i] = src.authenticator[i];
      pos += 18;
    }
    const ps = this.proxyState;
    room(pos, ps.length + 2);
    buf[pos] = PROXY_STATE;
    buf[pos + 1] = ps.length + 2;
    for (let i = 0; i < ps.length; i++) buf[pos + 2 + i] = ps[i];
    pos += ps.length + 2;
    const len = pos;
    buf[2] = len >>> 8;
    buf[3] = len;
    for (let i = 0; i < 16; i++) buf[4 + i] = auth[i];
    // An Access-Request's authenticator is random: only Message-Authenticator is computed.
    if (!signInScratch(hashScratch, len, 22, secret, false))
      messageAuthenticatorInto(buf, len, 22, auth, secret, buf, 22);
    const out = Buffer.allocUnsafe(len);
    // A byte loop: at these sizes Buffer#copy's argument checks cost more than the copy.
    for (let i = 0; i < len; i++) out[i] = buf[i];
    return out;
  }
}

function room(pos: number, n: number): void {
  if (pos + n > MAX_PACKET_LENGTH)
    throw new PacketTooLargeError(`packet would exceed ${MAX_PACKET_LENGTH} bytes`);
}
