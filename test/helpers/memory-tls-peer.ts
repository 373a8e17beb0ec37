// A node:tls client (OpenSSL on the peer side) over an in-memory stream, for tests that drive a
// TLS server session by hand: its bytes come out with take() or next(), the server's go in with give().
import { Duplex } from 'node:stream';
import tls from 'node:tls';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class MemoryTlsPeer {
  readonly socket: tls.TLSSocket;
  /** Application data the server sent, in order. */
  readonly received: Buffer[] = [];
  /** The first session the server gave this client. */
  readonly session: Promise<Buffer>;
  private out: Buffer[] = [];
  private readonly stream: Duplex;

  constructor(options: tls.ConnectionOptions) {
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _e, cb) => {
        this.out.push(chunk);
        cb();
      },
    });
    this.socket = tls.connect({ socket: this.stream, checkServerIdentity: () => undefined, ...options });
    this.session = new Promise((resolve) => this.socket.once('session', resolve));
    this.socket.on('data', (d: Buffer) => this.received.push(d));
    this.socket.on('error', () => {});
  }

  /** Bytes from the server. */
  give(bytes: Buffer): void {
    this.stream.push(bytes);
  }

  /** What the client wrote within two turns of the event loop (maybe nothing). */
  async take(): Promise<Buffer> {
    await tick();
    await tick();
    return this.drain();
  }

  /** The client's next flight, once it has written one (at most 50 turns). */
  async next(): Promise<Buffer> {
    for (let i = 0; i < 50 && this.out.length === 0; i++) await tick();
    return this.drain();
  }

  private drain(): Buffer {
    const b = Buffer.concat(this.out);
    this.out = [];
    return b;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
