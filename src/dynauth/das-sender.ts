import type { RadsecConnectionOptions } from '../client/stream-connection.js';
import { RadiusClient } from '../client/radius-client.js';
import { RADSEC_PORT } from '../client/server-pool.js';
import { ConfigError, InvalidValueError, RadiusError } from '../errors.js';
import { COA_REQUEST, codeName, DISCONNECT_REQUEST } from '../protocol/codes.js';
import type { AttributeValue } from '../dictionary/types.js';
import type { CoARequest, DisconnectRequest, Packet } from '../protocol/packet.js';
import { isEventTimestampCurrent } from './event-timestamp.js';
import { checkDynauthRequest, type SessionRuleOptions } from './session-rules.js';

const EVENT_TIMESTAMP = 55;

/** Options of sendToDas. */
export interface DasSendOptions {
  /** A client to send with (its sockets and statistics); a one-off client otherwise. UDP only. */
  client?: RadiusClient;
  /**
   * 'udp' (default), 'tcp' (RFC 6613) or 'tls' (RFC 6614, e.g. a NAS's RadSec listener): over TCP
   * and TLS a one-off client sends on one connection, without retransmission on it; the request's
   * secret is used (with TLS, usually 'radsec').
   */
  transport?: 'udp' | 'tcp' | 'tls';
  /** `node:tls` connection options with transport 'tls' (ca, cert, key, minVersion...). */
  tls?: RadsecConnectionOptions;
  /** Seconds per attempt, default 3. */
  timeout?: number;
  /** Retransmissions of the same bytes after the first (RFC 5176 §2.3), default 3. */
  retries?: number;
  signal?: AbortSignal;
  /**
   * Add an Event-Timestamp (now) when the request has none (RFC 5176 §6.3: SHOULD, without
   * IPsec). It is set once, so retransmissions carry the same bytes. Default true.
   */
  eventTimestamp?: boolean;
  /**
   * Seconds a reply's Event-Timestamp may differ from the local clock; a reply outside it is
   * discarded (RFC 5176 §6.3) and the call rejects with code ERR_RADIUS_STALE_EVENT_TIMESTAMP.
   * Off by default.
   */
  eventTimestampWindow?: number;
  /**
   * Check the request against RFC 5176 §3 before sending (session identification present,
   * Disconnect-Request attributes, Authorize-Only with State); default true. Pass rule options,
   * or false to send anything.
   */
  validate?: boolean | SessionRuleOptions;
}

/**
 * Sends a CoA-Request or Disconnect-Request to a Dynamic Authorization Server (a NAS) and resolves
 * `[response, responseTime]` (seconds) with the verified CoA-ACK/NAK or Disconnect-ACK/NAK; a
 * NAK's Error-Cause decodes to its name (`response.get('Error-Cause')`). Rejects with
 * RadiusTimeoutError, RadiusAbortError, or a RadiusError with code ERR_RADIUS_DYNAUTH_REQUEST for a
 * request that breaks RFC 5176 §3.
 */
export async function sendToDas(
  request: CoARequest | DisconnectRequest,
  host: string,
  port?: number,
  options: DasSendOptions = {},
): Promise<[response: Packet, responseTime: number]> {
  const transport = options.transport ?? 'udp';
  const to = port ?? (transport === 'tls' ? RADSEC_PORT : 3799);
  if (request.code !== COA_REQUEST && request.code !== DISCONNECT_REQUEST)
    throw new InvalidValueError(
      'Code',
      `${codeName(request.code)} is not a CoA-Request or Disconnect-Request`,
    );
  const window = options.eventTimestampWindow;
  if (window !== undefined && !(window > 0))
    throw new InvalidValueError('eventTimestampWindow', 'must be a positive number of seconds');
  if (options.validate !== false) {
    const violation = checkDynauthRequest(
      request.code,
      request.attributes,
      options.validate === true ? undefined : options.validate,
    );
    if (violation)
      throw new RadiusError(
        `${request.codeName} not sent: ${violation.reason}`,
        'ERR_RADIUS_DYNAUTH_REQUEST',
      );
  }
  if (options.eventTimestamp !== false && findEventTimestamp(request) === undefined) {
    const def = request.dictionary.attributeByCode(EVENT_TIMESTAMP);
    // Whole seconds: the attribute holds seconds since the epoch (RFC 2869 §5.3).
    if (def?.type === 'date') request.attributes.push(def, new Date(Math.floor(Date.now() / 1000) * 1000));
  }
  if (transport !== 'udp' && options.client)
    throw new ConfigError(
      'sendToDas options',
      'client',
      `a client of its own cannot be used with transport ${transport}`,
    );
  const client =
    options.client ??
    (transport === 'udp'
      ? new RadiusClient()
      : new RadiusClient({
          servers: [{ host, port: to, transport, tls: options.tls, secret: request.secret }],
          watchdogInterval: 0,
        }));
  try {
    const result = await client.sendPacket(request, {
      remoteHost: transport === 'udp' ? host : undefined,
      remotePort: transport === 'udp' ? to : undefined,
      timeout: options.timeout,
      retries: options.retries,
      signal: options.signal,
    });
    if (window !== undefined) {
      const stamp = findEventTimestamp(result[0]);
      if (stamp !== undefined && !isEventTimestampCurrent(stamp, window)) {
        throw new RadiusError(
          `${result[0].codeName} from ${host}:${to} discarded: its Event-Timestamp is outside ${window}s`,
          'ERR_RADIUS_STALE_EVENT_TIMESTAMP',
        );
      }
    }
    return result;
  } finally {
    if (!options.client) client.close();
  }
}

function findEventTimestamp(packet: Packet): AttributeValue | undefined {
  for (const e of packet.attributes.entries)
    if (e.def.number === EVENT_TIMESTAMP && !e.def.parent && !e.def.vendor) return e.value;
  return undefined;
}
