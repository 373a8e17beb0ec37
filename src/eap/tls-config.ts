/** TLS settings of an EapServer, resolved once: the contexts and caches its conversations share. */

import { availableParallelism } from 'node:os';
import tls, { type PeerCertificate, type SecureVersion } from 'node:tls';
import { InvalidValueError } from '../errors.js';
import type { SharedTlsSessions } from '../store/store.js';
import {
  type HandlingSlot,
  type MethodKeying,
  type TlsChannel,
  type TlsEndpoint,
  TlsEngine,
} from './tls-engine.js';
import { withoutPeerCertificate } from './tls-session-der.js';
import { MAX_CACHED_TLS_SESSIONS, TlsSessionCache } from './tls-session-cache.js';
import { TlsWorkerPool } from './tls-worker-pool.js';

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
   * any certificate the CA signed. May answer later (a user database), with any PromiseLike.
   */
  authorizeCertificate?: (certificate: PeerCertificate, identity: string) => boolean | PromiseLike<boolean>;
  /**
   * Whether `identity` may resume a TLS session (default: everyone); refused, the peer gets a full
   * handshake.
   */
  allowResumption?: (identity: string) => boolean;
  /** Seconds a TLS session may be resumed (RFC 5216 §2.1.2); 0 turns resumption off (default 3600). */
  resumptionLifetime?: number;
  /**
   * Resumption data shared with other instances (e.g. RedisTlsSessions), so that a peer resumes
   * wherever its next authentication lands; default: this process only.
   */
  sharedSessions?: SharedTlsSessions;
  /** Receives NSS key log lines (SSLKEYLOGFILE format) for debugging; off by default. */
  keyLog?: (line: Buffer) => void;
  /**
   * Worker threads that run the TLS sessions (handshakes, encryption), so that logins use every
   * core; 0 (default) runs them in this thread; 'auto' one per core beside this thread's (none on
   * one core, at most 4). RADIUS, EAP and the methods stay in this thread.
   */
  workers?: number | 'auto';
}

/** Which endpoint a conversation uses: EAP-TLS (client certificates) or a tunnel (PEAP, TTLS). */
export type TlsEndpointKind = 'certificate' | 'tunnel';

/** What TLS-based methods share: how to open a TLS session, and the decisions kept in this thread. */
export interface TlsEngineConfig {
  /** Opens the TLS session of one conversation. */
  readonly open: (
    kind: TlsEndpointKind,
    resumable: boolean,
    keying?: MethodKeying,
    authenticatedOnly?: boolean,
  ) => TlsChannel;
  readonly authorizeCertificate:
    | ((certificate: PeerCertificate, identity: string) => boolean | PromiseLike<boolean>)
    | undefined;
  readonly allowResumption: ((identity: string) => boolean) | undefined;
  /** Frees what the sessions share (worker threads). */
  readonly close: () => void;
  /** Worker threads running the TLS sessions (0: this thread). */
  readonly workers: number;
}

/** What endpoints are built from: the options a worker thread can receive, and where sessions go. */
export interface TlsEndpointOptions
  extends Omit<
    EapTlsOptions,
    'authorizeCertificate' | 'allowResumption' | 'keyLog' | 'workers' | 'sharedSessions'
  > {
  /** Whether EAP-TLS facts carry the client certificate (authorizeCertificate wants it). */
  keepCertificate: boolean;
  /**
   * Whether the endpoints keep the sessions they make to resume them (default true); false in a
   * worker thread, whose sessions are all told (onSession) to the EapServer's thread, which resumes them.
   */
  keepSessions?: boolean;
  keyLog?: (line: Buffer) => void;
  /**
   * Told of every session the endpoints make (worker threads and other instances share them), and
   * of a tunnel's session again once it stands for an identity: `data` is then its record with the
   * identity (tls-session-record.ts), for other instances to resume EAP-TTLS as that identity.
   */
  onSession?: (kind: TlsEndpointKind, id: Buffer, data: Buffer) => void;
  /** Looks up an offered session the endpoint's cache lacks (another instance made it): its record. */
  lookupSession?: (ids: readonly Buffer[]) => Promise<Buffer | undefined>;
}

/** OpenSSL's SSL_OP_NO_TICKET. */
const SSL_OP_NO_TICKET = 0x4000;

