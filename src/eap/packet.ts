/** EAP packets (RFC 3748 §4): bytes <-> fields, no state and no I/O. */

import { MalformedPacketError } from '../errors.js';
import { EAP_FAILURE, EAP_REQUEST, EAP_RESPONSE, EAP_SUCCESS } from './codes.js';

/** A decoded EAP packet; `type` and `data` exist for Requests and Responses only. */
export interface EapPacket {
  code: number;
  identifier: number;
  /** The method type (RFC 3748 §4.1); undefined for Success/Failure. */
  type?: number;
  /** Type-Data: what follows the type byte. */
  data: Buffer;
}

/** Decodes one EAP packet; throws MalformedPacketError when the Length field does not fit. */
export function decodeEap(bytes: Buffer): EapPacket {
  if (bytes.length < 4) throw new MalformedPacketError(`EAP packet of ${bytes.length} bytes`);
  const code = bytes[0];
  const length = bytes.readUInt16BE(2);
  // RFC 3748 §4.1: octets past Length are padding and ignored; fewer than Length is an error.
  if (length < 4 || length > bytes.length) {
    throw new MalformedPacketError(`EAP Length ${length} with ${bytes.length} bytes`);
  }
  if (code === EAP_SUCCESS || code === EAP_FAILURE)
    return { code, identifier: bytes[1], data: Buffer.alloc(0) };
  if (code !== EAP_REQUEST && code !== EAP_RESPONSE) throw new MalformedPacketError(`EAP code ${code}`);
  if (length < 5) throw new MalformedPacketError('EAP Request/Response without a Type');
  return { code, identifier: bytes[1], type: bytes[4], data: bytes.subarray(5, length) };
}

/** Encodes a Request or Response of `type` with `data`, in one allocation. */
export function encodeEap(code: number, identifier: number, type: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + data.length);
  out[0] = code;
  out[1] = identifier & 0xff;
  out.writeUInt16BE(out.length, 2);
  out[4] = type;
  data.copy(out, 5);
  return out;
}

/** Encodes EAP-Success or EAP-Failure (RFC 3748 §4.2: 4 bytes, no type). */
export function encodeEapResult(code: typeof EAP_SUCCESS | typeof EAP_FAILURE, identifier: number): Buffer {
  return Buffer.from([code, identifier & 0xff, 0, 4]);
}
