/**
 * What a shared store holds for a TLS session (SharedTlsSessions): the serialized session
 * (OpenSSL's SSL_SESSION, one DER SEQUENCE) and, once a method authenticated someone over a
 * tunnel's session, that identity after it as a DER UTF8String. An EAP-TTLS peer that resumes
 * skips the authentication inside the tunnel (RFC 5281 §7.4), so another instance may resume the
 * session only knowing whom it stands for: kept in the session's own record, under its ID, the
 * identity lives and goes as the session does, and a record without one never resumes EAP-TTLS.
 */

import { encodeLength, readLength } from './tls-session-der.js';

const SEQUENCE = 0x30;
const UTF8_STRING = 0x0c;

/** The session's record once `identity` was authenticated over it; undefined when UTF-8 cannot carry it as it is. */
export function withIdentity(session: Buffer, identity: string): Buffer | undefined {
  const name = Buffer.from(identity, 'utf8');
  // A lone surrogate would come back as U+FFFD: another identity.
  if (name.toString('utf8') !== identity) return undefined;
  return Buffer.concat([session, Buffer.from([UTF8_STRING]), encodeLength(name.length), name]);
}

/** A record read from the store. */
export interface SessionRecord {
  /** The bytes OpenSSL loads. */
  readonly session: Buffer;
  /** Whom the session stands for; undefined when nobody was authenticated over it. */
  readonly identity: string | undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The session and its identity. Bytes that are not one SEQUENCE go to OpenSSL as they are (it
 * refuses what it cannot read); anything after the SEQUENCE but one UTF8String names nobody.
 */
export function readSessionRecord(record: Buffer): SessionRecord {
  const outer = record[0] === SEQUENCE ? readLength(record, 1) : undefined;
  const end = outer ? outer[1] + outer[0] : record.length;
  if (!outer || end >= record.length) return { session: record, identity: undefined };
  const session = record.subarray(0, end);
  const name = record[end] === UTF8_STRING ? readLength(record, end + 1) : undefined;
  if (!name || name[1] + name[0] !== record.length) return { session, identity: undefined };
  try {
    return { session, identity: decoder.decode(record.subarray(name[1])) };
  } catch {
    return { session, identity: undefined };
  }
}
