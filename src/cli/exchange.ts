import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { RadiusClient } from '../client/radius-client.js';
import { RADSEC_PORT } from '../client/server-pool.js';
import { RadiusTimeoutError } from '../errors.js';
import { decodeResponse, type Packet } from '../protocol/packet.js';
import { formatHostPort, type OptionValues, stringOption, UsageError } from './args.js';

/** A verified reply and how it came. */
export interface ExchangeResult {
  reply: Packet;
  /** Seconds from the first transmission to the reply. */
  seconds: number;
  /** Transmissions made (1 + retransmissions). */
  attempts: number;
  length: number;
}

/** Per-request limits: seconds to wait for each try, and how many tries in all (RFC 5080 §2.2.1 retransmits the same bytes). */
export interface ExchangeOptions {
  timeout: number;
  tries: number;
}

/** A resolved server address. */
export interface ServerAddress {
  address: string;
  port: number;
  family: 4 | 6;
}

/** Resolves a host name or literal (IPv6 first when `ipv6`). */
export async function resolveServer(host: string, port: number, ipv6 = false): Promise<ServerAddress> {
  const literal = isIP(host);
  if (literal) return { address: host, port, family: literal as 4 | 6 };
  const found = await lookup(host, { family: ipv6 ? 6 : 0 });
  return { address: found.address, port, family: found.family === 6 ? 6 : 4 };
}

/** Sends one request and waits for its verified reply. */
export interface PacketExchanger {
  exchange(request: Packet, server: ServerAddress, options: ExchangeOptions): Promise<ExchangeResult>;
  close(): void;
}

/** Help lines of the transport options, shared by the commands that send, aligned at `column`. */
export function transportUsage(column: number): string {
  const line = (left: string, right: string) => `      ${left}`.padEnd(column) + right;
  return [
    line('--transport NAME', 'udp (default), tcp (RFC 6613) or tls (RFC 6614, port 2083)'),
    line('--ca PATH', 'TLS: CA certificate(s) the server certificate must chain to'),
    line('--cert PATH', 'TLS: client certificate (PEM)'),
    line('--key PATH', 'TLS: its private key (PEM)'),
  ].join('\n');
}

/** The transport options of parseCommandLine. */
export const TRANSPORT_OPTIONS = {
  transport: { type: 'string' },
  ca: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
} as const;

/** What the transport options ask for. */
export interface TransportChoice {
  transport: 'udp' | 'tcp' | 'tls';
  tls: ConnectionOptions | undefined;
}

/** Reads --transport, --ca, --cert and --key (files read now: a missing one is a usage error). */
export function transportChoice(values: OptionValues): TransportChoice {
  const transport = stringOption(values, 'transport') ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp' && transport !== 'tls')
    throw new UsageError(`--transport must be udp, tcp or tls, not ${JSON.stringify(transport)}`);
  const files: Record<string, Buffer> = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = stringOption(values, name);
    if (file === undefined) continue;
    if (transport !== 'tls') throw new UsageError(`--${name} needs --transport tls`);
    try {
      files[name] = readFileSync(file);
    } catch (err) {
      throw new UsageError(`--${name} ${file}: ${(err as Error).message}`);
    }
  }
  return { transport, tls: transport === 'tls' ? files : undefined };
}

/** The default port of a packet type over `transport`: RADIUS/TLS has one port for all. */
export function defaultPortFor(transport: TransportChoice['transport'], udpPort: number): number {
  return transport === 'tls' ? RADSEC_PORT : udpPort;
}

/**
 * Requests over one TCP or TLS connection (more when over 256 are in flight), by a RadiusClient:
 * no retransmission on a live connection; a try's timeout times the tries is the wait.
 */
export class StreamExchanger implements PacketExchanger {
  private readonly client: RadiusClient;

  constructor(host: string, port: number, secret: string, choice: TransportChoice) {
    this.client = new RadiusClient({
      servers: [{ host, port, secret, transport: choice.transport, tls: choice.tls }],
      watchdogInterval: 0,
    });
  }

  async exchange(request: Packet, _server: ServerAddress, options: ExchangeOptions): Promise<ExchangeResult> {
    const tries = Math.max(1, options.tries);
    const [reply, seconds] = await this.client.sendPacket(request, {
      timeout: options.timeout,
      retries: tries - 1,
      maxTimeout: options.timeout,
      maxDuration: options.timeout * tries,
    });
    return { reply, seconds, attempts: 1, length: reply.raw?.length ?? reply.encode().length };
  }

  close(): void {
    this.client.close();
  }
}

interface Pending {
  request: Packet;
  server: ServerAddress;
  resolve: (r: { reply: Packet; length: number }) => void;
  lastError: string | undefined;
}

/**
 * One UDP socket that sends a request and waits for its verified reply, one request at a time.
 * Datagrams from other addresses, or that fail to verify, are ignored (they may be forged or late).
 */
export class Exchanger implements PacketExchanger {
  private readonly socket: dgram.Socket;
  private pending: Pending | undefined;
  private closed = false;

  constructor(family: 4 | 6) {
    this.socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    // Errors such as ICMP unreachable show up as a missing reply.
    this.socket.on('error', () => {});
  }

  /** Sends `request` to `server` and waits; throws RadiusTimeoutError after every try went unanswered. */
  async exchange(request: Packet, server: ServerAddress, options: ExchangeOptions): Promise<ExchangeResult> {
    if (this.pending) throw new Error('Exchanger: one request at a time');
    const bytes = request.encode();
    const started = performance.now();
    const tries = Math.max(1, options.tries);
    let answer: { reply: Packet; length: number } | undefined;
    const pending: Pending = { request, server, resolve: () => {}, lastError: undefined };
    let attempts = 0;
    try {
      for (attempts = 1; attempts <= tries && !answer && !this.closed; attempts++) {
        answer = await new Promise<{ reply: Packet; length: number } | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), options.timeout * 1000);
          pending.resolve = (r) => {
            clearTimeout(timer);
            resolve(r);
          };
          this.pending = pending;
          this.socket.send(bytes, server.port, server.address, (err) => {
            if (err) pending.lastError = err.message;
          });
        });
        if (answer) break;
      }
    } finally {
      this.pending = undefined;
    }
    if (!answer) {
      const err = new RadiusTimeoutError(
        formatHostPort(server.address, server.port),
        Math.min(attempts, tries),
      );
      if (pending.lastError) err.message += ` (last problem: ${pending.lastError})`;
      throw err;
    }
    return {
      reply: answer.reply,
      length: answer.length,
      attempts,
      seconds: (performance.now() - started) / 1000,
    };
  }

  /** Closes the socket; a pending exchange ends after its current try. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const p = this.pending;
    if (!p || rinfo.port !== p.server.port || !sameAddress(rinfo.address, p.server.address)) return;
    try {
      const reply = decodeResponse(p.request.secret, msg, p.request);
      this.pending = undefined;
      p.resolve({ reply, length: reply.raw?.length ?? msg.length });
    } catch (err) {
      p.lastError = `bad reply: ${(err as Error).message}`;
    }
  }
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  // A udp6 socket may see IPv4 peers as ::ffff:a.b.c.d.
  return a.replace(/^::ffff:/i, '') === b.replace(/^::ffff:/i, '');
}
