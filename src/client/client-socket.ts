import type { RemoteInfo } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  type ConnectionErrorKind,
  type ConnectionEvents,
  DatagramConnection,
} from '../transport/connection.js';
import type { SlotHolder } from './deadline-scheduler.js';
import type { Destination } from './destination.js';
import { IdentifierPool } from './identifier-pool.js';
import type { PendingRequest } from './pending-request.js';

/**
 * What carries a client's requests to one server address and port, with its own 256 identifiers:
 * a UDP socket (ClientSocket) or a TCP/TLS connection (StreamConnection).
 */
export interface ClientChannel extends SlotHolder<PendingRequest> {
  readonly destination: Destination;
  /** Where this channel sends, and the only source of replies it accepts. */
  readonly address: string;
  readonly port: number;
  readonly ids: IdentifierPool<PendingRequest>;
  /** performance.now() when the last identifier in use was returned. */
  idleSince: number;
  /** No new requests: it carries those it has to the end, then closes. */
  retired: boolean;
  /** True for a stream (TCP/TLS): no retransmission while it is up (RFC 6613 §2.6). */
  readonly stream: boolean;
  readonly isClosed: boolean;
  send(data: Buffer): void;
  close(): void;
}

/** Whoever reads the replies arriving on a client socket and hears of its errors. */
export interface DatagramReceiver {
  onDatagram(socket: ClientChannel, data: Buffer, remote: RemoteInfo): void;
  onSocketError(socket: ClientChannel, error: Error, kind: ConnectionErrorKind): void;
}

/**
 * One UDP socket of a client, sending to one address and port, with its own 256 identifiers. The
 * address is fixed for the socket's life: when the server's name resolves to another address, the
 * destination opens new sockets and this one is retired (it carries its requests to the end, then
 * closes). The socket is unref'd: pending requests keep the process alive through their timer.
 */
export class ClientSocket implements ClientChannel, ConnectionEvents {
  readonly destination: Destination;
  /** Where this socket sends, and the only source of replies it accepts. */
  readonly address: string;
  readonly port: number;
  readonly ids = new IdentifierPool<PendingRequest>();
  /** performance.now() when the last identifier in use was returned. */
  idleSince: number;
  /** No new requests: the destination's address changed, or the socket failed. */
  retired = false;
  readonly stream = false;
  private readonly connection: DatagramConnection;
  private readonly receiver: DatagramReceiver;

  constructor(destination: Destination, receiver: DatagramReceiver, localAddress?: string) {
    this.destination = destination;
    this.receiver = receiver;
    this.address = destination.address as string;
    this.port = destination.port;
    this.idleSince = performance.now();
    // Sends made before the bind completes wait for it. A pool server's socket is connected: the
    // kernel keeps its route, dgram skips its address handling on every send, and datagrams from
    // elsewhere never arrive (a proxy sends to its home servers thousands of times a second).
    this.connection = new DatagramConnection(
      {
        address: this.address,
        port: this.port,
        family: destination.family,
        localAddress,
        connected: destination.pooled,
      },
      this,
    );
  }

  onPacket(data: Buffer, remote: RemoteInfo): void {
    this.receiver.onDatagram(this, data, remote);
  }

  onError(error: Error, kind: ConnectionErrorKind): void {
    this.receiver.onSocketError(this, error, kind);
  }

  /**
   * Sends a datagram to the destination before the event loop waits again. Sends made while
   * replies are being read go out together after them, so the server is woken once per batch.
   */
  send(data: Buffer): void {
    this.connection.send(data);
  }

  /** The request holding identifier `id` now (the deadline scheduler's view of the socket). */
  itemAt(id: number): PendingRequest | undefined {
    return this.ids.get(id);
  }

  /** The local port, once bound. */
  get localPort(): number | undefined {
    return this.connection.localPort;
  }

  get isClosed(): boolean {
    return this.connection.isClosed;
  }

  close(): void {
    this.connection.close();
  }
}
