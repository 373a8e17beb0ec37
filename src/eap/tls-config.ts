/** TLS settings of an EapServer, resolved once: the contexts and caches its conversations share. */

import tls, { type PeerCertificate, type SecureVersion } from 'node:tls';
import type { TlsEndpoint } from './tls-engine.js';
import { TlsSessionCache } from './tls-session-cache.js';

/** TLS options of `new EapServer({ tls })`: PEM contents (strings or Buffers). */
export interface EapTlsOptions {
  /** The server's certificate chain (PEM). */
  cert: string | Buffer;
  /** Its private key (PEM). */
  key: string | Buffer;
  /** CAs that sign client certificates (EAP-TLS). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Certificate revocation lists checked for client certificates. */
  crl?: string | Buffer | Array<string | Buffer>;
  /** Lowest TLS version (default TLSv1.2). */
  minVersion?: SecureVersion;
  /** Highest TLS version for EAP-TLS (default TLSv1.3). */
  maxVersion?: SecureVersion;
  /**
   * Highest TLS version for PEAP and TTLS (default TLSv1.2, or TLSv1.3 when minVersion is: their
   * TLS 1.3 forms, RFC 9427, interoperate poorly with deployed peers).
   */
  tunnelMaxVersion?: SecureVersion;
  /**
   * Decides whether a verified client certificate may log in as `identity` (EAP-TLS); default:
   * any certificate the CA signed.
   */
  authorizeCertificate?: (certificate: PeerCertificate, identity: string) => boolean;
  /**
   * Whether `identity` may resume a TLS session (default: everyone). Refused, a TLS 1.2 peer that
   * offers a session ID gets a full handshake; one that resumes anyway (a ticket) gets EAP-Failure.
   */
  allowResumption?: (identity: string) => boolean;
  /** Seconds a TLS session may be resumed (RFC 5216 §2.1.2); 0 turns resumption off (default 3600). */
  resumptionLifetime?: number;
  /** Receives NSS key log lines (SSLKEYLOGFILE format) for debugging; off by default. */
  keyLog?: (line: Buffer) => void;
}

/** What TLS-based methods share: a server for EAP-TLS (client certificates) and one for tunnels. */
export interface TlsEngineConfig {
  readonly certificateServer: TlsEndpoint;
  readonly tunnelServer: TlsEndpoint;
  readonly authorizeCertificate: ((certificate: PeerCertificate, identity: string) => boolean) | undefined;
  readonly allowResumption: ((identity: string) => boolean) | undefined;
}

const MAX_CACHED_TLS_SESSIONS = 10_000;
/** OpenSSL's SSL_OP_NO_TICKET. */
const SSL_OP_NO_TICKET = 0x4000;

/** Builds the TLS contexts and session caches of an EapServer, once. */
export function tlsEngineConfig(options: EapTlsOptions): TlsEngineConfig {
  const lifetime = options.resumptionLifetime ?? 3600;
  const common: tls.SecureContextOptions = {
    cert: options.cert,
    key: options.key,
    minVersion: options.minVersion ?? 'TLSv1.2',
    // Sessions in our cache, no stateless tickets: a TLS 1.3 ticket would carry the client's
    // certificate (two of ~1 kB each, two more EAP rounds per login); with this option OpenSSL's
    // TLS 1.3 tickets are 32-byte IDs into the cache (RFC 8446 §4.6.1), TLS 1.2 uses session IDs.
    secureOptions: SSL_OP_NO_TICKET,
    sessionTimeout: Math.max(1, lifetime),
  };
  const endpoint = (context: tls.SecureContext, requestCert: boolean): TlsEndpoint => {
    const sessions =
      lifetime > 0 ? new TlsSessionCache({ maxSessions: MAX_CACHED_TLS_SESSIONS, lifetime }) : undefined;
    // Sockets emit 'newSession' on the server they name; this one only holds that listener.
    const server = new tls.Server();
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      sessions?.set(id, data);
      done();
    });
    return { context, server, requestCert, sessions, keyLog: options.keyLog };
  };
  // A session ID context of each kind: a tunnel's session never resumes as EAP-TLS, which would
  // skip the client certificate (OpenSSL refuses a session from another context).
  const certificateServer = endpoint(
    tls.createSecureContext({
      ...common,
      ca: options.ca,
      crl: options.crl,
      maxVersion: options.maxVersion ?? 'TLSv1.3',
      sessionIdContext: 'aioradius eap-tls',
    }),
    true,
  );
  const tunnelServer = endpoint(
    tls.createSecureContext({
      ...common,
      // TLS 1.2 unless minVersion asks for more (a maximum below the minimum would fail every handshake).
      maxVersion: options.tunnelMaxVersion ?? (options.minVersion === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2'),
      sessionIdContext: 'aioradius eap-tunnel',
    }),
    false,
  );
  return {
    certificateServer,
    tunnelServer,
    authorizeCertificate: options.authorizeCertificate,
    allowResumption: options.allowResumption,
  };
}
