import type { RemoteInfo } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { randomInt } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import { type ConnectionEvents, FramedStream } from '../transport/connection.js';
import {
  checkRadiusVersion,
  clientAlpn,
  negotiatedVersion,
  type RadiusVersion,
} from '../transport/radius-version.js';
import { clientPskOptions, type PskCredentials } from '../transport/tls-psk.js';
import type { ClientChannel, DatagramReceiver } from './client-socket.js';
import type { Destination } from './destination.js';
import { IdentifierPool } from './identifier-pool.js';
import type { PendingRequest } from './pending-request.js';

/**
 * How soon after its TLS handshake a connection closed by the server, before any reply, counts as
 * the server's refusal of this client: at least this many ms, or twice the time connecting took
 * (the refusal comes one round trip after the client's Finished; connecting took two).
 */
export const REFUSAL_WINDOW_MS = 1000;

/** How a client reaches a server: datagrams, or a stream (RFC 6613 TCP, RFC 6614 TLS). */
export type ClientTransport = 'udp' | 'tcp' | 'tls';

/**
 * `node:tls` connection options of a RADIUS/TLS server, and two of RADIUS's own: which RADIUS to
 * negotiate (RFC 9765, default '1.0,1.1': RADIUS/1.1 when the server offers it) and a pre-shared
 * key to authenticate with instead of certificates (TLS-PSK).
 */
export interface RadsecConnectionOptions extends ConnectionOptions {
  radiusVersion?: RadiusVersion;
  psk?: PskCredentials;
}

/**
 * What `tls.connect` is given for `options`: ALPN names from `radiusVersion` (unless ALPNProtocols
 * is set) and the PSK callbacks. Throws ConfigError naming `file` and `field`.
 */
export function radsecConnectOptions(
  options: RadsecConnectionOptions | undefined,
  file: string,
  field: string,
): { tls: ConnectionOptions; version: RadiusVersion } {
  const { radiusVersion, psk, ...rest } = options ?? {};
  const version = checkRadiusVersion(radiusVersion, file, `${field}.radiusVersion`);
  const tls: ConnectionOptions = { ...rest };
  // RFC 9765 §3.4: RADIUS/1.1 needs TLS 1.3; a client held below it offers historic RADIUS/TLS only
  // (offered anyway, a server would pick radius/1.1 and then have to close the connection).
  const below13 = rest.maxVersion !== undefined && rest.maxVersion !== 'TLSv1.3';
  if (tls.ALPNProtocols === undefined)
    tls.ALPNProtocols = clientAlpn(below13 && version === '1.0,1.1' ? '1.0' : version);
  if (psk !== undefined) {
    const p = clientPskOptions(psk, file, `${field}.psk`);
    tls.pskCallback ??= p.pskCallback;
    tls.checkServerIdentity ??= p.checkServerIdentity;
    tls.ciphers ??= p.ciphers;
  }
  return { tls, version };
}

/** Whoever reads the replies of a client connection and hears of its end and its idle time. */
export interface StreamReceiver extends DatagramReceiver {
  /**
   * The connection came up speaking RADIUS/1.1: `data`, written before it knew, is encoded
   * again with a Token; undefined to drop it.
   */
  recode(conn: StreamConnection, data: Buffer): Buffer | undefined;
  /** The connection closed, on either side; `error` when it failed (refused, handshake, reset). */
  onStreamClosed(conn: StreamConnection, error: Error | undefined): void;
  /** Nothing was received on the connection for its watchdog interval. */
  onStreamWatchdog(conn: StreamConnection, now: number): void;
}

/** How one connection is made. */
export interface StreamConnectionOptions {
  transport: 'tcp' | 'tls';
  /** `node:tls` connection options (ca, cert, key, minVersion, ciphers, servername...), radiusVersion, psk. */
  tls?: RadsecConnectionOptions;
  localAddress?: string;
  /** Wait before connecting, ms (reconnection backoff). */
  delayMs: number;
  /** Nothing received for this long, ms, and the receiver is told (0: never). */
  watchdogMs: number;
}

/**
 * One TCP (RFC 6613) or TLS (RFC 6614) connection of a client to one server address and port,
 * with its own 256 identifiers, over a {@link FramedStream}. The socket is unref'd: pending requests
 * keep the process alive through their timer.
 */
export class StreamConnection implements ClientChannel, ConnectionEvents {
  readonly destination: Destination;
  readonly address: string;
  readonly port: number;
  readonly ids = new IdentifierPool<PendingRequest>();
  readonly stream = true;
  readonly transport: 'tcp' | 'tls';
  idleSince: number;
  retired = false;
  /** performance.now() of the last packet received (or of the connection, before any). */
  lastReceived: number;
  /** A packet came on it: the server took this connection. */
  received = false;
  /** performance.now() of the last watchdog Status-Server sent on it (-1: none). */
  watchdogSent = -1;
  /** Secret of the last request written: the watchdog's Status-Server is signed with it. */
  lastSecret: Buffer | undefined;
  /** The handshake negotiated RADIUS/1.1 (RFC 9765): packets carry a Token, matched by it. */
  radius11 = false;
  // RFC 9765 §4.2.1: Tokens come from a per-connection counter that starts at a random value.
  private nextToken = randomInt(0, 0x1_0000_0000);
  private readonly idByToken = new Map<number, number>();
  private readonly tokenById: number[] = new Array<number>(256).fill(-1);
  private version: RadiusVersion = '1.0,1.1';
  private readonly connection: FramedStream;
  /** Up, and (TLS) speaking a RADIUS version both ends accept. */
  private up = false;
  /** Packets written before that: over RADIUS/1.1 they are encoded again with a Token. */
  private outbox: Buffer[] = [];
  private readonly receiver: StreamReceiver;
  private readonly watchdogMs: number;
  private watchdogTimer: NodeJS.Timeout | undefined;

