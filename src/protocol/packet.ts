import type { AttributeDef } from '../dictionary/definitions.js';
import { defaultDictionary, type Dictionary } from '../dictionary/dictionary.js';
import type { AttributeInput, AttributeValue } from '../dictionary/types.js';
import {
  AuthenticatorError,
  InvalidValueError,
  MalformedPacketError,
  PacketTooLargeError,
} from '../errors.js';
import {
  type AttributeEntry,
  type AttributePair,
  AttributesSet,
  type JsonAttributeValue,
  type ToObjectOptions,
  type ReplyAttributes,
} from './attributes.js';
import {
  MESSAGE_AUTHENTICATOR,
  messageAuthenticatorInto,
  signInScratch,
  signPacket,
  verifyAuthenticator,
  verifyMessageAuthenticator,
} from './authenticator.js';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCESS_REQUEST,
  ACCOUNTING_REQUEST,
  ACCOUNTING_RESPONSE,
  COA_ACK,
  COA_NAK,
  COA_REQUEST,
  codeName,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DISCONNECT_REQUEST,
  isKnownCode,
  isRequestCode,
  REPLY_CODES,
  STATUS_CLIENT,
  STATUS_SERVER,
} from './codes.js';
import {
  attributesDecodable,
  type CryptContext,
  decodeAttributes,
  RawAttributes,
} from './decode-attributes.js';
import { AttributeWriter, MAX_PACKET_LENGTH } from './encode-attributes.js';
import { RelayedAttributes } from './relayed-attributes.js';
import { HashScratch } from './md5.js';
import { randomByte, randomBytesPooled } from './random.js';

const EAP_MESSAGE = 79;
const PROXY_STATE = 33;
const ZERO16 = Buffer.alloc(16);
// Room for a full packet plus one attribute written before the size check trips, and a secret
// after it: the packet is encoded in hash scratch memory and its authenticators computed in place.
const hashScratch = new HashScratch(MAX_PACKET_LENGTH + 512 + 256);
const scratch = Buffer.from(hashScratch.bytes.buffer, hashScratch.bytes.byteOffset, hashScratch.bytes.length);

/** Options when building a packet. */
export interface PacketOptions {
  /** Identifier (0..255); a random one when omitted. */
  identifier?: number;
  /** Request Authenticator for Access-Request / Status-Server (16 bytes); a random one from `crypto` when omitted. */
  authenticator?: Buffer;
  /** Dictionary for attribute names; the built-in one when omitted. */
  dictionary?: Dictionary;
  /** Initial attributes. */
  attributes?: Iterable<AttributePair>;
  /**
   * Whether to send Message-Authenticator (placed first). Default: always for Access-* and
   * Status-Server packets (BlastRADIUS, CVE-2024-3596), with EAP-Message, or when one was added.
   */
  messageAuthenticator?: boolean;
  /** For replies: the request being answered (its authenticator signs and hides the reply). */
  request?: Packet;
  /**
   * RADIUS/1.1 (RFC 9765 §4): the Token that replaces the Identifier and the authenticators; the
   * packet is then encoded with nothing hidden and no Message-Authenticator. A reply takes its
   * request's Token.
   */
  token?: number;
}

/** A RADIUS packet: header fields, attributes, and the shared secret that signs it. */
export class Packet {
  readonly code: number;
  identifier: number;
  /** Request Authenticator of a request (set at encode for Accounting/CoA/Disconnect), or the reply's authenticator once encoded or decoded. */
  authenticator: Buffer;
  secret: Buffer;
  readonly attributes: AttributesSet;
  /** For a reply: the request it answers. */
  request: Packet | undefined;
  /** See PacketOptions.messageAuthenticator; on decoded packets, whether one was present (and verified). */
  messageAuthenticator: boolean | undefined;
  /** The bytes this packet was decoded from (undefined for packets built locally). */
  raw: Buffer | undefined;
  /** RADIUS/1.1 Token (see PacketOptions.token); undefined for RADIUS. */
  token: number | undefined;

