import type { RemoteInfo } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions } from 'node:tls';
import { type ConnectionEvents, FramedStream } from '../transport/connection.js';
import type { ClientChannel, DatagramReceiver } from './client-socket.js';
import type { Destination } from './destination.js';
import { IdentifierPool } from './identifier-pool.js';
import type { PendingRequest } from './pending-request.js';

/** How a client reaches a server: datagrams, or a stream (RFC 6613 TCP, RFC 6614 TLS). */
export type ClientTransport = 'udp' | 'tcp' | 'tls';

/** Whoever reads the replies of a client connection and hears of its end and its idle time. */
export interface StreamReceiver extends DatagramReceiver {
  /** The connection closed, on either side; `error` when it failed (refused, handshake, reset). */
  onStreamClosed(conn: StreamConnection, error: Error | undefined): void;
  /** Nothing was received on the connection for its watchdog interval. */
  onStreamWatchdog(conn: StreamConnection, now: number): void;
}

/** How one connection is made. */
export interface StreamConnectionOptions {
  transport: 'tcp' | 'tls';
  /** `node:tls` connection options (ca, cert, key, minVersion, ciphers, servername...). */
  tls?: ConnectionOptions;
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
  private readonly connection: FramedStream;
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
        // The certificate is checked against the configured name; an address is checked as such.
        tls: destination.literal ? options.tls : { servername: destination.host, ...options.tls },
        localAddress: options.localAddress,
        delayMs: options.delayMs,
      },
      this,
    );
  }

  /** Connected (TCP) or handshake done (TLS). */
  get established(): boolean {
    return this.connection.established;
  }

  onUp(): void {
    this.lastReceived = performance.now();
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
    this.receiver.onStreamClosed(this, error);
  }

  private stopWatchdog(): void {
    if (this.watchdogTimer !== undefined) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  /** Writes a packet now, or once the connection is up; nothing when it is gone. */
  send(data: Buffer): void {
    this.connection.send(data);
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
    this.connection.close();
  }

  /** Drops the connection as failed: the receiver hears of it with `error`. */
  destroy(error: Error): void {
    this.connection.destroy(error);
  }
}
