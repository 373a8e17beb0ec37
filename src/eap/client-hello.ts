/**
 * The sessions a ClientHello asks to resume: its TLS 1.3 ticket identities (RFC 8446 §4.2.11,
 * pre_shared_key) and its legacy session ID (RFC 5246 §7.4.1.2). Node's 'resumeSession' event is
 * not emitted for an empty session ID, which is what a TLS 1.3 client without middlebox
 * compatibility sends (wpa_supplicant does): the engine reads the ClientHello itself.
 */

const HANDSHAKE = 22;
const CLIENT_HELLO = 1;
const PRE_SHARED_KEY = 41;

/**
 * The PSK identities, then the non-empty legacy session ID, of the ClientHello at the start of
 * `flight` (TLS records as the peer sent them); none when the bytes are anything else or
 * malformed. Never throws.
 */
export function offeredSessionIds(flight: Buffer): Buffer[] {
  // Record header (5), handshake header (4), legacy_version (2), random (32).
  if (flight.length < 5 + 4 || flight[0] !== HANDSHAKE || flight[5] !== CLIENT_HELLO) return [];
  const end = Math.min(flight.length, 5 + flight.readUInt16BE(3));
  let p = 5 + 4 + 2 + 32;
  // legacy_session_id <0..32>, cipher_suites <2..2^16-2>, legacy_compression_methods <1..2^8-1>.
  if (p + 1 > end) return [];
  const sessionId = flight.subarray(p + 1, Math.min(end, p + 1 + flight[p]));
  const legacy = sessionId.length > 0 ? [sessionId] : [];
  p += 1 + flight[p];
  if (p + 2 > end) return legacy;
  p += 2 + flight.readUInt16BE(p);
  if (p + 1 > end) return legacy;
  p += 1 + flight[p];
  if (p + 2 > end) return legacy;
  const extensionsEnd = Math.min(end, p + 2 + flight.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extensionsEnd) {
    const type = flight.readUInt16BE(p);
    const length = flight.readUInt16BE(p + 2);
    p += 4;
    if (type === PRE_SHARED_KEY)
      return [...identities(flight, p, Math.min(extensionsEnd, p + length)), ...legacy];
    p += length;
  }
  return legacy;
}

/** OfferedPsks.identities: each an opaque identity <1..2^16-1> and a 4-byte obfuscated age. */
function identities(bytes: Buffer, start: number, end: number): Buffer[] {
  if (start + 2 > end) return [];
  const listEnd = Math.min(end, start + 2 + bytes.readUInt16BE(start));
  const found: Buffer[] = [];
  for (let p = start + 2; p + 2 <= listEnd; ) {
    const length = bytes.readUInt16BE(p);
    if (p + 2 + length + 4 > listEnd) break;
    found.push(bytes.subarray(p + 2, p + 2 + length));
    p += 2 + length + 4;
  }
  return found;
}