  constructor(code: number, secret: string | Buffer, options: PacketOptions = {}) {
    if (!Number.isInteger(code) || code < 1 || code > 255)
      throw new InvalidValueError('Code', `${code} is not 1..255`);
    this.code = code;
    this.secret = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    const id = options.identifier ?? randomByte();
    if (!Number.isInteger(id) || id < 0 || id > 255)
      throw new InvalidValueError('Identifier', `${id} is not 0..255`);
    this.identifier = id;
    if (options.authenticator !== undefined && options.authenticator.length !== 16) {
      throw new InvalidValueError('Authenticator', 'must be 16 bytes');
    }
    this.authenticator =
      options.authenticator ?? (hasRandomAuthenticator(code) ? randomBytesPooled(16) : zeros16());
    this.attributes = new AttributesSet(
      options.dictionary ?? options.request?.dictionary ?? defaultDictionary,
      options.attributes,
    );
    this.request = options.request;
    this.messageAuthenticator = options.messageAuthenticator;
    this.raw = undefined;
    const token = options.token ?? options.request?.token;
    if (token !== undefined) checkToken(token);
    this.token = token;
  }

  /** What console.log and util.inspect show: no secret, hidden attributes masked. */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    const shown = { code: this.codeName, identifier: this.identifier, attributes: this.attributes };
    return `${this.constructor.name} ${inspect(shown, options)}`;
  }

  /** The dictionary used for attribute names. */
  get dictionary(): Dictionary {
    return this.attributes.dictionary;
  }

  /** The RFC name of this packet's code, e.g. `Access-Accept`. */
  get codeName(): string {
    return codeName(this.code);
  }

  /** Appends `[name, value]` pairs (the spec's `add_attributes`). */
  addAttributes(...pairs: AttributePair[]): this {
    this.attributes.addAttributes(...pairs);
    return this;
  }

  /** Appends one attribute. */
  add(name: string, value: AttributeInput, tag?: number): this {
    this.attributes.add(name, value, tag);
    return this;
  }

  /** The first value of an attribute. */
  get(name: string): AttributeValue | undefined {
    return this.attributes.get(name);
  }

  /** Every value of an attribute. */
  getAll(name: string): AttributeValue[] {
    return this.attributes.getAll(name);
  }

  /**
   * A reply to this request with the same identifier, secret and dictionary. Proxy-State
   * attributes are copied in order (RFC 2865 §5.33). The code defaults to the positive answer.
   */
  createReply(code?: number, attributes?: ReplyAttributes): Packet {
    const replyCode = code ?? REPLY_CODES[this.code]?.[0];
    if (replyCode === undefined) throw new InvalidValueError('Code', `${codeName(this.code)} has no reply`);
    const Cls = PACKET_CLASSES[replyCode];
    const reply = Cls
      ? new Cls(this.secret, { identifier: this.identifier, request: this })
      : new Packet(replyCode, this.secret, { identifier: this.identifier, request: this });
    copyProxyStates(this, reply.attributes);
    if (attributes) reply.attributes.addPairs(attributes);
    return reply;
  }

  /** Encodes to wire bytes, computing authenticators and Message-Authenticator. */
  encode(): Buffer {
    const code = this.code;
    if (this.token !== undefined)
      return encodeTokenWire(code, checkToken(this.token), this.secret, this.attributes.entries);
    const reply = !isRequestCode(code);
    const out = encodeWire(
      code,
      this.identifier,
      this.secret,
      this.attributes.entries,
      this.wantsMessageAuthenticator(),
      reply ? this.requestAuthenticator() : undefined,
      this.authenticator,
    );
    if (reply || !hasRandomAuthenticator(code)) this.authenticator = out.subarray(4, 20);
    return out;
  }

  /** JSON view: code name, identifier and attributes, hidden attributes masked (see {@link toObject}). */
  toJSON(): { code: string; identifier: number; attributes: Record<string, JsonAttributeValue[]> } {
    return this.toObject();
  }

  /** Code name, identifier and attributes as a plain object; hidden values only with `revealHidden`. */
  toObject(options: ToObjectOptions = {}): {
    code: string;
    identifier: number;
    attributes: Record<string, JsonAttributeValue[]>;
  } {
    return {
      code: this.codeName,
      identifier: this.identifier,
      attributes: this.attributes.toObject(options),
    };
  }

  private wantsMessageAuthenticator(): boolean {
    if (this.messageAuthenticator !== undefined) return this.messageAuthenticator;
    return wantsMessageAuthenticator(this.code, this.attributes.entries, this.request);
  }

  private requestAuthenticator(): Buffer {
    if (!this.request)
      throw new InvalidValueError('Authenticator', `a ${this.codeName} needs the request it answers`);
    return this.request.authenticator;
  }
}

