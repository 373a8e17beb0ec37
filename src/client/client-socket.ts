import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { SlotHolder } from './deadline-scheduler.js';
import type { Destination } from './destination.js';
import { numericLookup } from '../transport/udp.js';
import { IdentifierPool } from './identifier-pool.js';
import type { PendingRequest } from './pending-request.js';

/** Whoever reads the replies arriving on a client socket. */
export interface DatagramReceiver {
  onDatagram(socket: ClientSocket, data: Buffer, remote: RemoteInfo): void;
}

/** 256 replies in a burst must fit: the kernel default (~212 KB) holds about 190 small datagrams. */
const RECV_BUFFER = 1024 * 1024;

function ignore(): void {}

/**
 * One UDP socket of a client, sending to one destination, with its own 256 identifiers. The
 * socket is unref'd: pending requests keep the process alive through their timer, not the socket.
 */
export class ClientSocket implements SlotHolder<PendingRequest> {
  readonly destination: Destination;
  readonly ids = new IdentifierPool<PendingRequest>();
  /** performance.now() when the last identifier in use was returned. */
  idleSince: number;
  private readonly socket: Socket;
  private closed = false;
  /** Datagrams waiting for the end of this turn of the event loop. */
  private outbox: Buffer[] = [];
  private readonly flush = (): void => this.flushOutbox();

  constructor(destination: Destination, receiver: DatagramReceiver) {
    this.destination = destination;
    this.idleSince = performance.now();
    const socket = createSocket({ type: destination.family, lookup: numericLookup });
    this.socket = socket;
    socket.on('message', (data: Buffer, remote: RemoteInfo) => receiver.onDatagram(this, data, remote));
    // ICMP errors and failed sends surface here; the request they concern simply times out.
    socket.on('error', ignore);
    // Sends made before the bind completes are queued by dgram.
    socket.bind(0, () => {
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
    const port = this.destination.port;
    const address = this.destination.address as string;
    for (let i = 0; i < list.length; i++) {
      try {
        this.socket.send(list[i], port, address);
      } catch {
        // like a failed send reported on 'error': the request it carried times out
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
