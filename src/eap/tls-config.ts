/** TLS settings of an EapServer, resolved once: the tls.Server objects its conversations share. */

import type { PeerCertificate, SecureVersion, Server } from 'node:tls';
import type { SharedTlsSessions } from '../store/store.js';

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
   * Highest TLS version for PEAP and TTLS (default TLSv1.2: their TLS 1.3 forms, RFC 9427,
   * interoperate poorly with deployed peers).
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
  /**
   * Resumption data and ticket keys shared with other instances (e.g. RedisTlsSessions), so that a
   * peer resumes wherever its next authentication lands; default: this process only.
   */
  sharedSessions?: SharedTlsSessions;
  /** Receives NSS key log lines (SSLKEYLOGFILE format) for debugging; off by default. */
  keyLog?: (line: Buffer) => void;
}

/** What TLS-based methods share: a server for EAP-TLS (client certificates) and one for tunnels. */
export interface TlsEngineConfig {
  readonly certificateServer: Server;
  readonly tunnelServer: Server;
  readonly authorizeCertificate: ((certificate: PeerCertificate, identity: string) => boolean) | undefined;
  readonly allowResumption: ((identity: string) => boolean) | undefined;
}