/** Whether a packet sends Message-Authenticator when not told (see PacketOptions.messageAuthenticator). */
function wantsMessageAuthenticator(
  code: number,
  entries: readonly AttributeEntry[],
  request: Packet | undefined,
): boolean {
  if (
    code === ACCESS_REQUEST ||
    code === ACCESS_ACCEPT ||
    code === ACCESS_REJECT ||
    code === ACCESS_CHALLENGE ||
    code === STATUS_SERVER
  ) {
    return true;
  }
  for (const e of entries) {
    if (
      !e.def.parent &&
      !e.def.vendor &&
      (e.def.number === EAP_MESSAGE || e.def.number === MESSAGE_AUTHENTICATOR)
    )
      return true;
  }
  // A Status-Server reply (Accounting-Response to it) carries one too (RFC 5997 §3).
  return request?.code === STATUS_SERVER;
}

/**
 * Writes code and identifier, and a zeroed Message-Authenticator first when `wantMA` (RFC 3579
 * §3.2: zeros while the HMAC is computed); returns where the next attribute goes.
 */
function startWire(buf: Buffer, code: number, identifier: number, wantMA: boolean): number {
  buf[0] = code;
  buf[1] = identifier;
  if (!wantMA) return 20;
  buf[20] = MESSAGE_AUTHENTICATOR;
  buf[21] = 18;
  for (let i = 22; i < 38; i++) buf[i] = 0;
  return 38;
}

/**
 * The wire bytes of a packet: header, Message-Authenticator first when `wantMA`, the attributes,
 * hidden attributes and authenticators computed (RFC 2865 §3, RFC 2866 §3, RFC 3579 §3.2).
 * `requestAuth` is the authenticator of the request a reply answers (undefined for requests);
 * `ownAuth` the Request Authenticator of an Access-Request or Status-Server.
 */
function encodeWire(
  code: number,
  identifier: number,
  secret: Buffer,
  entries: readonly AttributeEntry[],
  wantMA: boolean,
  requestAuth: Buffer | undefined,
  ownAuth: Buffer,
): Buffer {
  const buf = scratch;
  let pos = startWire(buf, code, identifier, wantMA);
  // Hidden attributes use the Request Authenticator: the packet's own for Access-Request and
  // Status-Server, the request's for replies, and zeros for the other requests (RFC 5176 §3.5).
  // The same goes in the authenticator field while the authenticators are computed.
  const authField = requestAuth ?? (hasRandomAuthenticator(code) ? ownAuth : ZERO16);
  if (entries.length > 0) {
    const w = new AttributeWriter(buf, pos);
    w.writeAll(entries, { secret, authenticator: authField }, isMessageAuthenticator);
    pos = w.pos;
  }
  const len = pos;
  buf[2] = len >>> 8;
  buf[3] = len;
  for (let i = 0; i < 16; i++) buf[4 + i] = authField[i];
  const sign = requestAuth !== undefined || !hasRandomAuthenticator(code);
  if (!signInScratch(hashScratch, len, wantMA ? 22 : -1, secret, sign)) {
    // A secret too long for the scratch: the same, hashed range by range.
    if (wantMA) messageAuthenticatorInto(buf, len, 22, authField, secret, buf, 22);
    if (sign) signPacket(buf, len, authField, secret);
  }
  return copyOf(buf, len);
}