  constructor(destination: Destination, receiver: StreamReceiver, options: StreamConnectionOptions) {
    this.destination = destination;
    this.receiver = receiver;
    this.transport = options.transport;
    this.watchdogMs = options.watchdogMs;
    this.address = destination.address as string;
    this.port = destination.port;
    this.idleSince = performance.now();
    this.lastReceived = this.idleSince;
    this.connection = new FramedStream(
      {
        transport: options.transport,
        address: this.address,
        port: this.port,
        // Worked out when connecting: options refused there fail the connection like a refused one.
        tls: () => {
          const r = radsecConnectOptions(options.tls, 'RadiusClient options', 'tls');
          this.version = r.version;
          // The certificate is checked against the configured name; an address is checked as such.
          return destination.literal ? r.tls : { servername: destination.host, ...r.tls };
        },
        localAddress: options.localAddress,
        delayMs: options.delayMs,
      },
      this,
    );
  }

  /** Connected (TCP) or handshake done (TLS), and the RADIUS version agreed. */
  get established(): boolean {
    return this.up;
  }

  onUp(): void {
    if (this.transport === 'tls') {
      const c = this.connection;
      const v = negotiatedVersion(this.version, c.alpnProtocol, c.tlsProtocol);
      if (typeof v !== 'string') {
        this.destroy(new Error(v.refused));
        return;
      }
      this.radius11 = v === '1.1';
    }
    this.up = true;
    this.lastReceived = performance.now();
    const list = this.outbox;
    this.outbox = [];
    for (const data of list) {
      const bytes = this.radius11 ? this.receiver.recode(this, data) : data;
      if (bytes !== undefined) this.connection.send(bytes);
    }
    const ms = this.watchdogMs;
    if (ms > 0) {
      this.watchdogTimer = setInterval(() => {
        if (!this.isClosed) this.receiver.onStreamWatchdog(this, performance.now());
      }, ms);
      this.watchdogTimer.unref();
    }
  }

  onPacket(data: Buffer, remote: RemoteInfo): void {
    this.lastReceived = performance.now();
    this.received = true;
    this.receiver.onDatagram(this, data, remote);
  }

  onClosed(error: Error | undefined): void {
    this.stopWatchdog();
    this.outbox = [];
    this.receiver.onStreamClosed(this, error);
  }

  /**
   * When this connection ended as the server refusing this client (a certificate from another CA,
   * expired or missing; a limit on connections), the reason; else undefined. During a TLS
   * handshake that is an alert or a reset. After it too: under TLS 1.3 the client's Finished goes
   * out before the server has checked the client's certificate (RFC 8446 §2, §4.4.2.4), so the
   * refusal ends a connection that is up, with an alert (OpenSSL's servers) or a plain close or
   * reset (Node's and FreeRADIUS's): it counts when nothing was received on it and it came soon
   * after the handshake. Over TCP the same end is a dropped connection: nothing tells a refusal
   * from a server that drops what it cannot handle.
   */
  refusal(error: Error | undefined, now: number): Error | undefined {
    const c = this.connection;
    if (this.transport !== 'tls' || this.received || c.droppedHere) return undefined;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (!c.established)
      return code === 'ECONNRESET' || (typeof code === 'string' && code.includes('_ALERT_'))
        ? error
        : undefined;
    const after = now - c.upAt;
    if (after > Math.max(REFUSAL_WINDOW_MS, 2 * c.connectMs)) return undefined;
    if (error === undefined)
      return new Error(
        `closed by the server ${Math.round(after)} ms after the TLS handshake, before any reply`,
      );
    return code === 'ECONNRESET' ||
      code === 'EPIPE' ||
      (typeof code === 'string' && code.startsWith('ERR_SSL_'))
      ? error
      : undefined;
  }

  private stopWatchdog(): void {
    if (this.watchdogTimer !== undefined) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  /** Writes a packet now, or once the connection is up; nothing when it is gone. */
  send(data: Buffer): void {
    if (this.up) this.connection.send(data);
    else if (!this.isClosed) this.outbox.push(data);
  }

  /**
   * The Token for a packet sent now under identifier `id` over RADIUS/1.1 (undefined otherwise):
   * the next value of the counter, remembered so that the reply finds the identifier again.
   */
  tokenFor(id: number): number | undefined {
    if (!this.radius11) return undefined;
    const token = this.nextToken;
    this.nextToken = (token + 1) >>> 0;
    const old = this.tokenById[id];
    if (old >= 0) this.idByToken.delete(old);
    this.tokenById[id] = token;
    this.idByToken.set(token, id);
    return token;
  }

  /** The identifier a reply answers: its Identifier field, or over RADIUS/1.1 its Token's; -1 for none. */
  idOf(reply: Buffer): number {
    if (!this.radius11) return reply[1];
    return this.idByToken.get(reply.readUInt32BE(4)) ?? -1;
  }

  /** The request holding identifier `id` now. */
  itemAt(id: number): PendingRequest | undefined {
    return this.ids.get(id);
  }

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  /** Ends the connection on the client's behalf: the receiver is not told. */
  close(): void {
    this.stopWatchdog();
    this.outbox = [];
    this.connection.close();
  }

  /** Drops the connection as failed: the receiver hears of it with `error`. */
  destroy(error: Error): void {
    this.connection.destroy(error);
  }
}
