import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { numericLookup } from '../transport/udp.js';
import type { SlotHolder } from './deadline-scheduler.js';
import type { Destination } from './destination.js';
import { IdentifierPool } from './identifier-pool.js';
import type { PendingRequest } from './pending-request.js';

/** What failed on a client socket: binding it (the socket is unusable), or sending on it. */
export type SocketErrorKind = 'bind' | 'send';

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
  onSocketError(socket: ClientChannel, error: Error, kind: SocketErrorKind): void;
}

/** 256 replies in a burst must fit: the kernel default (~212 KB) holds about 190 small datagrams. */
const RECV_BUFFER = 1024 * 1024;

/**
 * One UDP socket of a client, sending to one address and port, with its own 256 identifiers. The
 * address is fixed for the socket's life: when the server's name resolves to another address, the
 * destination opens new sockets and this one is retired (it carries its requests to the end, then
 * closes). The socket is unref'd: pending requests keep the process alive through their timer.
 */
export class ClientSocket implements ClientChannel {
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
  private readonly socket: Socket;
  private bound = false;
  private closed = false;
  /** Datagrams waiting for the end of this turn of the event loop. */
  private outbox: Buffer[] = [];
  private readonly flush = (): void => this.flushOutbox();
  private readonly receiver: DatagramReceiver;
  /** Send errors are only reported to a callback (dgram drops synchronous ones otherwise). */
  private readonly afterSend = (err: Error | null): void => {
    if (err) this.receiver.onSocketError(this, err, 'send');
  };

  constructor(destination: Destination, receiver: DatagramReceiver, localAddress?: string) {
    this.destination = destination;
    this.receiver = receiver;
    this.address = destination.address as string;
    this.port = destination.port;
    this.idleSince = performance.now();
    const socket = createSocket({ type: destination.family, lookup: numericLookup });
    this.socket = socket;
    socket.on('message', (data: Buffer, remote: RemoteInfo) => receiver.onDatagram(this, data, remote));
    // Before the bind completes an error is a bind failure: nothing can be sent on this socket.
    // With a numeric address dgram reports it from within bind(), so it is passed on a tick later,
    // once the socket is in service and holds the requests it fails.
    socket.on('error', (err: Error) => {
      const kind = this.bound ? 'send' : 'bind';
      process.nextTick(() => {
        if (!this.closed) receiver.onSocketError(this, err, kind);
      });
    });
    // Sends made before the bind completes are queued by dgram.
    socket.bind({ port: 0, address: localAddress }, () => {
      this.bound = true;
      try {
        socket.setRecvBufferSize(RECV_BUFFER);
      } catch {
        // capped by the kernel (net.core.rmem_max): the default still works at lower rates
      }
    });
    socket.unref();
  }

  /**
   * Sends a datagram to the destination before the event loop waits again. Sends made while
   * replies are being read go out together after them, so the server is woken once per batch.
   */
  send(data: Buffer): void {
    if (this.outbox.push(data) === 1) setImmediate(this.flush);
  }

  private flushOutbox(): void {
    const list = this.outbox;
    this.outbox = [];
    if (this.closed) return;
    for (let i = 0; i < list.length; i++) {
      try {
        this.socket.send(list[i], this.port, this.address, this.afterSend);
      } catch (err) {
        this.receiver.onSocketError(this, err as Error, 'send');
        if (this.closed) return;
      }
    }
  }

  /** The request holding identifier `id` now (the deadline scheduler's view of the socket). */
  itemAt(id: number): PendingRequest | undefined {
    return this.ids.get(id);
  }

  /** The local port, once bound. */
  get localPort(): number | undefined {
    try {
      return this.socket.address().port;
    } catch {
      return undefined;
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