const NO_ENTRIES: readonly AttributeEntry[] = [];

/**
 * The wire bytes of a RADIUS/1.1 packet (RFC 9765 §4.1): Reserved-1 zero, the Token, Reserved-2
 * zero, and the attributes with nothing hidden (§5.1). Message-Authenticator is never sent (§5.2).
 */
function encodeTokenWire(
  code: number,
  token: number,
  secret: Buffer,
  entries: readonly AttributeEntry[],
): Buffer {
  const buf = scratch;
  buf[0] = code;
  buf[1] = 0;
  buf.writeUInt32BE(token, 4);
  for (let i = 8; i < 20; i++) buf[i] = 0;
  let pos = 20;
  if (entries.length > 0) {
    const w = new AttributeWriter(buf, pos);
    w.writeAll(entries, { secret, authenticator: ZERO16, plain: true }, isMessageAuthenticator);
    pos = w.pos;
  }
  buf[2] = pos >>> 8;
  buf[3] = pos;
  return copyOf(buf, pos);
}

/** A Token is a 32-bit unsigned number (RFC 9765 §4.1). */
function checkToken(token: number): number {
  if (!Number.isInteger(token) || token < 0 || token > 0xffffffff)
    throw new InvalidValueError('Token', `${token} is not 0..4294967295`);
  return token;
}

/**
 * The bytes `request.createReply(code, attributes).encode()` returns, without building the reply
 * Packet: a server sends the bytes and needs nothing else of it.
 */
export function encodeReply(request: Packet, code: number, attributes?: ReplyAttributes): Buffer {
  if (!Number.isInteger(code) || code < 1 || code > 255)
    throw new InvalidValueError('Code', `${code} is not 1..255`);
  const id = request.identifier;
  if (!Number.isInteger(id) || id < 0 || id > 255)
    throw new InvalidValueError('Identifier', `${id} is not 0..255`);
  if (attributes instanceof RelayedAttributes && request.token === undefined && request.raw !== undefined)
    return encodeRelayedReply(request, code, attributes);
  let entries = NO_ENTRIES;
  const noPairs = attributes === undefined || (Array.isArray(attributes) && attributes.length === 0);
  if (!noPairs || hasProxyState(request)) {
    const set = new AttributesSet(request.dictionary);
    copyProxyStates(request, set);
    if (attributes) set.addPairs(attributes);
    entries = set.entries;
  }
  if (request.token !== undefined) return encodeTokenWire(code, request.token, request.secret, entries);
  return encodeWire(
    code,
    id,
    request.secret,
    entries,
    wantsMessageAuthenticator(code, entries, request),
    request.authenticator,
    request.authenticator,
  );
}

/**
 * encodeReply for attributes relayed as bytes (a proxy's reply to the NAS): the same bytes the
 * decoded attributes would encode to, Message-Authenticator first, then the request's Proxy-States
 * copied as they came (RFC 2865 §5.33), then the relayed attributes.
 */
