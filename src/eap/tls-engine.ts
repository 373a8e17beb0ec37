/**
 * A TLS server session over an in-memory stream: the bytes of EAP-TLS-style methods go in with
 * `receive` and come out with `takeOutput`.
 *
 * The socket is made here rather than by `tls.Server` (`server.emit('connection', stream)`), so
 * the engine holds it before the ClientHello arrives and can load the session the peer asks to
 * resume: Node asks for one only when the legacy session ID is not empty, and a TLS 1.3 peer
 * without middlebox compatibility (wpa_supplicant) sends an empty one. The client certificate is
 * verified as `tls.Server` does it: OpenSSL checks the chain against the context's CAs and CRLs
 * (`requestCert`), and the verdict is read once the handshake completes.
 */

import { type PeerCertificate, type SecureContext, type Server, TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { BytePipe } from './byte-pipe.js';
import { offeredSessionIds } from './client-hello.js';
import { plainAlert, sealedAlert } from './tls-alert.js';
import type { TlsSessionCache } from './tls-session-cache.js';
import { readSessionRecord, withIdentity } from './tls-session-record.js';

/** What a completed handshake settled. */
export interface TlsFacts {
  /** 'TLSv1.2' or 'TLSv1.3'. */
  readonly protocol: string | null;
  /** Whether the client certificate was verified (endpoints that request one). */
  readonly authorized: boolean;
  /** Why it was not (an OpenSSL verify code such as 'CERT_HAS_EXPIRED'). */
  readonly authorizationError: string | undefined;
  /** Whether the session was resumed. */
  readonly reused: boolean;
  /** The client certificate, when the endpoint keeps it (authorizeCertificate needs it). */
  readonly peerCertificate: PeerCertificate | undefined;
  /** Whether the `finish` data given to receive() was written as the handshake completed. */
  readonly finished: boolean;
  /**
   * The identity the method authenticated in the session this one resumed (see
   * TlsChannel.authenticated), when it was resumed and one was recorded.
   */
  readonly resumedIdentity: string | undefined;
}

/**
 * Which keys a method derives from its TLS session: 128 octets, MSK then EMSK (RFC 5216 §2.3,
 * RFC 5281 §8 and PEAP under TLS 1.2; RFC 9190 §2.3 and RFC 9427 §2 under TLS 1.3).
 */
export interface MethodKeying {
  /** The EAP method type: the TLS 1.3 exporter's context. */
  readonly type: number;
  /** The TLS 1.2 exporter label ('client EAP encryption', 'ttls keying material'). */
  readonly tls12Label: string;
}

/** A method's 128 octets of keying material, exported as its RFC says for the version in use. */
export function exportMethodKeying(
  channel: Pick<TlsChannel, 'facts' | 'exportKeyingMaterial'>,
  keying: MethodKeying,
): Promise<Buffer> {
  return channel.facts?.protocol === 'TLSv1.3'
    ? channel.exportKeyingMaterial(128, 'EXPORTER_EAP_TLS_Key_Material', Buffer.from([keying.type]))
    : channel.exportKeyingMaterial(128, keying.tls12Label);
}

/**
 * One TLS session of one EAP conversation as the methods see it: in this thread (TlsEngine) or
 * in a worker thread (TlsWorkerPool).
 */
export interface TlsChannel {
  /** Whether this conversation may resume a TLS session. */
  readonly resumable: boolean;
  /** Whether the handshake completed. */
  readonly established: boolean;
  /** Why the session failed, once it has. */
  readonly error: Error | undefined;
  /** What the handshake settled, once established. */
  readonly facts: TlsFacts | undefined;
  /**
   * Feeds one whole TLS message from the peer; resolves once the server has answered it. `finish`:
   * application data to write should this message complete a TLS 1.3 handshake (RFC 9190's
   * commitment message); facts.finished then says it is in the output.
   */
  receive(bytes: Buffer, finish?: Buffer): Promise<void>;
  /** Writes application data into the tunnel; resolves when its records are in the output. */
  write(data: Buffer): Promise<void>;
  /** The TLS bytes the server produced since the last call. */
  takeOutput(): Buffer;
  /** The application data the peer sent since the last call. */
  takeAppData(): Buffer;
  /**
   * The TLS exporter (RFC 5705 / RFC 8446 §7.5); without `context` the TLS 1.2 form the EAP RFCs
   * use, PRF(master_secret, label, client_random + server_random), which differs from an empty one.
   */
  exportKeyingMaterial(length: number, label: string, context?: Buffer): Promise<Buffer>;
  /**
   * The method's keying material (MethodKeying, given when the session was opened), once
   * established. A worker thread sends it with the handshake's last answer: one crossing less.
   */
  methodKeyingMaterial(): Promise<Buffer>;
  /**
   * The method authenticated `identity` over this session: the sessions it made (and the one it
   * resumed) then stand for that identity, and a conversation opened with `authenticatedOnly`
   * may resume them, here or (the sessions it made, shared again with the identity) on another
   * instance.
   */
  authenticated(identity: string): void;
  /**
   * The record that tells the peer its handshake is refused (a fatal alert with `description`),
   * to send in place of the server's pending output, which is dropped; empty when none can be made
   * (a resumed TLS 1.2 session, whose server keys are in use). Only just after the handshake.
   */
  refuse(description: number): Promise<Buffer>;
  /** Frees the TLS session. */
  destroy(): void;
}

/** What the engines of one kind (EAP-TLS, or the tunnels) share. */
export interface TlsEndpoint {
  /** Certificates, CAs, CRLs, versions; its session ID context keeps kinds apart. */
  readonly context: SecureContext;
  /** Receives Node's 'newSession' events (sockets name it as their server); never listens. */
  readonly server: Server;
  /** Whether the peer must present a certificate, checked against the context's CAs. */
  readonly requestCert: boolean;
  /** Sessions peers may resume; none: no resumption. */
  readonly sessions: TlsSessionCache | undefined;
  /** Who the method authenticated over each session (tunnels), by session ID. */
  readonly identities: TlsSessionCache<string> | undefined;
  /**
   * Told of each session kept, and of a tunnel's session again once it stands for an identity
   * (its record then carries it, see tls-session-record.ts): other instances share them.
   */
  readonly shareSession: ((id: Buffer, record: Buffer) => void) | undefined;
  /**
   * Where a session `sessions` lacks is looked for next (made by another instance, in a shared
   * store): the record of the first of `ids` found; rejects when the store cannot answer.
   */
  readonly lookupSession: ((ids: readonly Buffer[]) => Promise<Buffer | undefined>) | undefined;
  /** Receives NSS key log lines, when debugging asks for them. */
  readonly keyLog: ((line: Buffer) => void) | undefined;
  /** Whether facts carry the client certificate. */
  readonly keepCertificate: boolean;
  /**
   * Whether sessions are kept without the client certificate (EAP-TLS without authorizeCertificate,
   * see tls-session-der.ts): a session resumed from the cache then has none, and stands for the
   * verified client it was made with, since only those sessions are kept.
   */
  readonly stripsCertificates: boolean;
  /** The engine whose bytes OpenSSL is handling now: Node's 'newSession' names no socket. */
  readonly handling: HandlingSlot;
}

/** Asks the engine OpenSSL is working for whether its client's certificate was verified. */
export interface HandlingSlot {
  verified: (() => boolean) | undefined;
  /** Told the ID and data of each session kept. */
  made: ((id: Buffer, data: Buffer) => void) | undefined;
}

/**
 * Node's TLS handle (`socket.ssl`), for the two calls `tls.Server` makes on it and this engine
 * must make itself; absent from @types/node.
 */
interface TlsHandle {
  verifyError(): (Error & { code?: string }) | null | undefined;
  loadSession(session: Buffer): void;
}

function tlsHandle(socket: TLSSocket): TlsHandle {
  const handle = (socket as unknown as { ssl?: Partial<TlsHandle> }).ssl;
  if (typeof handle?.verifyError !== 'function' || typeof handle.loadSession !== 'function') {
    // Fail closed: without verifyError no client certificate could be checked.
    throw new Error('this Node.js version has no TLS handle with verifyError and loadSession');
  }
  return handle as TlsHandle;
}

/** Lets writes made outside a push (our own application data) reach the stream. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Lets a new socket start reading: TLSSocket starts on the next tick after it is made (Node's
 * initRead), so a tick queued after it is enough, not a turn of the event loop (which would first
 * handle every other datagram read in this turn: the ClientHello's answer would wait for them).
 */
function nextTick(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** Turns of the event loop a write waits for its records (one is enough: see write()). */
const MAX_WRITE_TURNS = 4;

/** Largest TLS message accepted from a peer in one EAP message sequence (RFC 5216 §2.1.5). */
export const MAX_TLS_MESSAGE = 64 * 1024;

/** One TLS session of one EAP conversation, in this thread. */
export class TlsEngine implements TlsChannel {
  private readonly stream: BytePipe;
  private readonly socket: TLSSocket;
  private readonly handle: TlsHandle;
  private output: Buffer[] = [];
  private appData: Buffer[] = [];
  private secure = false;
  private fresh = true;
  private finishWritten = false;
  /** Whether a session from the cache (or the shared store) was handed to OpenSSL. */
  private loaded = false;
  /** The ID of the session handed to OpenSSL, when it came from this endpoint's cache. */
  private loadedId: Buffer | undefined;
  /** Whom that session stands for (`authenticatedOnly`: it is resumed only then). */
  private loadedIdentity: string | undefined;
  /** The server's first TLS 1.3 application traffic secret, kept until the client is checked (refuse()). */
  private serverSecret: Buffer | undefined;
  /** The sessions this conversation made. */
  private madeSessions: Array<{ id: Buffer; data: Buffer }> = [];

  /** The sessions this conversation made (kept ones: a refused client's are not), oldest first. */
  get sessionsMade(): ReadonlyArray<{ readonly id: Buffer; readonly data: Buffer }> {
    return this.madeSessions;
  }
  /** What the handshake settled, once established. */
  facts: TlsFacts | undefined;
  /** Why the session failed, once it has. */
  error: Error | undefined;

  /** Whether this conversation may resume a TLS session. */
  readonly resumable: boolean;

  /**
   * `authenticatedOnly`: resume only sessions over which a method authenticated someone (an
   * EAP-TTLS peer that resumes skips the inner authentication: RFC 5281 §7.4).
   */
  constructor(
    private readonly endpoint: TlsEndpoint,
    resumable = true,
    private readonly keying?: MethodKeying,
    private readonly authenticatedOnly = false,
  ) {
    this.resumable = resumable;
    this.stream = new BytePipe((chunk) => this.output.push(chunk));
    // An error on a stream nobody waits for would otherwise be thrown.
    this.stream.on('error', (err) => this.fail(err));
    // Typed as a Duplex: Node wraps it in a JSStreamSocket, which calls only what BytePipe has.
    this.socket = new TLSSocket(this.stream as unknown as Duplex, {
      isServer: true,
      server: endpoint.server,
      secureContext: endpoint.context,
      requestCert: endpoint.requestCert,
      // Node would destroy a rejected socket without an alert or an event we can answer:
      // verify, then decide (the method sends EAP-Failure).
      rejectUnauthorized: false,
    });
    this.handle = tlsHandle(this.socket);
    this.socket.on('secure', () => this.secured());
    // Before the handshake completes a TLSSocket reports its errors as '_tlsError' only.
    this.socket.on('_tlsError', (err: Error) => this.fail(err));
    this.socket.on('error', (err: Error) => this.fail(err));
    this.socket.on('data', (chunk: Buffer) => this.appData.push(chunk));
    if (endpoint.keyLog) this.socket.on('keylog', endpoint.keyLog);
    if (endpoint.requestCert) this.socket.on('keylog', (line: Buffer) => this.keyLine(line));
  }

  /** Keeps the secret refuse() protects a TLS 1.3 alert with (NSS key log format). */
  private keyLine(line: Buffer): void {
    const text = line.toString('latin1');
    if (!text.startsWith('SERVER_TRAFFIC_SECRET_0 ')) return;
    const hex = text.trim().split(' ')[2];
    if (hex) this.serverSecret = Buffer.from(hex, 'hex');
  }

  /** Whether the handshake completed. */
  get established(): boolean {
    return this.secure;
  }

  /** Feeds one whole TLS message from the peer; resolves once the server has answered it. */
  async receive(bytes: Buffer, finish?: Buffer): Promise<void> {
    if (this.error) return;
    // Past the check that might have refused the client.
    if (this.secure) this.serverSecret = undefined;
    if (
      finish &&
      !this.fresh &&
      !this.secure &&
      !this.finishWritten &&
      this.socket.getProtocol() === 'TLSv1.3'
    ) {
      // Written once the handshake is done (Node keeps a write made before then, and OpenSSL
      // sends it once the handshake it drives completes): it then leaves with the server's last
      // handshake bytes (its session ticket). Written after the handshake, it would wait a turn of
      // the event loop, until the stream had taken those bytes. It comes out before the method has
      // checked the client, but a method that refuses the client sends none of the output.
      this.finishWritten = true;
      this.handling(() => this.socket.write(finish));
    }
    if (this.fresh) {
      this.fresh = false;
      // The ClientHello: hand OpenSSL the session it offers to resume, if we hold it (or, made by
      // another instance, the shared store does: the bytes wait for its answer).
      const session = this.resumable ? await this.offeredSession(offeredSessionIds(bytes)) : undefined;
      // Freed while the store answered: nothing more to do.
      if (this.stream.destroyed) return;
      if (session) {
        this.handle.loadSession(session);
        this.loaded = true;
      }
      // A new socket starts reading a tick after it is made: bytes pushed before would be
      // handled later, outside this call (should that change, the push below waits a turn).
      await nextTick();
    }
    // The server answers synchronously while the bytes are pushed (OpenSSL writes a whole flight,
    // or decrypts the records, within the push): then no turn of the event loop is needed. When
    // nothing came out (the output held back until a write or a new session completes), one is.
    const before = this.output.length;
    const appBefore = this.appData.length;
    this.handling(() => this.stream.push(bytes));
    if (this.output.length === before && this.appData.length === appBefore && !this.error) await tick();
  }

  /**
   * The session the ClientHello offers: from this endpoint's cache, else from the shared store;
   * with `authenticatedOnly`, one that stands for an identity.
   */
  private async offeredSession(ids: Buffer[]): Promise<Buffer | undefined> {
    const sessions = this.endpoint.sessions;
    if (ids.length === 0) return undefined;
    const local = !sessions
      ? undefined
      : this.authenticatedOnly
        ? this.authenticatedSession(ids, sessions)
        : sessions.find(ids);
    if (local || !this.endpoint.lookupSession) return local;
    let record: Buffer | undefined;
    try {
      record = await this.endpoint.lookupSession(ids);
    } catch {
      // The store cannot answer (it logs that): a full handshake.
      return undefined;
    }
    if (!record) return undefined;
    const { session, identity } = readSessionRecord(record);
    if (!this.authenticatedOnly) return session;
    // Made by another instance: its record says whom it stands for, if anyone.
    if (identity === undefined) return undefined;
    this.loadedIdentity = identity;
    return session;
  }

  /** The first of `ids` this endpoint holds and knows whom it stands for. */
  private authenticatedSession(ids: Buffer[], sessions: TlsSessionCache): Buffer | undefined {
    const identities = this.endpoint.identities;
    for (const id of ids) {
      const identity = identities?.find([id]);
      if (identity === undefined) continue;
      const data = sessions.find([id]);
      if (data) {
        this.loadedId = id;
        this.loadedIdentity = identity;
        return data;
      }
    }
    return undefined;
  }

  /** Writes application data into the tunnel; resolves when its records are in the output. */
  async write(data: Buffer): Promise<void> {
    if (!this.secure || this.error) return;
    const before = this.output.length;
    this.handling(() => this.socket.write(data));
    // The records come out synchronously, unless the flight just pushed out is still being
    // written (the stream completes a write a turn later): then they follow within a few turns.
    for (let turn = 0; turn < MAX_WRITE_TURNS && this.output.length === before && !this.error; turn++) {
      await tick();
    }
  }

  /** The TLS bytes the server produced since the last call. */
  takeOutput(): Buffer {
    const out = this.output.length === 1 ? this.output[0] : Buffer.concat(this.output);
    this.output = [];
    return out;
  }

  /** The application data the peer sent since the last call. */
  takeAppData(): Buffer {
    const data = this.appData.length === 1 ? this.appData[0] : Buffer.concat(this.appData);
    this.appData = [];
    return data;
  }

  /**
   * Runs `work` (bytes into OpenSSL) as the engine the endpoint's 'newSession' listener asks about:
   * OpenSSL makes sessions synchronously within it. A session made outside any is not kept.
   */
  private handling(work: () => void): void {
    const slot = this.endpoint.handling;
    const outer = slot.verified;
    const outerMade = slot.made;
    slot.verified = this.verified;
    slot.made = this.made;
    try {
      work();
    } finally {
      slot.verified = outer;
      slot.made = outerMade;
    }
  }

  private readonly made = (id: Buffer, data: Buffer): void => {
    this.madeSessions.push({ id, data });
  };

  private readonly verified = (): boolean =>
    this.endpoint.requestCert && this.certificateError() === undefined;

  /** Why the client certificate is not verified (an OpenSSL verify code), or undefined if it is. */
  private certificateError(): string | undefined {
    const error = this.handle.verifyError();
    if (!error) return undefined;
    // A session from our cache that carries no certificate: one kept without it, which only a
    // verified client's is (TLS 1.2 resumption; Node already says so under TLS 1.3).
    if (
      this.endpoint.stripsCertificates &&
      this.loaded &&
      this.socket.isSessionReused() &&
      !this.socket.getPeerX509Certificate()
    ) {
      return undefined;
    }
    // Node reports a missing certificate as UNABLE_TO_GET_ISSUER_CERT: say what happened.
    if (!this.socket.getPeerX509Certificate()) return 'PEER_DID_NOT_RETURN_A_CERTIFICATE';
    return error.code ?? error.message;
  }

  /** The handshake completed: the client certificate's verdict, as `tls.Server` reaches it. */
  private secured(): void {
    let authorized = false;
    let authorizationError: string | undefined;
    if (this.endpoint.requestCert) {
      authorizationError = this.certificateError();
      authorized = authorizationError === undefined;
    }
    this.facts = {
      protocol: this.socket.getProtocol(),
      authorized,
      authorizationError,
      reused: this.socket.isSessionReused(),
      peerCertificate: this.endpoint.keepCertificate ? this.socket.getPeerCertificate() : undefined,
      finished: this.finishWritten,
      resumedIdentity: this.socket.isSessionReused() ? this.loadedIdentity : undefined,
    };
    this.secure = true;
  }

  async exportKeyingMaterial(length: number, label: string, context?: Buffer): Promise<Buffer> {
    // Node's types want a context; called without one it exports the no-context form.
    const exporter = this.socket.exportKeyingMaterial as (
      length: number,
      label: string,
      context?: Buffer,
    ) => Buffer;
    return context
      ? exporter.call(this.socket, length, label, context)
      : exporter.call(this.socket, length, label);
  }

  methodKeyingMaterial(): Promise<Buffer> {
    if (!this.keying) return Promise.reject(new Error('TLS session opened without method keying'));
    return exportMethodKeying(this, this.keying);
  }

  authenticated(identity: string): void {
    // Tunnels only: an EAP-TLS session stands for its certificate.
    const { identities, shareSession, requestCert } = this.endpoint;
    if (requestCert || !this.secure || (!identities && !shareSession)) return;
    // TLS 1.3 makes new sessions as it resumes one (its tickets); TLS 1.2 resumes the same one,
    // whose record (when it came from the shared store) names its identity already.
    for (const { id, data } of this.madeSessions) {
      identities?.set(id, identity);
      const record = shareSession && withIdentity(data, identity);
      if (record) shareSession?.(id, record);
    }
    if (this.loadedId && this.facts?.reused) identities?.set(this.loadedId, identity);
  }

  async refuse(description: number): Promise<Buffer> {
    this.output = [];
    const secret = this.serverSecret;
    this.serverSecret = undefined;
    const protocol = this.facts?.protocol;
    // TLS 1.2: the server's ChangeCipherSpec and Finished are dropped, so the alert goes in clear.
    if (protocol === 'TLSv1.2') return this.facts?.reused ? Buffer.alloc(0) : plainAlert(description);
    const suite = this.socket.getCipher()?.standardName;
    if (protocol !== 'TLSv1.3' || !secret || !suite) return Buffer.alloc(0);
    return sealedAlert(suite, secret, description) ?? Buffer.alloc(0);
  }

  private fail(err: Error): void {
    this.error ??= err;
  }

  /** Frees the TLS session. */
  destroy(): void {
    this.serverSecret = undefined;
    this.socket.destroy();
    this.stream.destroy();
    this.output = [];
    this.appData = [];
  }
}
