// TLS-PSK for RADIUS/TLS (RFC 6614 §2.3 allows it; draft-ietf-radext-radiusdtls-bis §2.3 and
// RFC 9765 §3.4 ask for it): both ends know an identity and a key, and no certificate is needed.
// TLS 1.3 takes an external PSK with any of its cipher suites; TLS 1.2 needs PSK suites in
// `ciphers`, which Node leaves out by default (its DEFAULT_CIPHERS ends in !PSK).
import { type ConnectionOptions, DEFAULT_CIPHERS, type TLSSocket } from 'node:tls';
import { ConfigError } from '../errors.js';

/** A client's PSK: the identity it sends and the key (bytes, or a string of hex digits). */
export interface PskCredentials {
  identity: string;
  key: Buffer | string;
}

/**
 * A server's PSKs: identity → key (bytes, or hex digits), or a function returning the key of an
 * identity (undefined: unknown identity, the handshake fails).
 */
export type PskKeys =
  | Readonly<Record<string, Buffer | string>>
  | ((identity: string) => Buffer | string | undefined);

/** Keys shorter than this are refused: a PSK must carry as much entropy as a TLS key (RFC 4086). */
const MIN_PSK_BYTES = 16;

/** The bytes of a configured key; throws ConfigError for a short key or one that is not hex. */
export function pskKeyBytes(key: Buffer | string, file: string, field: string): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(key)) bytes = key;
  else if (typeof key === 'string' && /^(?:0x)?(?:[0-9a-fA-F]{2})+$/.test(key))
    bytes = Buffer.from(key.replace(/^0x/, ''), 'hex');
  else
    throw new ConfigError(
      file,
      field,
      'a PSK is a string of hex digits, an even number of them (in code, also a Buffer)',
    );
  if (bytes.length < MIN_PSK_BYTES)
    throw new ConfigError(
      file,
      field,
      `a PSK of ${bytes.length} bytes is too short (at least ${MIN_PSK_BYTES})`,
    );
  return bytes;
}

// The identity each server-side socket authenticated with, for the request's Remote.
const identities = new WeakMap<TLSSocket, string>();

/** The PSK identity a server socket's peer authenticated with, if it used one. */
export function pskIdentityOf(socket: TLSSocket): string | undefined {
  return identities.get(socket);
}

/** A `tls.Server` pskCallback over `keys`; keys given as a record are checked now. */
export function serverPskCallback(
  keys: PskKeys,
  file: string,
): (socket: TLSSocket, identity: string) => Buffer | null {
  let lookup: (identity: string) => Buffer | undefined;
  if (typeof keys === 'function') {
    lookup = (identity) => {
      const k = keys(identity);
      return k === undefined ? undefined : pskKeyBytes(k, file, `psk(${identity})`);
    };
  } else {
    const table = new Map<string, Buffer>();
    for (const [identity, k] of Object.entries(keys))
      table.set(identity, pskKeyBytes(k, file, `psk.${identity}`));
    lookup = (identity) => table.get(identity);
  }
  return (socket, identity) => {
    let key: Buffer | undefined;
    try {
      key = lookup(identity);
    } catch {
      key = undefined;
    }
    if (key === undefined) return null;
    identities.set(socket, identity);
    return key;
  };
}

/**
 * TLS 1.2 PSK suites, AEAD only (RFC 9325 §4.2), the one with ephemeral keys first (ECDHE_PSK with
 * ChaCha20-Poly1305, RFC 7905: forward secrecy, as RFC 9813 recommends for TLS 1.2); the plain
 * AES-GCM ones (RFC 5487) for NASes without it. OpenSSL 3.0 has no ECDHE-PSK with AES-GCM.
 */
const TLS12_PSK_SUITES = ['ECDHE-PSK-CHACHA20-POLY1305', 'PSK-AES128-GCM-SHA256', 'PSK-AES256-GCM-SHA384'];

const PSK_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-PSK-CHACHA20-POLY1305',
  'DHE-PSK-AES128-GCM-SHA256',
  'PSK-AES128-GCM-SHA256',
  'PSK-AES256-GCM-SHA384',
].join(':');

/**
 * A listener's cipher list with the TLS 1.2 PSK suites: `base` (Node's default) as it is for
 * certificates, PSK suites appended. OpenSSL's `!PSK` would delete them for good wherever they are
 * named, so it becomes `-PSK` (removes those HIGH brought in; later names add them back).
 */
export function withPskSuites(base: string = DEFAULT_CIPHERS): string {
  const kept = base.split(':').map((t) => (/^!(?:a|k)?PSK$/.test(t) ? `-${t.slice(1)}` : t));
  return [...kept, ...TLS12_PSK_SUITES].join(':');
}

/** The `tls.connect` options that make a client authenticate with `psk`. */
export function clientPskOptions(psk: PskCredentials, file: string, field: string): ConnectionOptions {
  if (typeof psk.identity !== 'string' || psk.identity.length === 0)
    throw new ConfigError(file, `${field}.identity`, 'a PSK needs a non-empty identity');
  const key = pskKeyBytes(psk.key, file, `${field}.key`);
  const identity = psk.identity;
  return {
    pskCallback: () => ({ psk: key, identity }),
    // An external PSK goes with a SHA-256 suite (RFC 8446 §4.2.11): offered alone, a server that
    // also has a certificate cannot pick a SHA-384 suite and fall back to it. TLS 1.2: PSK suites.
    ciphers: PSK_CIPHERS,
    // The PSK authenticates the server: there is no certificate to check a name against.
    checkServerIdentity: () => undefined,
  };
}
