import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { RadiusBindError } from '../errors.js';

import { type Remote, type ReplyChannel, unmappedIPv4 } from './remote.js';

export type { Remote, ReplyChannel, Transport } from './remote.js';

/**
 * dgram resolves the address of every send through `lookup` (dns.lookup by default, which answers
 * an IP literal on the next tick). Every address given to our sockets is numeric already (bound
 * addresses are resolved first, replies go to where requests came from): hand it straight back, so
 * a send reaches the kernel at once, without the lookup and the deferred call.
 */
export function numericLookup(
  address: string,
  family: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  callback(null, address, family === 6 ? 6 : 4);
}

/** Kernel receive buffer asked for: the default (~212 KB) drops bursts above ~190 datagrams. */
const RECV_BUFFER = 4 * 1024 * 1024;

/** How long (ms) a reply may wait for the others of its turn: see UdpEndpoint.send(). */
const HOLD_MS = 0.2;

/** A bound UDP socket that hands datagrams to `onMessage` and sends replies. */
export class UdpEndpoint implements ReplyChannel {
  readonly socket: Socket;
  private closed = false;
  // Replies wait here until the datagrams at hand are handled (see send()).
  private queued: Buffer[] = [];
  private queuedTo: Remote[] = [];
  private spare: Buffer[] = [];
  private spareTo: Remote[] = [];
  private flushScheduled = false;
  /** performance.now() when queued replies were last handed to the kernel. */
  private lastSend = 0;

  /** `onError` gets every socket error after binding (the socket stays open). */
  constructor(
    family: 'udp4' | 'udp6',
    onMessage: (data: Buffer, remote: Remote) => void,
    private readonly onError: (err: Error) => void = () => {},
  ) {
    // Dual stack when bound to `::` (see bind()): the kernel takes IPv6 only on a specific address.
    this.socket = createSocket({ type: family, reuseAddr: false, ipv6Only: false, lookup: numericLookup });
    this.socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
      const v4 = this.dualStack ? unmappedIPv4(rinfo.address) : undefined;
      onMessage(data, {
        address: v4 ?? rinfo.address,
        port: rinfo.port,
        family: v4 === undefined ? (rinfo.family as Remote['family']) : 'IPv4',
        transport: 'udp',
      });
    });
  }

  /** Bound to `::`: IPv4 peers come as v4-mapped addresses, shown as IPv4 and answered as they came. */
  private dualStack = false;

  /**
   * Binds to `host:port` (port 0 picks a free one) and resolves with the bound port; rejects with
   * RadiusBindError naming the address and port.
   */
  bind(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new RadiusBindError(host, port, 'udp', { cause: err }));
      this.socket.once('error', onError);
      this.socket.bind(port, host, () => {
        this.socket.off('error', onError);
        // Errors after binding (e.g. a failed send) must not crash the process: they are reported.
        this.socket.on('error', (err) => this.onError(err));
        try {
          this.socket.setRecvBufferSize(RECV_BUFFER);
          this.socket.setSendBufferSize(RECV_BUFFER);
        } catch {
          // The kernel may cap buffer sizes (rmem_max); the defaults still work.
        }
        this.dualStack = host === '::';
        resolve(this.socket.address().port);
      });
    });
  }

  /**
   * Queues a reply; the queue is sent once the datagrams libuv read in this turn of the event loop
   * are handled (setImmediate runs right after that poll phase). Under load the sends then come
   * in a burst that wakes the peer once, not once per reply, and the send path stays hot: more
   * replies per second, for a delay of one turn. No completion callback: it would cost a
   * process.nextTick per reply; close() waits instead.
   *
   * A reply queued HOLD_MS or more after the last send goes at once, with those before it: its
   * request took that long (an EAP round doing TLS work, a handler that awaited I/O), and holding
   * it would make its peer wait for every other request of the turn, each maybe as slow. Peers
   * and server would then take turns instead of working at the same time (measured with EAP-TLS
   * and PEAP logins: 20-50% fewer per second). Cheap requests (PAP, tens of µs) still leave in
   * bursts.
   */
  send(data: Buffer, remote: Remote): void {
    if (this.closed) return;
    this.queued.push(data);
    this.queuedTo.push(remote);
    if (performance.now() - this.lastSend >= HOLD_MS) {
      this.sendQueued();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.sendQueued();
  };

  private sendQueued(): void {
    this.lastSend = performance.now();
    const data = this.queued;
    const to = this.queuedTo;
    // Two pairs of arrays, swapped: no allocation per turn.
    this.queued = this.spare;
    this.queuedTo = this.spareTo;
    for (let i = 0; i < data.length; i++) {
      try {
        const remote = to[i];
        const address =
          this.dualStack && remote.family === 'IPv4' ? `::ffff:${remote.address}` : remote.address;
        this.socket.send(data[i], remote.port, address);
      } catch (err) {
        // The socket went away (closed from outside): nothing left to send on.
        this.onError(err as Error);
      }
    }
    data.length = 0;
    to.length = 0;
    this.spare = data;
    this.spareTo = to;
  }

  /** Stops sending, waits (bounded by `waitMs`) for sends in progress, then closes the socket. */
  async close(waitMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Immediates run in order: when this one fires, the flush queued before it has handed every
    // reply to the kernel (the lookup is synchronous). A datagram the kernel could not take at once
    // waits in the socket's send queue: give the queue time (bounded) to drain.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const deadline = Date.now() + waitMs;
    while (this.queuedSends() > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
    try {
      this.socket.close();
    } catch {
      // never bound, or already closed
    }
  }

  private queuedSends(): number {
    try {
      return this.socket.getSendQueueCount();
    } catch {
      // never bound, or already closed
      return 0;
    }
  }
}

/** The socket type for an address literal. */
export function familyOf(address: string): 'udp4' | 'udp6' {
  return isIPv6(address) ? 'udp6' : 'udp4';
}
