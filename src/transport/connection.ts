// A client's connection to one server address and port: a UDP socket, or a TCP (RFC 6613) / TLS
// (RFC 6614) stream framed by the packets' Length field. It carries bytes and nothing else: the
// client engine (identifiers, timers, verification) and the load engine of `aioradius bench` sit
// on it.
import { createSocket, type RemoteInfo, type Socket as DatagramSocket } from 'node:dgram';
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ConnectionOptions, TLSSocket, connect as tlsConnect } from 'node:tls';
import { onePacketPerRecord, PacketFramer } from './stream-listener.js';
import { numericLookup } from './udp.js';

/** What failed on a datagram connection: binding it (it is unusable), or a send. */
export type ConnectionErrorKind = 'bind' | 'send';

/** Whoever reads a connection's packets and hears of its state; called with no per-packet closure. */
export interface ConnectionEvents {
  /** A packet arrived: a datagram as received, or one whole packet cut from the stream. */
  onPacket(data: Buffer, remote: RemoteInfo): void;
  /** Datagrams: a failed bind (before the socket was ready) or a failed send. */
  onError?(error: Error, kind: ConnectionErrorKind): void;
  /** Bound (and connected, when asked); a stream: connected (TCP) or handshake done (TLS). */
  onUp?(): void;
  /** A stream ended, on either side; `error` when it failed (refused, handshake, reset, framing). */
  onClosed?(error: Error | undefined): void;
}

/** What the client engine and the load engine send packets through. */
export interface Connection {
  readonly address: string;
  readonly port: number;
  readonly isClosed: boolean;
  /** Sends a packet before the event loop waits again (queued until the connection is up). */
  send(data: Buffer): void;
  close(): void;
}

/** How a datagram connection is made. */
export interface DatagramConnectionOptions {
  /** The server's address (numeric) and port. */
  address: string;
  port: number;
  family: 'udp4' | 'udp6';
  localAddress?: string;
  /** Kernel receive buffer asked for, bytes; default 1 MiB (capped by net.core.rmem_max). */
  recvBufferSize?: number;
  /** Kernel send buffer asked for, bytes; default the kernel's. */
  sendBufferSize?: number;
  /**
   * connect() the socket: the kernel then delivers only the server's datagrams, and a send skips
   * the per-datagram address handling. Default false (the caller filters sources itself).
   */
  connected?: boolean;
}

/** 256 replies in a burst must fit: the kernel default (~212 KB) holds about 190 small datagrams. */
const RECV_BUFFER = 1024 * 1024;

/**
 * A UDP socket sending to one address and port. Sends made in one turn of the event loop (while
 * replies are read, say) go out together after it, so the server is woken once per batch. The
 * socket is unref'd: its owner's timers keep the process alive.
 */
export class DatagramConnection implements Connection {
  readonly address: string;
  readonly port: number;
  private readonly socket: DatagramSocket;
  private readonly events: ConnectionEvents;
  private readonly connected: boolean;
  private up = false;
  private closed = false;
  private outbox: Buffer[] = [];
  private flushPending = false;
  private readonly flush = (): void => this.flushOutbox();
  /** Send errors are only reported to a callback (dgram drops synchronous ones otherwise). */
  private readonly afterSend = (err: Error | null): void => {
    if (err) this.events.onError?.(err, 'send');
  };

  constructor(options: DatagramConnectionOptions, events: ConnectionEvents) {
    this.address = options.address;
    this.port = options.port;
    this.events = events;
    this.connected = options.connected === true;
    const socket = createSocket({
      type: options.family,
      lookup: numericLookup,
      sendBufferSize: options.sendBufferSize,
    });
    this.socket = socket;
    socket.on('message', (data: Buffer, remote: RemoteInfo) => events.onPacket(data, remote));
    // Before the socket is up an error is a bind failure: nothing can be sent on it. With a numeric
    // address dgram reports it from within bind(), so it is passed on a tick later, once the owner
    // holds the connection.
    socket.on('error', (err: Error) => {
      const kind = this.up ? 'send' : 'bind';
      process.nextTick(() => {
        if (!this.closed) events.onError?.(err, kind);
      });
    });
    const recv = options.recvBufferSize ?? RECV_BUFFER;
    socket.bind({ port: 0, address: options.localAddress }, () => {
      try {
        socket.setRecvBufferSize(recv);
      } catch {
        // capped by the kernel (net.core.rmem_max): the default still works at lower rates
      }
      if (this.connected) socket.connect(this.port, this.address, () => this.onUp());
      else this.onUp();
    });
    socket.unref();
  }

  private onUp(): void {
    if (this.closed) return;
    this.up = true;
    this.events.onUp?.();
    if (this.outbox.length > 0 && !this.flushPending) this.flushOutbox();
  }

  /** Queues a datagram; it leaves at the end of this turn of the event loop. */
  send(data: Buffer): void {
    if (this.outbox.push(data) === 1 && !this.flushPending) {
      this.flushPending = true;
      setImmediate(this.flush);
    }
  }