function encodeRelayedReply(request: Packet, code: number, attributes: RelayedAttributes): Buffer {
  const buf = scratch;
  const raw = request.raw as Buffer;
  const wantMA =
    code === ACCESS_ACCEPT ||
    code === ACCESS_REJECT ||
    code === ACCESS_CHALLENGE ||
    request.code === STATUS_SERVER ||
    attributes.hasEapMessage;
  let pos = startWire(buf, code, request.identifier, wantMA);
  const end = (raw[2] << 8) | raw[3];
  for (let p = 20; p < end; p += raw[p + 1]) {
    if (raw[p] !== PROXY_STATE) continue;
    const l = raw[p + 1];
    if (pos + l > MAX_PACKET_LENGTH)
      throw new PacketTooLargeError(`packet would exceed ${MAX_PACKET_LENGTH} bytes`);
    for (let i = 0; i < l; i++) buf[pos + i] = raw[p + i];
    pos += l;
  }
  pos = attributes.writeTo(buf, pos, MAX_PACKET_LENGTH);
  if (pos < 0) throw new PacketTooLargeError(`packet would exceed ${MAX_PACKET_LENGTH} bytes`);
  const len = pos;
  buf[2] = len >>> 8;
  buf[3] = len;
  const authField = request.authenticator;
  for (let i = 0; i < 16; i++) buf[4 + i] = authField[i];
  const secret = request.secret;
  if (!signInScratch(hashScratch, len, wantMA ? 22 : -1, secret, true)) {
    if (wantMA) messageAuthenticatorInto(buf, len, 22, authField, secret, buf, 22);
    signPacket(buf, len, authField, secret);
  }
  return copyOf(buf, len);
}

function isProxyState(def: AttributeDef): boolean {
  return def.number === PROXY_STATE && !def.parent && !def.vendor;
}

function hasProxyState(request: Packet): boolean {
  return request.attributes.hasType(PROXY_STATE);
}

/** RFC 2865 §5.33: a reply carries the request's Proxy-State attributes, in order. */
function copyProxyStates(request: Packet, to: AttributesSet): void {
  for (const e of request.attributes.entries) if (isProxyState(e.def)) to.push(e.def, e.value);
}

function isMessageAuthenticator(def: AttributeDef): boolean {
  return def.number === MESSAGE_AUTHENTICATOR && def.parent === undefined && def.vendor === undefined;
}

function hasRandomAuthenticator(code: number): boolean {
  return code === ACCESS_REQUEST || code === STATUS_SERVER || code === STATUS_CLIENT;
}

/** Access-Request (RFC 2865 §4.1). */
export class AccessRequest extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(ACCESS_REQUEST, secret, options);
  }
}
/** Access-Accept (RFC 2865 §4.2). */
export class AccessAccept extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(ACCESS_ACCEPT, secret, options);
  }
}
/** Access-Reject (RFC 2865 §4.3). */
export class AccessReject extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(ACCESS_REJECT, secret, options);
  }
}
/** Access-Challenge (RFC 2865 §4.4). */
export class AccessChallenge extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(ACCESS_CHALLENGE, secret, options);
  }
}
/** Accounting-Request (RFC 2866 §4.1). */
export class AccountingRequest extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(ACCOUNTING_REQUEST, secret, options);
  }
}
/** Accounting-Response (RFC 2866 §4.2). */
export class AccountingResponse extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(ACCOUNTING_RESPONSE, secret, options);
  }
}
/** Status-Server (RFC 5997). */
export class StatusServer extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(STATUS_SERVER, secret, options);
  }
}
/** CoA-Request (RFC 5176 §3.2). */
export class CoARequest extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(COA_REQUEST, secret, options);
  }
}
/** CoA-ACK (RFC 5176 §3.2). */
export class CoAACK extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(COA_ACK, secret, options);
  }
}
/** CoA-NAK (RFC 5176 §3.2). */
export class CoANAK extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(COA_NAK, secret, options);
  }
}
/** Disconnect-Request (RFC 5176 §3.1). */
export class DisconnectRequest extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(DISCONNECT_REQUEST, secret, options);
  }
}
/** Disconnect-ACK (RFC 5176 §3.1). */
export class DisconnectACK extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(DISCONNECT_ACK, secret, options);
  }
}
/** Disconnect-NAK (RFC 5176 §3.1). */
export class DisconnectNAK extends Packet {
  constructor(secret: string | Buffer, options?: PacketOptions) {
    super(DISCONNECT_NAK, secret, options);
  }
}

