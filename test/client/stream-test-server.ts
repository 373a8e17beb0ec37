// A small RADIUS/TCP (or RADIUS/TLS) server for client tests: node:net or node:tls, PacketFramer
// and the codec, with a decision per request (answer, stay silent, or drop the connection), on
// loopback.
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { decodeRequest, type Packet } from '../../src/protocol/packet.js';
import { PacketFramer } from '../../src/transport/stream-listener.js';
import { type Answer, defaultAnswer } from './udp-test-server.js';

/** One request as the server received it, and on which connection (0: the first accepted). */
export interface StreamSeen {
  packet: Packet;
  connection: number;
}

/** An answer, or 'drop' to destroy the connection the request came on. */
export type StreamHandler = (seen: StreamSeen, server: StreamTestServer) => Answer | 'drop';

export class StreamTestServer {
  readonly seen: StreamSeen[] = [];
  readonly sockets: Socket[] = [];
  port = 0;
  private readonly server: Server;

  constructor(
    private readonly secret: string,
    private readonly handler: StreamHandler = (s) =>
      defaultAnswer({ packet: s.packet, raw: Buffer.alloc(0), remote: undefined as never }),
    /** RADIUS/TLS with these `node:tls` server options (client certificates not asked for). */
    tls?: TlsOptions,
  ) {
    this.server =
      tls === undefined
        ? createServer((socket) => this.accept(socket))
        : createTlsServer(tls, (socket) => this.accept(socket));
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.sockets.length;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  private accept(socket: Socket): void {
    const connection = this.sockets.length;
    this.sockets.push(socket);
    const framer = new PacketFramer();
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const raw of framer.push(chunk)) {
        const packet = decodeRequest(this.secret, raw);
        const seen = { packet, connection };
        this.seen.push(seen);
        const answer = this.handler(seen, this);
        if (answer === 'drop') {
          socket.destroy();
          return;
        }
        if (answer !== null && !socket.destroyed)
          socket.write(Buffer.isBuffer(answer) ? answer : answer.encode());
      }
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `condition` every 10 ms for at most `ms` (bounded wait). */
export async function waitFor(condition: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}