  private flushOutbox(): void {
    this.flushPending = false;
    if (this.closed || !this.up) return;
    const list = this.outbox;
    this.outbox = [];
    const socket = this.socket;
    for (let i = 0; i < list.length; i++) {
      try {
        if (this.connected) socket.send(list[i], this.afterSend);
        else socket.send(list[i], this.port, this.address, this.afterSend);
      } catch (err) {
        this.events.onError?.(err as Error, 'send');
        if (this.closed) return;
      }
    }
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
    this.outbox = [];
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/** How a stream connection is made. */
export interface StreamConnectOptions {
  transport: 'tcp' | 'tls';
  /** The server's address (numeric) and port. */
  address: string;
  port: number;
  /**
   * `node:tls` connection options (ca, cert, key, minVersion, servername...), or a function that
   * makes them when connecting: what it throws fails the connection (`onClosed` with the error).
   */
  tls?: ConnectionOptions | (() => ConnectionOptions);
  localAddress?: string;
  /** Wait before connecting, ms (reconnection backoff); default 0. */
  delayMs?: number;
}

/**
 * A TCP (RFC 6613) or TLS (RFC 6614) connection carrying RADIUS packets framed by their Length
 * field. Packets written before it is up wait for it. Over TCP, packets written in one turn of the
 * event loop leave in one segment; over TLS each goes in a record of its own (see
 * {@link onePacketPerRecord}). The socket is unref'd.
 */
export class FramedStream implements Connection {
  readonly address: string;
  readonly port: number;
  readonly transport: 'tcp' | 'tls';
  /** Connected (TCP) or handshake done (TLS). */
  established = false;
  /** performance.now() when it came up (-1: not yet). */
  upAt = -1;
  /** Milliseconds from the start of connecting to being up: about two round trips over TLS (-1: not up). */
  connectMs = -1;
  /** destroy() ended it: a decision of the owner (or of the framing), not the peer's. */
  droppedHere = false;
  private startedAt = 0;
  private socket: Socket | undefined;
  private closed = false;
  private outbox: Buffer[] = [];
  private corked = false;
  private readonly framer = new PacketFramer();
  private readonly remote: RemoteInfo;
  private readonly events: ConnectionEvents;
  private readonly options: StreamConnectOptions;
  private connectTimer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  constructor(options: StreamConnectOptions, events: ConnectionEvents) {
    this.options = options;
    this.events = events;
    this.transport = options.transport;
    this.address = options.address;
    this.port = options.port;
    this.remote = {
      address: this.address,
      family: this.address.includes(':') ? 'IPv6' : 'IPv4',
      port: this.port,
      size: 0,
    };
    const delay = options.delayMs ?? 0;
    if (delay > 0) {
      this.connectTimer = setTimeout(() => this.connect(), delay);
      this.connectTimer.unref();
    } else this.connect();
  }

  private connect(): void {
    this.connectTimer = undefined;
    if (this.closed) return;
    this.startedAt = performance.now();
    const { transport, tls, localAddress } = this.options;
    let socket: Socket;
    try {
      if (transport === 'tls') {
        // tls.connect passes the net.connect options (localAddress) on to its socket.
        const options: ConnectionOptions & { localAddress?: string } = {
          minVersion: 'TLSv1.2',
          ...(typeof tls === 'function' ? tls() : tls),
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
      process.nextTick(() => this.events.onClosed?.(this.failure));
      return;
    }
    this.socket = socket;
    if (transport === 'tls') onePacketPerRecord(socket);
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
    this.established = true;
    this.upAt = performance.now();
    this.connectMs = this.upAt - this.startedAt;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const list = this.outbox;
    this.outbox = [];
    for (const data of list) socket.write(data);
    this.events.onUp?.();
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
    for (let i = 0; i < packets.length && !this.closed; i++) this.events.onPacket(packets[i], this.remote);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox = [];
    this.events.onClosed?.(this.failure);
  }

  /** Writes a packet now, or once the connection is up; nothing when it is gone. */
  send(data: Buffer): void {
    if (this.closed) return;
    const socket = this.socket;
    if (!this.established || socket === undefined) {
      this.outbox.push(data);
      return;
    }
    if (!this.corked && this.transport === 'tcp') {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    socket.write(data);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** TLS: the ALPN protocol the handshake chose (false: none; null: not TLS or not yet). */
  get alpnProtocol(): string | false | null {
    const s = this.socket;
    return s instanceof TLSSocket ? s.alpnProtocol : null;
  }

  /** TLS: the protocol version negotiated ('TLSv1.3'...), null before the handshake or over TCP. */
  get tlsProtocol(): string | null {
    const s = this.socket;
    return s instanceof TLSSocket ? s.getProtocol() : null;
  }

  /** Ends the connection on the owner's behalf: `onClosed` is not called. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox = [];
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    const socket = this.socket;
    if (socket !== undefined) {
      socket.end();
      // A peer that does not close its side is not waited for.
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }

  /** Drops the connection as failed: `onClosed` is called with `error`. */
  destroy(error: Error): void {
    if (this.closed) return;
    this.droppedHere = true;
    this.failure ??= error;
    if (this.socket === undefined) {
      this.closed = true;
      if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
      this.events.onClosed?.(this.failure);
      return;
    }
    this.socket.destroy();
  }
}
