/**
 * A TLS server session over an in-memory stream: the bytes of EAP-TLS-style methods go in with
 * `receive` and come out with `takeOutput`. Sockets come from a `tls.Server`
 * (`server.emit('connection', stream)`), because only the server's path verifies a client
 * certificate and sets `authorized`.
 */

import { Duplex } from 'node:stream';
import type { Server, TLSSocket } from 'node:tls';

// The server processes pushed bytes synchronously: the engine being fed is the one whose
// socket the server's 'secureConnection' or 'tlsClientError' event is about.
let feeding: TlsEngine | undefined;
const wired = new WeakSet<Server>();

function wire(server: Server): void {
  if (wired.has(server)) return;
  wired.add(server);
  server.on('secureConnection', (socket: TLSSocket) => feeding?.attach(socket));
  server.on('tlsClientError', (err: Error) => feeding?.fail(err));
}

/** The engine whose peer bytes the TLS server is processing right now (events name no stream). */
export function feedingEngine(): TlsEngine | undefined {
  return feeding;
}

/** Lets writes made outside a push (our own application data) reach the stream. */
function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Largest TLS message accepted from a peer in one EAP message sequence (RFC 5216 §2.1.5). */
export const MAX_TLS_MESSAGE = 64 * 1024;

/** One TLS session of one EAP conversation. */
export class TlsEngine {
  private readonly stream: Duplex;
  private output: Buffer[] = [];
  private appData: Buffer[] = [];
  private socket: TLSSocket | undefined;
  private fresh = true;
  /** Lookups the TLS server waits for before it answers (a shared session cache). */
  private holds: Promise<void>[] = [];
  /** Why the session failed, once it has. */
  error: Error | undefined;

  /** Whether this conversation may resume a TLS session. */
  readonly resumable: boolean;

  constructor(server: Server, resumable = true) {
    this.resumable = resumable;
    wire(server);
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, callback) => {
        this.output.push(chunk);
        callback();
      },
    });
    // An error on a stream nobody waits for would otherwise be thrown.
    this.stream.on('error', (err) => this.fail(err));
    feeding = this;
    try {
      server.emit('connection', this.stream);
    } finally {
      feeding = undefined;
    }
  }

  /** Whether the handshake completed. */
  get established(): boolean {
    return this.socket !== undefined;
  }

  /** The TLS socket once established. */
  get tlsSocket(): TLSSocket | undefined {
    return this.socket;
  }

  /** Feeds one whole TLS message from the peer; resolves once the server has answered it. */
  async receive(bytes: Buffer): Promise<void> {
    if (this.error) return;
    // A new socket starts reading a tick after it is made: bytes pushed before would be handled
    // later, outside this engine's turn.
    if (this.fresh) {
      this.fresh = false;
      await tick();
    }
    feeding = this;
    try {
      this.stream.push(bytes);
    } finally {
      feeding = undefined;
    }
    await tick();
    // The server answers once its lookups are done; each may start another (bounded by the handshake).
    for (let i = 0; i < 4 && this.holds.length > 0; i++) {
      const holds = this.holds;
      this.holds = [];
      await Promise.all(holds);
      await tick();
    }
  }

  /** Makes `receive` wait for `lookup` (which the TLS server's answer depends on). */
  holdUntil(lookup: Promise<void>): void {
    this.holds.push(lookup);
  }

  /** Writes application data into the tunnel; resolves when its records are in the output. */
  async write(data: Buffer): Promise<void> {
    if (!this.socket || this.error) return;
    this.socket.write(data);
    await tick();
    await tick();
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

  /** @internal The server's socket for this stream, handshake complete. */
  attach(socket: TLSSocket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.appData.push(chunk));
    socket.on('error', (err: Error) => this.fail(err));
  }

  /** @internal */
  fail(err: Error): void {
    this.error ??= err;
  }

  /** Frees the TLS session. */
  destroy(): void {
    this.socket?.destroy();
    this.stream.destroy();
    this.output = [];
    this.appData = [];
  }
}