type PacketClass = new (secret: string | Buffer, options?: PacketOptions) => Packet;

const PACKET_CLASSES: Record<number, PacketClass> = {
  [ACCESS_REQUEST]: AccessRequest,
  [ACCESS_ACCEPT]: AccessAccept,
  [ACCESS_REJECT]: AccessReject,
  [ACCESS_CHALLENGE]: AccessChallenge,
  [ACCOUNTING_REQUEST]: AccountingRequest,
  [ACCOUNTING_RESPONSE]: AccountingResponse,
  [STATUS_SERVER]: StatusServer,
  [COA_REQUEST]: CoARequest,
  [COA_ACK]: CoAACK,
  [COA_NAK]: CoANAK,
  [DISCONNECT_REQUEST]: DisconnectRequest,
  [DISCONNECT_ACK]: DisconnectACK,
  [DISCONNECT_NAK]: DisconnectNAK,
};

/** A new packet of the class for `code` (a plain Packet for codes without one). */
export function createPacket(code: number, secret: string | Buffer, options?: PacketOptions): Packet {
  const Cls = PACKET_CLASSES[code];
  return Cls ? new Cls(secret, options) : new Packet(code, secret, options);
}

/** Header facts and a framing scan of a datagram, before any cryptography. */
export interface PacketScan {
  code: number;
  identifier: number;
  /** Length from the header (bytes past it in the datagram are ignored, RFC 2865 §3). */
  length: number;
  /** Offset of the Message-Authenticator value, or -1. */
  maOffset: number;
  hasEapMessage: boolean;
  hasProxyState: boolean;
}

/**
 * Checks the header and attribute framing of a datagram (RFC 2865 §3): 20..4096 bytes, a length
 * field within the datagram, attributes that tile the packet exactly. Throws MalformedPacketError.
 */
export function scanPacket(data: Buffer): PacketScan {
  if (data.length < 20) throw new MalformedPacketError(`packet of ${data.length} bytes is shorter than 20`);
  const length = data.readUInt16BE(2);
  if (length < 20 || length > MAX_PACKET_LENGTH)
    throw new MalformedPacketError(`length field ${length} is outside 20..4096`);
  if (length > data.length)
    throw new MalformedPacketError(`length field ${length} is past the ${data.length}-byte datagram`);
  let maOffset = -1;
  let hasEapMessage = false;
  let hasProxyState = false;
  let p = 20;
  while (p < length) {
    if (length - p < 2) throw new MalformedPacketError(`attribute header truncated at offset ${p}`);
    const t = data[p];
    const l = data[p + 1];
    if (l < 2 || p + l > length)
      throw new MalformedPacketError(`attribute ${t} at offset ${p} has bad length ${l}`);
    if (t === MESSAGE_AUTHENTICATOR) {
      if (l !== 18) throw new MalformedPacketError(`Message-Authenticator has length ${l}, not 18`);
      if (maOffset < 0) maOffset = p + 2;
    } else if (t === EAP_MESSAGE) hasEapMessage = true;
    else if (t === PROXY_STATE) hasProxyState = true;
    p += l;
  }
  return { code: data[0], identifier: data[1], length, maOffset, hasEapMessage, hasProxyState };
}

/** Options for decoding. */
export interface DecodeOptions {
  dictionary?: Dictionary;
  /** Reject a packet without Message-Authenticator (AuthenticatorError). */
  requireMessageAuthenticator?: boolean;
  /** A scan already made of these bytes (servers scan first to route and count). */
  scan?: PacketScan;
  /**
   * Decode attributes when first read rather than at once (a packet the decoder would refuse is
   * still refused here). The packet then reads `data` later: only for callers that never change
   * those bytes afterwards, as a server with a fresh buffer per datagram.
   */
  deferAttributes?: boolean;
  /**
   * The bytes came over a RADIUS/1.1 connection (RFC 9765): read the Token, nothing is hidden,
   * there are no authenticators to verify, and a Message-Authenticator is discarded unread (§5.2).
   */
  radius11?: boolean;
}

