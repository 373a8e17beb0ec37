// The datagrams instances exchange to hand an EAP round to the instance that owns its
// conversation, and its answer back: no I/O here. Each datagram ends with an HMAC-SHA256 under
// the cluster key, so an instance acts only on what another holder of the key sent.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { decodeAddressPort, encodeAddressPort } from './address-bytes.js';

const MAGIC = 0x4146; // "AF"
const VERSION = 1;
const TYPE_REQUEST = 1;
const TYPE_REPLY = 2;
const MAC_LENGTH = 32;
const NONCE_LENGTH = 16;

/** A NAS's request handed to the owner of its conversation. */
export interface ForwardRequest {
  readonly type: 'request';
  /** Names the exchange: the reply carries it back (and the owner refuses it a second time). */
  readonly nonce: Buffer;
  /** When the forwarding instance sent it (ms since the epoch): stale ones are refused. */
  readonly sentAt: number;
  /** The NAS as the forwarding instance saw it. */
  readonly nasAddress: string;
  readonly nasPort: number;
  /** The NAS's RADIUS request, byte for byte. */
  readonly packet: Buffer;
}

/** The owner's RADIUS reply to a forwarded request. */
export interface ForwardReply {
  readonly type: 'reply';
  readonly nonce: Buffer;
  readonly packet: Buffer;
}

function header(type: number, nonce: Buffer): Buffer {
  const out = Buffer.alloc(4 + NONCE_LENGTH);
  out.writeUInt16BE(MAGIC, 0);
  out[2] = VERSION;
  out[3] = type;
  nonce.copy(out, 4);
  return out;
}

function seal(key: Buffer, parts: Buffer[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const p of parts) mac.update(p);
  return Buffer.concat([...parts, mac.digest()]);
}

/** Encodes a forwarded request, sealed with `key`. */
export function encodeForwardRequest(key: Buffer, message: Omit<ForwardRequest, 'type'>): Buffer {
  const nas = encodeAddressPort(message.nasAddress, message.nasPort);
  const sentAt = Buffer.alloc(8);
  sentAt.writeBigUInt64BE(BigInt(message.sentAt));
  return seal(key, [header(TYPE_REQUEST, message.nonce), nas, sentAt, message.packet]);
}

/** Encodes the owner's reply to the request named by `nonce`, sealed with `key`. */
export function encodeForwardReply(key: Buffer, nonce: Buffer, packet: Buffer): Buffer {
  return seal(key, [header(TYPE_REPLY, nonce), packet]);
}

/** Decodes a datagram sealed with `key`; undefined when it is malformed or its HMAC is wrong. */
export function decodeForwardMessage(key: Buffer, data: Buffer): ForwardRequest | ForwardReply | undefined {
  if (data.length < 4 + NONCE_LENGTH + MAC_LENGTH + 20) return undefined;
  if (data.readUInt16BE(0) !== MAGIC || data[2] !== VERSION) return undefined;
  const body = data.subarray(0, data.length - MAC_LENGTH);
  const expected = createHmac('sha256', key).update(body).digest();
  if (!timingSafeEqual(expected, data.subarray(data.length - MAC_LENGTH))) return undefined;
  const nonce = Buffer.from(body.subarray(4, 4 + NONCE_LENGTH));
  let at = 4 + NONCE_LENGTH;
  if (data[3] === TYPE_REPLY) return { type: 'reply', nonce, packet: Buffer.from(body.subarray(at)) };
  if (data[3] !== TYPE_REQUEST) return undefined;
  const nas = decodeAddressPort(body, at);
  if (!nas || body.length < at + nas.length + 8 + 20) return undefined;
  at += nas.length;
  return {
    type: 'request',
    nonce,
    sentAt: Number(body.readBigUInt64BE(at)),
    nasAddress: nas.host,
    nasPort: nas.port,
    packet: Buffer.from(body.subarray(at + 8)),
  };
}
