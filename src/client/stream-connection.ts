import type { RemoteInfo } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { randomInt } from 'node:crypto';
import {
  clientAlpn,
  negotiatedVersion,
  type RadiusVersion,
  checkRadiusVersion,
} from '../transport/radius-version.js';
import { PacketFramer } from '../transport/stream-listener.js';
import { clientPskOptions, type PskCredentials } from '../transport/tls-psk.js';
import type { ClientChannel, DatagramReceiver } from './client-socket.js';
import type { Destination } from './destination.js';
import { IdentifierPool } from './identifier-pool.js';
import type { PendingRequest } from './pending-request.js';

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
  if (tls.ALPNProtocols === undefined) tls.ALPNProtocols = clientAlpn(version);
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
 * with its own 256 identifiers. Packets are framed by their Length field both ways. Requests
 * written before the connection is up wait for it. The socket is unref'd: pending requests keep
 * the process alive through their timer.
 */
export class StreamConnection implements ClientChannel {
  readonly destination: Destination;
  readonly address: string;
  readonly port: number;
  readonly ids = new IdentifierPool<PendingRequest>();
  readonly stream = true;
  readonly transport: 'tcp' | 'tls';
  idleSince: number;
  retired = false;
  /** Connected (TCP) or handshake done (TLS). */
  established = false;
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
  private socket: Socket | undefined;
  private closed = false;
  private outbox: Buffer[] = [];
  private corked = false;
  private readonly framer = new PacketFramer();
  private readonly remote: RemoteInfo;
  private readonly receiver: StreamReceiver;
  private readonly options: StreamConnectionOptions;
  private connectTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  constructor(destination: Destination, receiver: StreamReceiver, options: StreamConnectionOptions) {
    this.destination = destination;
    this.receiver = receiver;
    this.options = options;
    this.transport = options.transport;
    this.address = destination.address as string;
    this.port = destination.port;
    this.idleSince = performance.now();
    this.lastReceived = this.idleSince;
    this.remote = {
      address: this.address,
      family: destination.family === 'udp6' ? 'IPv6' : 'IPv4',
      port: this.port,
      size: 0,
    };
    if (options.delayMs > 0) {
      this.connectTimer = setTimeout(() => this.connect(), options.delayMs);
      this.connectTimer.unref();
    } else this.connect();
  }

  private connect(): void {
    this.connectTimer = undefined;
    if (this.closed) return;
    const { transport, tls, localAddress } = this.options;
    const dest = this.destination;
    let socket: Socket;
    try {
      if (transport === 'tls') {
        const r = radsecConnectOptions(tls, 'RadiusClient options', 'tls');
        this.version = r.version;
        // tls.connect passes the net.connect options (localAddress) on to its socket.
        const options: ConnectionOptions & { localAddress?: string } = {
          minVersion: 'TLSv1.2',
          // The certificate is checked against the configured name; an address is checked as such.
          ...(dest.literal ? {} : { servername: dest.host }),
          ...r.tls,
          host: this.address,
          port: this.port,
          localAddress,
        };
        socket = tlsConnect(options);
        socket.once('secureConnect', () => this.onUp());
      } else {
        socket = netConnect({ host: this.address, port: this.port, localAddress });
        socket.once('connect', () => this.onUp());
      }
    } catch (err) {
      // Options tls.connect refuses (a bad key, say): a connection that never comes up.
      this.failure = err as Error;
      this.closed = true;
      process.nextTick(() => this.receiver.onStreamClosed(this, this.failure));
      return;
    }
    this.socket = socket;
    if (transport === 'tls') {
      // One TLS record per packet: FreeRADIUS 3.2's RadSec listener reads one packet per record and
      // leaves the rest of a record unread, so packets written together (one writev, one record)
      // would wait forever. Without _writev the stream writes each packet on its own.
      (socket as unknown as { _writev: unknown })._writev = null;
    }
    socket.unref();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => {
      this.failure ??= err;
    });
    socket.once('close', () => this.onClose());
  }

  private onUp(): void {
    if (this.closed) return;
    const socket = this.socket as Socket;
    if (this.transport === 'tls') {
      const tlsSocket = socket as TLSSocket;
      const v = negotiatedVersion(this.version, tlsSocket.alpnProtocol, tlsSocket.getProtocol());
      if (typeof v !== 'string') {
        this.destroy(new Error(v.refused));
        return;
      }
      this.radius11 = v === '1.1';
    }
    this.established = true;
    this.lastReceived = performance.now();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const list = this.outbox;
    this.outbox = [];
    for (const data of list) {
      const bytes = this.radius11 ? this.receiver.recode(this, data) : data;
      if (bytes !== undefined) socket.write(bytes);
    }
    const ms = this.options.watchdogMs;
    if (ms > 0) {
      this.watchdogTimer = setInterval(() => {
        if (!this.closed) this.receiver.onStreamWatchdog(this, performance.now());
      }, ms);
      this.watchdogTimer.unref();
    }
  }

  private onData(chunk: Buffer): void {
    let packets: Buffer[];
    try {
      packets = this.framer.push(chunk);
    } catch (err) {
      // RFC 6613 §2.6.4: a stream with a bad Length cannot be read further.
      this.destroy(err as Error);
      return;
    }
    if (packets.length === 0) return;
    this.lastReceived = performance.now();
    this.received = true;
    for (let i = 0; i < packets.length && !this.closed; i++)
      this.receiver.onDatagram(this, packets[i], this.remote);
  }

  private onClose(): void {
    if (this.watchdogTimer !== undefined) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
    if (this.closed) return;
    this.closed = true;
    this.outbox = [];
    this.receiver.onStreamClosed(this, this.failure);
  }

  /** Writes a packet now, or once the connection is up; nothing when it is gone. */
  send(data: Buffer): void {
    if (this.closed) return;
    const socket = this.socket;
    if (!this.established || socket === undefined) {
      this.outbox.push(data);
      return;
    }
    // Over TCP, packets written in one turn of the event loop leave together (over TLS each goes
    // in its own record, see connect()).
    if (!this.corked && this.transport === 'tcp') {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    socket.write(data);
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
    return this.closed;
  }

  /** Ends the connection on the client's behalf: the receiver is not told. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox = [];
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    if (this.watchdogTimer !== undefined) clearInterval(this.watchdogTimer);
    this.connectTimer = undefined;
    this.watchdogTimer = undefined;
    const socket = this.socket;
    if (socket !== undefined) {
      socket.end();
      // A peer that does not close its side is not waited for.
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }

  /** Drops the connection as failed: the receiver hears of it with `error`. */
  destroy(error: Error): void {
    if (this.closed) return;
    this.failure ??= error;
    if (this.socket === undefined) {
      this.closed = true;
      if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.receiver.onStreamClosed(this, this.failure);
      return;
    }
    this.socket.destroy();
  }
}