/**
 * Decodes and verifies a request (the name of the original library): Accounting/CoA/Disconnect
 * request authenticators, Message-Authenticator when present, and required with EAP-Message
 * (RFC 3579 §3.2) and Status-Server (RFC 5997 §3). Throws MalformedPacketError or AuthenticatorError.
 */
export function decodeRequest(secret: string | Buffer, data: Buffer, options: DecodeOptions = {}): Packet {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  const scan = options.scan ?? scanPacket(data);
  const { code, length, maOffset } = scan;
  if (!isKnownCode(code) || !isRequestCode(code))
    throw new MalformedPacketError(`code ${code} is not a request`);
  if (options.radius11 === true) {
    const packet = createPacket(code, key, {
      identifier: 0,
      dictionary: options.dictionary,
      messageAuthenticator: false,
      token: data.readUInt32BE(4),
    });
    decodeTokenAttributes(packet, data, length, maOffset, options.deferAttributes === true);
    return packet;
  }
  const random = hasRandomAuthenticator(code);
  if (!random && !verifyAuthenticator(data, length, ZERO16, key)) {
    throw new AuthenticatorError(`${codeName(code)} Request Authenticator does not verify (wrong secret?)`);
  }
  const received = copy16(data, 4);
  const authField = random ? received : ZERO16;
  if (maOffset >= 0) {
    if (!verifyMessageAuthenticator(data, length, maOffset, authField, key)) {
      throw new AuthenticatorError('Message-Authenticator does not verify (wrong secret?)');
    }
  } else if (scan.hasEapMessage || code === STATUS_SERVER || options.requireMessageAuthenticator) {
    throw new AuthenticatorError(`${codeName(code)} without Message-Authenticator`);
  }
  const packet = createPacket(code, key, {
    identifier: scan.identifier,
    authenticator: received,
    dictionary: options.dictionary,
    messageAuthenticator: maOffset >= 0,
  });
  const ctx: CryptContext = { secret: key, authenticator: random ? packet.authenticator : ZERO16 };
  // Attributes that cannot fail to decode are decoded when first read (a server's handler often
  // reads two of them); the others at once, so that a malformed packet is refused here.
  if (options.deferAttributes === true && attributesDecodable(packet.dictionary, data, 20, length))
    packet.attributes.deferDecode(new RawAttributes(data, 20, length, ctx));
  else decodeAttributes(data, 20, length, packet.attributes, ctx);
  packet.raw = data.length === length ? data : data.subarray(0, length);
  return packet;
}

/**
 * Decodes and verifies a reply to `request`: code allowed for the request, identifier, Response
 * Authenticator, Message-Authenticator (required when the request carried EAP-Message, or by option).
 */
