import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { RadiusClient, type SendOptions } from '../client/radius-client.js';
import { RADSEC_PORT } from '../client/server-pool.js';
import { RadiusTimeoutError } from '../errors.js';
import type { Packet } from '../protocol/packet.js';
import { type OptionValues, stringOption, UsageError } from './args.js';

/** A verified reply and how it came. */
export interface ExchangeResult {
  reply: Packet;
  /** Seconds from the first transmission to the reply. */
  seconds: number;
  length: number;
}

/**
 * Per-request limits: seconds to wait for each try, and how many tries in all (RFC 5080 §2.2.1
 * retransmits the same bytes); `parallel`, the most requests in flight at once.
 */
export interface ExchangeOptions {
  timeout: number;
  tries: number;
  parallel?: number;
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
 * The commands' way to one server: a RadiusClient, over UDP or a TCP/TLS connection. Over UDP a
 * request is sent `tries` times in all, `timeout` seconds apart (±10% jitter, RFC 5080 §2.2.1);
 * over TCP/TLS it is not resent on a live connection (RFC 6613 §2.6) and waits as long in all.
 */
export class ClientExchanger {
  private readonly client: RadiusClient;
  private readonly send: SendOptions;

  /** `host` is the server as given (a TLS certificate is checked against it), `server` its address. */
  constructor(
    host: string,
    server: ServerAddress,
    secret: string,
    choice: TransportChoice,
    options: ExchangeOptions,
  ) {
    const tries = Math.max(1, options.tries);
    const stream = choice.transport !== 'udp';
    // -p N: N requests in flight, no fewer (the client's adaptive window would start lower).
    const common = { watchdogInterval: 0, maxInFlight: options.parallel ?? 1, adaptiveWindow: false };
    this.client = new RadiusClient(
      stream
        ? {
            ...common,
            servers: [{ host, port: server.port, secret, transport: choice.transport, tls: choice.tls }],
          }
        : common,
    );
    this.send = {
      ...(stream ? {} : { remoteHost: server.address, remotePort: server.port }),
      timeout: options.timeout,
      retries: tries - 1,
      // No doubling: each try waits `timeout`, as radclient's do.
      maxTimeout: options.timeout,
      // Room for the jitter of every wait.
      maxDuration: options.timeout * tries * (stream ? 1 : 1.1),
    };
  }

  /**
   * Sends `request` (its identifier is set when this returns, if it went out at once) and
   * resolves with the verified reply; rejects with RadiusTimeoutError when every try went
   * unanswered, telling how many replies failed verification.
   */
  exchange(request: Packet): Promise<ExchangeResult> {
    const invalidBefore = this.invalidReplies();
    return this.client.sendPacket(request, this.send).then(
      ([reply, seconds]) => ({ reply, seconds, length: reply.raw?.length ?? reply.encode().length }),
      (err: unknown) => {
        const bad = this.invalidReplies() - invalidBefore;
        if (err instanceof RadiusTimeoutError && bad > 0)
          err.message += ` (${bad} repl${bad === 1 ? 'y' : 'ies'} did not verify: wrong secret?)`;
        throw err;
      },
    );
  }

  /** Replies the client dropped as not verifying (wrong secret, corrupt, or of another request). */
  private invalidReplies(): number {
    const i = this.client.statistics.invalid;
    return i.badAuthenticator + i.malformed;
  }

  close(): void {
    this.client.close();
  }
}