/** The two endpoints: contexts, session caches. */
export function tlsEndpoints(options: TlsEndpointOptions): Record<TlsEndpointKind, TlsEndpoint> {
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
  const endpoint = (
    kind: TlsEndpointKind,
    context: tls.SecureContext,
    requestCert: boolean,
    keepCertificate: boolean,
  ): TlsEndpoint => {
    const sessions =
      lifetime > 0 && options.keepSessions !== false
        ? new TlsSessionCache({ maxSessions: MAX_CACHED_TLS_SESSIONS, lifetime })
        : undefined;
    // Whom each tunnel session stands for, once the method inside authenticated someone.
    const identities =
      sessions && !requestCert
        ? new TlsSessionCache<string>({ maxSessions: MAX_CACHED_TLS_SESSIONS, lifetime })
        : undefined;
    const handling: HandlingSlot = { verified: undefined, made: undefined };
    const stripsCertificates = requestCert && !keepCertificate;
    const onSession = options.onSession;
    const shareSession = onSession && ((id: Buffer, data: Buffer) => onSession(kind, id, data));
    // Sockets emit 'newSession' on the server they name; this one only holds that listener. With
    // resumption off it has none: Node then turns OpenSSL's session callbacks off for its sockets
    // (and its ClientHello pause), about 4% of a full EAP-TLS 1.3 login's CPU.
    const server = new tls.Server();
    if (lifetime > 0)
      server.on('newSession', (id: Buffer, made: Buffer, done: () => void) => {
        // EAP-TLS keeps the sessions of verified clients only: one that failed could only fail
        // again, and a session kept without its certificate (stripsCertificates) must stand for a
        // verified one. A session made outside an engine's call (none is known) is not kept.
        if (!requestCert || handling.verified?.() === true) {
          const data = stripsCertificates ? (withoutPeerCertificate(made) ?? made) : made;
          sessions?.set(id, data);
          handling.made?.(id, data);
          shareSession?.(id, data);
        }
        done();
      });
    return {
      context,
      server,
      requestCert,
      sessions,
      identities,
      shareSession,
      lookupSession: options.lookupSession,
      keyLog: options.keyLog,
      keepCertificate,
      stripsCertificates,
      handling,
    };
  };
  // A session ID context of each kind: a tunnel's session never resumes as EAP-TLS, which would
  // skip the client certificate (OpenSSL refuses a session from another context).
  const certificate = endpoint(
    'certificate',
    tls.createSecureContext({
      ...common,
      ca: options.ca,
      crl: options.crl,
      maxVersion: options.maxVersion ?? 'TLSv1.3',
      // "/2": sessions are kept for verified clients only, and without the certificate (see
      // tls-session-der.ts); one made under the first context (by an older instance sharing the
      // store) may be neither, and OpenSSL answers a session from another context in full.
      sessionIdContext: 'aioradius eap-tls/2',
    }),
    true,
    options.keepCertificate,
  );
  const tunnel = endpoint(
    'tunnel',
    tls.createSecureContext({
      ...common,
      // TLS 1.2 unless minVersion asks for more (a maximum below the minimum would fail every handshake).
      maxVersion: options.tunnelMaxVersion ?? (options.minVersion === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2'),
      sessionIdContext: 'aioradius eap-tunnel',
    }),
    false,
    false,
  );
  return { certificate, tunnel };
}

/**
 * `workers: 'auto'`: a TLS thread for each core beyond the one this thread runs on (RADIUS, EAP and
 * the methods), at most 4: past that the crossings to and from the workers cost more than they free.
 */
export function autoTlsWorkers(cores = availableParallelism()): number {
  return Math.max(0, Math.min(cores - 1, 4));
}

/** Builds the TLS side of an EapServer, once: endpoints in this thread, or a pool of worker threads. */
export function tlsEngineConfig(options: EapTlsOptions): TlsEngineConfig {
  const { authorizeCertificate, allowResumption, workers: asked = 0, sharedSessions, ...rest } = options;
  const workers = asked === 'auto' ? autoTlsWorkers() : asked;
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new InvalidValueError('tls.workers', "expected an integer from 0 to 64, or 'auto'");
  }
  const lifetime = rest.resumptionLifetime ?? 3600;
  const shared = lifetime > 0 ? sharedSessions : undefined;
  const endpointOptions: TlsEndpointOptions = {
    ...rest,
    keepCertificate: authorizeCertificate !== undefined,
    ...(shared
      ? {
          // Other instances learn a session a moment later; a failure leaves it resumable here only.
          onSession: (_kind, id, data) => {
            shared.set(id, data, lifetime * 1000).catch(() => undefined);
          },
          lookupSession: (ids) => firstSharedSession(shared, ids),
        }
      : {}),
  };
  if (workers > 0) {
    // Endpoints in this thread too (resumptions run here), built first: a bad certificate or key throws here.
    const pool = new TlsWorkerPool(workers, endpointOptions, tlsEndpoints(endpointOptions));
    return {
      open: (kind, resumable, keying, authenticatedOnly) =>
        pool.open(kind, resumable, keying, authenticatedOnly),
      authorizeCertificate,
      allowResumption,
      close: () => pool.close(),
      workers,
    };
  }
  const endpoints = tlsEndpoints(endpointOptions);
  return {
    open: (kind, resumable, keying, authenticatedOnly) =>
      new TlsEngine(endpoints[kind], resumable, keying, authenticatedOnly),
    authorizeCertificate,
    allowResumption,
    workers: 0,
    close: () => {
      endpoints.certificate.sessions?.clear();
      endpoints.tunnel.sessions?.clear();
      endpoints.tunnel.identities?.clear();
    },
  };
}

/**
 * The first of `ids` (most specific first) the shared store holds. Asked together: a TLS 1.3
 * ClientHello's legacy session ID is usually random (RFC 8446 §4.1.2), a miss that should not delay
 * the ticket's lookup. Sessions are keyed by ID alone: OpenSSL refuses one made under the other
 * kind's session ID context, so a tunnel's session never resumes as EAP-TLS.
 */
async function firstSharedSession(
  shared: SharedTlsSessions,
  ids: readonly Buffer[],
): Promise<Buffer | undefined> {
  const found = await Promise.all(ids.map((id) => shared.get(id)));
  return found.find((data) => data !== undefined);
}