export function decodeResponse(
  secret: string | Buffer,
  data: Buffer,
  request: Packet,
  options: DecodeOptions = {},
): Packet {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  const scan = options.scan ?? scanPacket(data);
  const { code, length, maOffset } = scan;
  const allowed = REPLY_CODES[request.code];
  if (!allowed?.includes(code))
    throw new MalformedPacketError(`${codeName(code)} is not a reply to ${request.codeName}`);
  if (request.token !== undefined) {
    // RFC 9765 §4.2: the Token alone pairs a reply with its request.
    const token = data.readUInt32BE(4);
    if (token !== request.token)
      throw new MalformedPacketError(`Token ${token} does not match the request's ${request.token}`);
    const packet = createPacket(code, key, {
      identifier: request.identifier,
      dictionary: options.dictionary ?? request.dictionary,
      messageAuthenticator: false,
      request,
    });
    decodeTokenAttributes(packet, data, length, maOffset, false);
    return packet;
  }
  if (scan.identifier !== request.identifier) {
    throw new MalformedPacketError(
      `identifier ${scan.identifier} does not match the request's ${request.identifier}`,
    );
  }
  if (!verifyAuthenticator(data, length, request.authenticator, key)) {
    throw new AuthenticatorError(`${codeName(code)} Response Authenticator does not verify`);
  }
  if (maOffset >= 0) {
    if (!verifyMessageAuthenticator(data, length, maOffset, request.authenticator, key)) {
      throw new AuthenticatorError('Message-Authenticator of the reply does not verify');
    }
  } else if (options.requireMessageAuthenticator ?? replyNeedsSignature(code, scan.hasEapMessage, request)) {
    throw new AuthenticatorError(`${codeName(code)} without Message-Authenticator`);
  }
  const packet = createPacket(code, key, {
    identifier: scan.identifier,
    dictionary: options.dictionary ?? request.dictionary,
    messageAuthenticator: maOffset >= 0,
    request,
  });
  packet.authenticator = copy16(data, 4);
  const ctx: CryptContext = { secret: key, authenticator: request.authenticator };
  // As for requests: deferred only where the decode cannot fail later (a proxy relaying the reply
  // as bytes then never decodes it).
  if (options.deferAttributes === true && attributesDecodable(packet.dictionary, data, 20, length))
    packet.attributes.deferDecode(new RawAttributes(data, 20, length, ctx));
  else decodeAttributes(data, 20, length, packet.attributes, ctx);
  packet.raw = data.length === length ? data : data.subarray(0, length);
  return packet;
}

/** The attributes of a RADIUS/1.1 packet, plain, without its Message-Authenticator (RFC 9765 §5.2). */
function decodeTokenAttributes(
  packet: Packet,
  data: Buffer,
  length: number,
  maOffset: number,
  defer: boolean,
): void {
  const ctx: CryptContext = { secret: packet.secret, authenticator: ZERO16, plain: true };
  if (defer && maOffset < 0 && attributesDecodable(packet.dictionary, data, 20, length))
    packet.attributes.deferDecode(new RawAttributes(data, 20, length, ctx));
  else {
    decodeAttributes(data, 20, length, packet.attributes, ctx);
    if (maOffset >= 0) packet.attributes.delete('Message-Authenticator');
  }
  packet.raw = data.length === length ? data : data.subarray(0, length);
}

/** A new Buffer with `buf[0, len)`: a byte loop for short packets, whose copy costs less than Buffer#copy's checks. */
function copyOf(buf: Buffer, len: number): Buffer {
  const out = Buffer.allocUnsafe(len);
  if (len > 128) buf.copy(out, 0, 0, len);
  else for (let i = 0; i < len; i++) out[i] = buf[i];
  return out;
}

/** A new zeroed 16-byte Buffer; Buffer.alloc would give it an ArrayBuffer of its own, a costly allocation. */
function zeros16(): Buffer {
  const out = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; i++) out[i] = 0;
  return out;
}

/** A new 16-byte Buffer with `data[at, at + 16)` (a byte loop beats subarray + copy at this size). */
function copy16(data: Buffer, at: number): Buffer {
  const out = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; i++) out[i] = data[at + i];
  return out;
}

/**
 * Whether a reply must carry Message-Authenticator unless told otherwise: one carrying EAP-Message
 * (RFC 3579 §3.2), and an Access-Accept or Access-Challenge to an EAP request (an unsigned Accept
 * would let a forger skip the EAP method). An Access-Reject without EAP-Message is taken: it
 * grants nothing, and servers send one unsigned when they refuse before EAP starts (FreeRADIUS,
 * when the EAP identity does not match User-Name); dropped, it made a proxy count a healthy
 * home server as one that does not answer.
 */
function replyNeedsSignature(code: number, hasEapMessage: boolean, request: Packet): boolean {
  return hasEapMessage || (code !== ACCESS_REJECT && requestHasEap(request));
}

function requestHasEap(request: Packet): boolean {
  // On a received request still in bytes, a scan of them (no decode).
  return request.attributes.hasType(EAP_MESSAGE);
}
