import type { RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  AuthenticatorError,
  ConfigError,
  InvalidValueError,
  RadiusAbortError,
  RadiusClosedError,
  RadiusConnectionError,
  RadiusQueueFullError,
  RadiusSocketError,
  RadiusTimeoutError,
} from '../errors.js';
import {
  ACCESS_REQUEST,
  ACCOUNTING_REQUEST,
  COA_REQUEST,
  codeName,
  DISCONNECT_REQUEST,
  REPLY_CODES,
  STATUS_CLIENT,
  STATUS_SERVER,
} from '../protocol/codes.js';
import { type DecodeOptions, decodeResponse, type Packet, StatusServer } from '../protocol/packet.js';
import { clearHmacKeyCache } from '../protocol/md5.js';
import { randomBytesPooled } from '../protocol/random.js';
import type { Logger } from '../server/logger.js';
import { initialTimeout, nextTimeout } from './backoff.js';
import type { ConnectionErrorKind } from '../transport/connection.js';
import { type ClientChannel, ClientSocket } from './client-socket.js';
import { CongestionWindow } from './congestion-window.js';
import { DeadlineScheduler } from './deadline-scheduler.js';
import { Destination, type ServiceKind } from './destination.js';
import { HostCache } from './host-cache.js';
import { IDENTIFIERS_PER_SOCKET } from './identifier-pool.js';
import { type AbortReceiver, PendingRequest, type SendResult, type Timers } from './pending-request.js';
import {
  accountingPortAfter,
  checkPort,
  type FailoverPolicy,
  type ServerConfig,
  ServerPool,
} from './server-pool.js';
import { type ClientStatistics, StatisticsRecorder } from './statistics.js';
import { StreamConnection, type StreamReceiver } from './stream-connection.js';

/** A reply dropped because it failed verification, as `onUnverifiedReply` reports it. */
export interface UnverifiedReply {
  /** The pool server it came from; undefined for a request sent to an address. */
  server: string | undefined;
  /** The service of the request it answered (a Status-Server: of the port it went to). */
  kind: ServiceKind;
  host: string;
  port: number;
  error: AuthenticatorError;
}

/** Options of a RadiusClient (the specification's default_server, default_port, client_identifier, and more). */
export interface RadiusClientOptions {
  /** Host for requests without `remoteHost` when no `servers` pool is configured; default 'localhost'. */
  defaultServer?: string;
  /** Port for Access-Request and Status-Server without `remotePort`; default 1812. */
  defaultPort?: number;
  /**
   * Port for Accounting-Request without `remotePort`; default `defaultPort + 1` when `defaultPort` is
   * given (1812/1813, 1645/1646: the specification's client has `default_port` alone), else 1813.
   */
  defaultAcctPort?: number;
  /** Port for CoA-Request and Disconnect-Request without `remotePort`; default 3799 (RFC 5176 §3). */
  defaultCoaPort?: number;
  /** Sent as NAS-Identifier in Access- and Accounting-Requests that carry no NAS-IP-Address, NAS-IPv6-Address or NAS-Identifier. */
  clientIdentifier?: string;
  /**
   * Seconds to wait for a reply to the first transmission (IRT of RFC 5080 §2.2.1); each
   * retransmission waits twice as long as the one before, ±10% jitter, up to `maxTimeout`; default 3.
   */
  timeout?: number;
  /** Retransmissions after the first transmission, per server (0: a single attempt; MRC); default 3. */
  retries?: number;
  /** Cap on the doubling wait between retransmissions, seconds (MRT of RFC 5080 §2.2.1); default 16. */
  maxTimeout?: number;
  /**
   * Most seconds a request may take on one server, from the call (or the failover to it) to the end
   * of its last wait, time spent waiting for a place in the server's window included (MRD of
   * RFC 5080 §2.2.1); default 30. The request stops at `retries` or here, whichever comes first.
   * A request still waiting for the window ends sooner when one sent before it got no reply to any
   * attempt while the server answered nothing else (RadiusTimeoutError with 0 attempts).
   */
  maxDuration?: number;
  /**
   * Most requests in flight to one server (address and port); the others wait in order. With
   * `adaptiveWindow`, the ceiling of the window; without, the window. Default 128: a server on a
   * default Linux socket buffer (~212 KB) holds about 190 small requests before it drops them.
   */
  maxInFlight?: number;
  /**
   * Adapt each server's window to what it answers, like TCP's congestion control: start at 32,
   * grow while replies come back, halve on a timeout (never below 4 nor above `maxInFlight`).
   * false: a fixed window of `maxInFlight`. Default true.
   */
  adaptiveWindow?: boolean;
  /**
   * Most requests waiting for a place in one server's window; beyond, sendPacket rejects at once
   * with RadiusQueueFullError. 0: never wait; Infinity: no bound. Default 65536.
   */
  maxQueued?: number;
  /**
   * Seconds a looked-up host name is trusted before it is looked up again (dns.lookup reports no
   * DNS TTL); requests keep going to the known address meanwhile. 0: look up again for each
   * request, one lookup at a time. Default 60.
   */
  dnsTtl?: number;
  /** Local address the client's sockets bind to (for servers of the same IP family); default any. */
  localAddress?: string;
  /** Told of socket errors (a failed bind, failed sends) and of failed host lookups; default none. */
  logger?: Logger;
  /**
   * Told of each reply that fails verification (Response Authenticator or Message-Authenticator,
   * RFC 2865 §3, RFC 3579 §3.2), most often a shared secret that differs between the two sides.
   * The reply is dropped and counted in `statistics.invalid.badAuthenticator` either way.
   */
  onUnverifiedReply?: (reply: UnverifiedReply) => void;
  /**
   * A failover pool: requests without `remoteHost`/`remotePort` go to these servers. Their UDP
   * sockets are connected (the kernel delivers only the server's datagrams, and keeps the route).
   */
  servers?: readonly ServerConfig[];
  /** How the pool picks a server; default 'ordered'. */
  failover?: FailoverPolicy;
  /** Seconds between Status-Server probes (RFC 5997) of a pool server marked dead; default 10. */
  probeInterval?: number;
  /**
   * false: pool servers are never marked dead nor probed here, their caller keeps their health
   * (RadiusProxy does, with zombie and dead states). Default true.
   */
  healthChecks?: boolean;
  /**
   * Largest number of UDP sockets, or TCP/TLS connections, per server address and port (256 requests
   * in flight each); default 64.
   */
  maxSockets?: number;
  /** Seconds after which a socket (or TCP/TLS connection) with nothing in flight is closed; default 30. */
  socketIdleTimeout?: number;
  /**
   * TCP/TLS servers: seconds without anything received on a connection after which a Status-Server
   * goes out on it as a watchdog (RFC 6614 §2.6, RFC 5997); a connection that does not answer it
   * within as long again is dropped, and its requests go out on a new one. 0: no watchdog. Default 10.
   */
  watchdogInterval?: number;
  /**
   * BlastRADIUS (CVE-2024-3596): true requires a Message-Authenticator in replies to Access-Request
   * and Status-Server. 'auto': required from a server once one of its verified replies carried one
   * (a server that signs some replies but not others, as FreeRADIUS 3.2.1 does with EAP and PAP,
   * needs true or false). Default (undefined or false): required only when the request carries
   * EAP-Message (RFC 3579 §3.2), the codec's rule. Accounting and CoA replies are never held to it.
   */
  requireMessageAuthenticator?: boolean | 'auto';
}

/** Per-call options of sendPacket. */
export interface SendOptions {
  /** Server host; with `remotePort` alone, the client's `defaultServer`. Without both, the pool if configured. */
  remoteHost?: string;
  /** Server port; default by packet code: `defaultPort`, `defaultAcctPort` or `defaultCoaPort`. */
  remotePort?: number;
  /** Seconds to wait after the first transmission (overrides the client's `timeout`). */
  timeout?: number;
  /** Retransmissions per server (overrides the client's `retries`). */
  retries?: number;
  /** Cap on the wait between retransmissions, seconds (overrides the client's `maxTimeout`). */
  maxTimeout?: number;
  /** Most seconds on one server (overrides the client's `maxDuration`). */
  maxDuration?: number;
  /** Aborting rejects the call with RadiusAbortError and frees its identifier. */
  signal?: AbortSignal;
  /** Send to this server of the pool (by its `name`), without failover. */
  server?: string;
}

/** Health of one port of a pool server. */
export interface ServerStatus {
  name: string;
  host: string;
  kind: ServiceKind;
  port: number;
  /** Resolved address, once looked up. */
  address: string | undefined;
  alive: boolean;
}

export type { SendResult };

const NO_OPTIONS: SendOptions = {};
const DEFAULT_DECODE: DecodeOptions = {};
const STRICT_DECODE: DecodeOptions = { requireMessageAuthenticator: true };
// A datagram's buffer is the reply's own: its attributes may be decoded when first read (a proxy
// relaying the reply as bytes never reads them).
const DEFERRED_DECODE: DecodeOptions = { deferAttributes: true };
const STRICT_DEFERRED_DECODE: DecodeOptions = { requireMessageAuthenticator: true, deferAttributes: true };
const ACCT_DELAY_TIME = 41;
const NAS_IP_ADDRESS = 4;
const NAS_IDENTIFIER = 32;
const NAS_IPV6_ADDRESS = 95;

/** The service port a request code goes to. */
function kindOf(code: number): ServiceKind {
  if (code === ACCOUNTING_REQUEST) return 'acct';
  if (code === COA_REQUEST || code === DISCONNECT_REQUEST) return 'coa';
  return 'auth';
}

/** Codes whose Request Authenticator is random rather than computed (RFC 2865 §3). */
function hasRandomAuthenticator(code: number): boolean {
  return code === ACCESS_REQUEST || code === STATUS_SERVER || code === STATUS_CLIENT;
}

function checkSeconds(value: unknown, field: string, file: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new ConfigError(file, field, `${String(value)} is not a positive number of seconds`);
  return value * 1000;
}

function checkCount(value: unknown, field: string, min: number, allowInfinity = false): number {
  if (
    typeof value !== 'number' ||
    value < min ||
    !(Number.isInteger(value) || (allowInfinity && value === Number.POSITIVE_INFINITY))
  )
    throw new ConfigError('RadiusClient options', field, `${String(value)} is not an integer ${min} or more`);
  return value;
}

/**
 * A wait cut short by MRD, rounded up to whole steps of 10 ms: the deadline scheduler keeps one
 * queue per distinct wait, and the time left differs for every request. Rounded up, the deadline
 * falls at or just past the end, where the request gives up.
 */
function untilEnd(leftMs: number): number {
  return Math.max(10, Math.ceil(leftMs / 10) * 10);
}

/**
 * Wait before a new TCP/TLS connection to a server whose last `failures` connections failed or
 * dropped with requests on them: none at first, then 100 ms doubling up to 10 s, ±10%.
 */
function reconnectDelay(failures: number): number {
  if (failures === 0) return 0;
  const base = Math.min(10_000, 100 * 2 ** Math.min(failures - 1, 7));
  return Math.round(base * (0.9 + Math.random() * 0.2));
}

/** At most one log line a second for send errors: a full socket buffer fails thousands at once. */
const SEND_ERROR_LOG_MS = 1000;

function checkRetries(value: unknown, field: string, file: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100)
    throw new ConfigError(file, field, `${String(value)} is not an integer 0..100`);
  return value;
}

/**
 * The RADIUS client of the specification. `sendPacket` sets the identifier, sends, retransmits
 * the same bytes on timeout with exponential backoff and jitter (RFC 5080 §2.2.1), verifies the
 * reply against the request (Response Authenticator and Message-Authenticator over the bytes
 * received), and resolves `[response, responseTime]`. Each server gets a window of requests in
 * flight (adaptive by default); the others wait in order, up to `maxQueued`. One UDP socket
 * carries at most 256 requests to one server; more in flight open more sockets, up to
 * `maxSockets`. A `servers` pool adds failover with Status-Server probes (RFC 5997).
 * Retransmission deadlines of all requests share one timer.
 */
export class RadiusClient implements StreamReceiver, AbortReceiver {
  readonly defaultServer: string;
  readonly defaultPort: number;
  readonly defaultAcctPort: number;
  readonly defaultCoaPort: number;
  readonly clientIdentifier: string | undefined;
  /** Seconds to wait after the first transmission (IRT). */
  readonly timeout: number;
  readonly retries: number;
  /** Cap on the wait between retransmissions, seconds (MRT). */
  readonly maxTimeout: number;
  /** Most seconds a request takes on one server (MRD). */
  readonly maxDuration: number;
  readonly maxSockets: number;
  readonly maxInFlight: number;
  readonly adaptiveWindow: boolean;
  readonly maxQueued: number;
  /** Seconds a looked-up host name is trusted. */
  readonly dnsTtl: number;
  readonly localAddress: string | undefined;

  private readonly timers: Timers;
  private readonly logger: Logger | undefined;
  private readonly onUnverifiedReply: ((reply: UnverifiedReply) => void) | undefined;
  private lastSendErrorLog = Number.NEGATIVE_INFINITY;
  private unloggedSendErrors = 0;
  private readonly probeIntervalMs: number;
  private readonly healthChecks: boolean;
  private readonly idleMs: number;
  private readonly watchdogMs: number;
  private readonly strictAccess: boolean;
  private readonly autoAccess: boolean;
  /**
   * 'auto': servers (address and port) whose Access-* replies carried Message-Authenticator. Kept
   * apart from destinations, which are dropped when idle: what was learnt must outlive them.
   */
  private readonly signedBy = new Set<string>();
  private readonly ports: Record<ServiceKind, number>;
  private readonly pool: ServerPool | undefined;
  private readonly direct = new Map<string, Destination>();
  private readonly hosts: HostCache;
  private readonly stats = new StatisticsRecorder();
  private readonly scheduler: DeadlineScheduler<PendingRequest>;
  private lastDirect: Destination | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private isClosed = false;
  private readonly sweep = (): void => this.closeIdleSockets();
  private readonly probeTick = (dest: Destination): void => this.probe(dest);

  constructor(options: RadiusClientOptions = {}) {
    const file = 'RadiusClient options';
    this.defaultServer = options.defaultServer ?? 'localhost';
    this.defaultPort = checkPort(options.defaultPort ?? 1812, 'defaultPort');
    // The specification's client has one port option: with it alone, accounting takes the next port.
    this.defaultAcctPort =
      options.defaultAcctPort !== undefined
        ? checkPort(options.defaultAcctPort, 'defaultAcctPort')
        : options.defaultPort !== undefined
          ? accountingPortAfter(this.defaultPort, 'defaultAcctPort')
          : 1813;
    this.defaultCoaPort = checkPort(options.defaultCoaPort ?? 3799, 'defaultCoaPort');
    this.ports = { auth: this.defaultPort, acct: this.defaultAcctPort, coa: this.defaultCoaPort };
    this.clientIdentifier = options.clientIdentifier;
    this.timeout = options.timeout ?? 3;
    this.maxTimeout = options.maxTimeout ?? 16;
    this.maxDuration = options.maxDuration ?? 30;
    this.timers = {
      initialMs: checkSeconds(this.timeout, 'timeout', file),
      maxMs: checkSeconds(this.maxTimeout, 'maxTimeout', file),
      durationMs: checkSeconds(this.maxDuration, 'maxDuration', file),
    };
    this.retries = checkRetries(options.retries ?? 3, 'retries', file);
    this.maxInFlight = checkCount(options.maxInFlight ?? 128, 'maxInFlight', 1);
    this.adaptiveWindow = options.adaptiveWindow ?? true;
    if (typeof this.adaptiveWindow !== 'boolean')
      throw new ConfigError(file, 'adaptiveWindow', `${String(this.adaptiveWindow)} is not true or false`);
    this.maxQueued = checkCount(options.maxQueued ?? 65536, 'maxQueued', 0, true);
    this.dnsTtl = options.dnsTtl ?? 60;
    if (typeof this.dnsTtl !== 'number' || !(this.dnsTtl >= 0) || !Number.isFinite(this.dnsTtl))
      throw new ConfigError(file, 'dnsTtl', `${String(this.dnsTtl)} is not a number of seconds, 0 or more`);
    this.hosts = new HostCache(this.dnsTtl * 1000);
    this.localAddress = options.localAddress;
    if (this.localAddress !== undefined && isIP(this.localAddress) === 0)
      throw new ConfigError(file, 'localAddress', `${String(this.localAddress)} is not an IP address`);
    this.logger = options.logger;
    this.onUnverifiedReply = options.onUnverifiedReply;
    this.probeIntervalMs = checkSeconds(options.probeInterval ?? 10, 'probeInterval', file);
    this.healthChecks = options.healthChecks !== false;
    this.idleMs = checkSeconds(options.socketIdleTimeout ?? 30, 'socketIdleTimeout', file);
    const watchdog = options.watchdogInterval ?? 10;
    this.watchdogMs = watchdog === 0 ? 0 : checkSeconds(watchdog, 'watchdogInterval', file);
    const maxSockets = options.maxSockets ?? 64;
    if (!Number.isInteger(maxSockets) || maxSockets < 1)
      throw new ConfigError(file, 'maxSockets', `${String(maxSockets)} is not a positive integer`);
    this.maxSockets = maxSockets;
    const requireMA = options.requireMessageAuthenticator ?? false;
    if (requireMA !== true && requireMA !== false && requireMA !== 'auto') {
      throw new ConfigError(
        file,
        'requireMessageAuthenticator',
        `${String(requireMA)} is not true, false or 'auto'`,
      );
    }
    this.strictAccess = requireMA === true;
    this.autoAccess = requireMA === 'auto';
    const servers = options.servers ?? [];
    this.pool =
      servers.length > 0 ? new ServerPool(servers, options.failover ?? 'ordered', this.ports) : undefined;
    this.scheduler = new DeadlineScheduler<PendingRequest>((req) => this.onDeadline(req));
    this.scheduler.setKeepAlive(false);
  }

  /** Counters and response times (seconds) since the client was made. */
  get statistics(): ClientStatistics {
    return this.stats.snapshot();
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Health of every port of every pool server. */
  serverStatus(): ServerStatus[] {
    const out: ServerStatus[] = [];
    if (!this.pool) return out;
    for (const s of this.pool.servers) {
      for (const kind of ['auth', 'acct', 'coa'] as const) {
        const d = s.destinations[kind];
        out.push({ name: s.name, host: s.host, kind, port: d.port, address: d.address, alive: d.alive });
      }
    }
    return out;
  }

  /**
   * Whether pool server `name` is marked alive on the port of `kind` (false after a request
   * timed out there, true again once it answers a Status-Server probe, RFC 5997); undefined for
   * a name not in the pool.
   */
  serverAlive(name: string, kind: ServiceKind): boolean | undefined {
    return this.pool?.byName(name)?.destinations[kind].alive;
  }

  /**
   * Sends `request` and resolves `[response, responseTime]` (seconds, from the first transmission)
   * with the verified reply. The packet's identifier is set here; with a pool server's own secret,
   * its secret too. Rejects with RadiusTimeoutError, RadiusQueueFullError (at once, when
   * `maxQueued` requests already wait for the server), RadiusSocketError (a socket that cannot be
   * bound), RadiusConnectionError (a TCP/TLS connection that could not be made, e.g. a server
   * certificate that does not verify), RadiusAbortError, RadiusClosedError, or the error of a host
   * lookup or of encoding.
   * Replies that do not verify are ignored and counted.
   */
  sendPacket(request: Packet, options: SendOptions = NO_OPTIONS): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) =>
      this.sendPacketWith(request, options, resolve, reject),
    );
  }

  /**
   * sendPacket with callbacks instead of a promise, for engines layered on the client (a proxy
   * forwarding thousands of requests a second): exactly one of `onReply` and `onError` is called,
   * with what sendPacket would resolve or reject with, possibly before this call returns. A
   * callback must not throw.
   */
  sendPacketWith(
    request: Packet,
    options: SendOptions,
    onReply: (result: SendResult) => void,
    onError: (error: unknown) => void,
  ): void {
    if (this.isClosed) {
      onError(new RadiusClosedError('client closed'));
      return;
    }
    const signal = options.signal;
    if (signal?.aborted) {
      onError(new RadiusAbortError({ cause: signal.reason }));
      return;
    }
    let dest: Destination;
    let timers = this.timers;
    let attempts = this.retries + 1;
    try {
      if (REPLY_CODES[request.code] === undefined)
        throw new InvalidValueError(
          'Code',
          `${codeName(request.code)} is not a request this client can send`,
        );
      if (
        options.timeout !== undefined ||
        options.maxTimeout !== undefined ||
        options.maxDuration !== undefined
      )
        timers = this.callTimers(options);
      if (options.retries !== undefined)
        attempts = checkRetries(options.retries, 'retries', 'sendPacket options') + 1;
      dest = this.route(request.code, options);
    } catch (err) {
      onError(err);
      return;
    }
    if (this.queuedFor(dest) >= this.maxQueued && this.mustWait(dest)) {
      this.stats.queueFull++;
      onError(new RadiusQueueFullError(dest.label, this.maxQueued));
      return;
    }
    this.addNasIdentifier(request);
    const pooled = dest.pooled && options.server === undefined;
    const req = new PendingRequest(this, request, timers, attempts, pooled, false, signal);
    req.resolve = onReply;
    req.reject = onError;
    this.stats.requests++;
    if (this.stats.pending++ === 0) this.scheduler.setKeepAlive(true);
    if (signal !== undefined) signal.addEventListener('abort', req, { once: true });
    req.serverStart = performance.now();
    this.dispatch(req, dest);
  }

  /** Closes every socket, stops probes, and rejects every pending call with RadiusClosedError. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const dest of this.allDestinations()) {
      for (const sock of [...dest.sockets, ...dest.retired]) {
        for (const req of sock.ids.values()) this.failClosed(req);
        sock.close();
      }
      this.stats.sockets -= dest.sockets.length + dest.retired.length;
      dest.sockets.length = 0;
      dest.retired.length = 0;
      dest.freeIds = 0;
      for (const req of dest.waiting.drain()) this.failClosed(req);
      dest.needId.drain();
      dest.flight.drain();
      const resolving = dest.resolving;
      dest.resolving = undefined;
      if (resolving) {
        this.stats.queued -= resolving.length;
        for (const req of resolving) this.failClosed(req);
      }
      if (dest.probeTimer !== undefined) clearInterval(dest.probeTimer);
      dest.probeTimer = undefined;
    }
    this.direct.clear();
    this.lastDirect = undefined;
    this.scheduler.clear();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    // The shared secrets this client used leave memory with it (the cache refills on use elsewhere).
    clearHmacKeyCache();
  }

  /** AbortSignal listener target: frees the identifier and rejects with RadiusAbortError. */
  abortRequest(req: PendingRequest): void {
    if (req.settled) return;
    const reason = req.signal?.reason;
    const reject = req.reject;
    this.stats.aborted++;
    const dest = this.settle(req);
    reject?.(new RadiusAbortError({ cause: reason }));
    if (dest !== undefined) this.pump(dest);
  }

  private rememberSigned(key: string): void {
    if (this.signedBy.has(key)) return;
    // Bounded: past 4096 servers the oldest is forgotten (and is held to the reply again once it signs one).
    if (this.signedBy.size >= 4096) this.signedBy.delete(this.signedBy.values().next().value as string);
    this.signedBy.add(key);
  }

  /** Entry point of every datagram arriving on a client socket. */
  onDatagram(sock: ClientChannel, data: Buffer, remote: RemoteInfo): void {
    const dest = sock.destination;
    const invalid = this.stats.invalid;
    if (remote.port !== sock.port || remote.address !== sock.address) {
      invalid.wrongSource++;
      return;
    }
    if (data.length < 20) {
      invalid.malformed++;
      return;
    }
    const id = sock.stream ? (sock as StreamConnection).idOf(data) : data[1];
    const req = id < 0 ? undefined : sock.ids.get(id);
    if (req === undefined) {
      invalid.unknownIdentifier++;
      return;
    }
    const packet = req.packet as Packet;
    // The transmission being answered, even if the packet object was sent again meanwhile.
    packet.identifier = req.identifier;
    packet.authenticator = req.authenticator as Buffer;
    packet.token = req.token;
    const access = packet.code === ACCESS_REQUEST || packet.code === STATUS_SERVER;
    const signedKey = this.autoAccess && access ? `${remote.address}|${remote.port}` : '';
    const strict = access && (this.strictAccess || (this.autoAccess && this.signedBy.has(signedKey)));
    let response: Packet;
    try {
      const options = sock.stream
        ? strict
          ? STRICT_DECODE
          : DEFAULT_DECODE
        : strict
          ? STRICT_DEFERRED_DECODE
          : DEFERRED_DECODE;
      response = decodeResponse(req.secret as Buffer, data, packet, options);
    } catch (err) {
      if (err instanceof AuthenticatorError) {
        invalid.badAuthenticator++;
        this.onUnverifiedReply?.({
          server: dest.server,
          kind: packet.code === STATUS_SERVER ? dest.kind : kindOf(packet.code),
          host: dest.host,
          port: dest.port,
          error: err,
        });
      } else invalid.malformed++;
      // RFC 6613 §2.6.4: over a stream, a reply that does not verify or parse ends the connection;
      // what it carried goes out again on a new one.
      if (sock.stream) (sock as StreamConnection).destroy(err as Error);
      return;
    }
    // Learnt from Access-* replies only: Status-Server replies always carry one (RFC 5997), and a
    // server signing those says nothing of how it answers Access-Requests.
    if (this.autoAccess && packet.code === ACCESS_REQUEST && response.messageAuthenticator)
      this.rememberSigned(signedKey);
    const now = performance.now();
    dest.lastReplyAt = now;
    if (!dest.alive) this.markAlive(dest);
    if (dest.streamFailures !== 0) dest.streamFailures = 0;
    if (req.inWindow) {
      const win = dest.window as CongestionWindow;
      win.onReply();
      if (req.totalAttempts === 1) win.sample(now - req.lastSent);
    }
    const resolve = req.resolve;
    const seconds = (now - req.firstSent) / 1000;
    if (!req.probe) this.stats.recordResponse(seconds);
    this.settle(req);
    this.pump(dest);
    resolve?.([response, seconds]);
  }

  /**
   * A socket reported an error. Every one is counted and logged; a failed bind also fails, at
   * once, the requests the socket carried and those waiting for the server: they could only time
   * out, and the cause (an address that cannot be bound, no ports left) would be lost.
   */
  onSocketError(sock: ClientChannel, error: Error, kind: ConnectionErrorKind): void {
    this.stats.socketErrors++;
    const dest = sock.destination;
    if (kind === 'send') {
      const now = performance.now();
      if (now - this.lastSendErrorLog < SEND_ERROR_LOG_MS) {
        this.unloggedSendErrors++;
        return;
      }
      this.lastSendErrorLog = now;
      const suppressed = this.unloggedSendErrors;
      this.unloggedSendErrors = 0;
      this.logger?.warn(
        { server: dest.label, code: (error as NodeJS.ErrnoException).code, err: error.message, suppressed },
        'RADIUS client send failed',
      );
      return;
    }
    this.logger?.error(
      {
        server: dest.label,
        localAddress: this.localAddress,
        code: (error as NodeJS.ErrnoException).code,
        err: error.message,
      },
      'RADIUS client socket bind failed',
    );
    if (sock.isClosed) return;
    this.retire(sock);
    const failure = new RadiusSocketError(dest.label, { cause: error });
    for (const req of sock.ids.values()) this.fail(req, failure);
    while (dest.queued > 0) {
      const req = dest.waiting.shift() as PendingRequest;
      if (req.queued) this.fail(req, failure);
    }
    dest.waiting.drain();
    this.closeIfDone(sock);
  }

  /**
   * A TCP/TLS connection ended. One that never came up (refused, a failed TLS handshake), or that
   * the server refused right after its TLS handshake (StreamConnection.refusal), fails the
   * requests it carried at once with RadiusConnectionError (pool requests move to the next server
   * first). One that was up hands its requests to a new connection, opened after a backoff when
   * connections keep dropping: they go out again under new identifiers, within their time.
   */
  onStreamClosed(conn: StreamConnection, error: Error | undefined): void {
    const dest = conn.destination;
    const refusal = conn.refusal(error, performance.now());
    this.stats.socketErrors += error === undefined && refusal === undefined ? 0 : 1;
    const reqs = conn.ids.values();
    if (!conn.retired) this.retire(conn);
    else this.closeIfDone(conn);
    if (this.isClosed) return;
    if (!conn.established || refusal !== undefined) {
      dest.streamFailures++;
      const cause = refusal ?? error ?? new Error('connection closed before it was established');
      const failure = new RadiusConnectionError(dest.label, conn.transport, {
        cause,
        refusedByServer: refusal !== undefined,
      });
      this.logger?.warn(
        { server: dest.label, code: (cause as NodeJS.ErrnoException).code, err: failure.message },
        `RADIUS client ${conn.transport.toUpperCase()} connection ${refusal === undefined ? 'failed' : 'refused by the server'}`,
      );
      for (const req of reqs) this.failOver(req, dest, failure);
      // No other connection to the server is up or on its way: the calls waiting for one would
      // meet the same end, a window of them per reconnection backoff (a burst would take 30 s).
      if (dest.sockets.length === 0)
        for (const req of this.takeWaiting(dest)) this.failOver(req, dest, failure);
    } else {
      if (reqs.length > 0) dest.streamFailures++;
      if (error !== undefined || reqs.length > 0)
        this.logger?.warn(
          { server: dest.label, err: error?.message, inFlight: reqs.length },
          `RADIUS client ${conn.transport.toUpperCase()} connection dropped`,
        );
      for (const req of reqs) {
        if (req.settled) continue;
        if (req.probe) {
          this.settle(req);
          continue;
        }
        // Each sending on a new connection is a retransmission: `retries` bounds them (MRC, RFC 5080
        // §2.2.1; one is always allowed), or a server that keeps dropping connections got the request
        // (an accounting record: a new one each time) again and again until maxDuration.
        if (req.attempts >= Math.max(2, req.attemptsPerServer)) {
          this.giveUp(req, dest);
          continue;
        }
        // Keeps its identifier on the dropped connection (its deadline is there) until a new one
        // gives it another.
        req.needsId = true;
        dest.needId.push(req);
      }
    }
    this.pump(dest);
  }

  /** The request cannot go to `dest`: the next pool server, or `error`. */
  private failOver(req: PendingRequest, dest: Destination, error: Error): void {
    if (req.settled) return;
    if (req.probe) {
      this.settle(req);
      return;
    }
    this.leave(req);
    if (dest.pooled) this.markDead(dest, req.secret ?? dest.secret ?? req.ownSecret);
    if (req.pooled && this.pool) {
      const next = this.pool.next(dest, req.tried, kindOf((req.packet as Packet).code));
      if (next !== undefined) {
        (req.tried ??= []).push(dest);
        this.stats.failovers++;
        req.serverStart = performance.now();
        this.scheduler.cancel(req);
        this.dispatch(req, next);
        return;
      }
    }
    this.fail(req, error);
  }

  /** A connection came up speaking RADIUS/1.1: a request written before it knew gets a Token. */
  recode(conn: StreamConnection, data: Buffer): Buffer | undefined {
    const req = conn.ids.get(data[1]);
    if (req === undefined || req.settled || req.bytes !== data) return undefined;
    const packet = req.packet as Packet;
    packet.identifier = req.identifier;
    return this.encode(req, packet) ? req.bytes : undefined;
  }

  /**
   * Nothing came on a connection for the watchdog interval: a Status-Server goes out on it
   * (RFC 6614 §2.6); when the last one went unanswered for as long, the connection is dropped.
   */
  onStreamWatchdog(conn: StreamConnection, now: number): void {
    // A retired connection only finishes what it carries (its identifiers no longer count as free).
    if (this.isClosed || conn.isClosed || !conn.established || conn.retired) return;
    if (now - conn.lastReceived < this.watchdogMs) return;
    if (conn.watchdogSent > conn.lastReceived) {
      if (now - conn.watchdogSent >= this.watchdogMs)
        conn.destroy(new Error('no reply to the Status-Server watchdog'));
      return;
    }
    const dest = conn.destination;
    const secret = dest.secret ?? conn.lastSecret;
    if (secret === undefined || conn.ids.available === 0) return;
    const packet = new StatusServer(secret);
    const waitMs = this.watchdogMs;
    const timers: Timers = { initialMs: waitMs, maxMs: waitMs, durationMs: waitMs };
    const req = new PendingRequest(this, packet, timers, 1, false, true, undefined);
    req.watchdog = true;
    req.destination = dest;
    req.serverStart = now;
    conn.watchdogSent = now;
    this.stats.probes++;
    this.start(req, dest, conn);
  }

  /** A request written on a connection: its wait, and the secret a watchdog will be signed with. */
  private streamSent(req: PendingRequest, conn: StreamConnection, now: number): number {
    conn.lastSecret = req.secret;
    return req.watchdog ? req.timers.durationMs : this.streamWait(req, now);
  }

  // ------------------------------------------------------------------------------------------
  // Routing

  private callTimers(options: SendOptions): Timers {
    const file = 'sendPacket options';
    const t = this.timers;
    return {
      initialMs: options.timeout === undefined ? t.initialMs : checkSeconds(options.timeout, 'timeout', file),
      maxMs:
        options.maxTimeout === undefined ? t.maxMs : checkSeconds(options.maxTimeout, 'maxTimeout', file),
      durationMs:
        options.maxDuration === undefined
          ? t.durationMs
          : checkSeconds(options.maxDuration, 'maxDuration', file),
    };
  }

  private route(code: number, options: SendOptions): Destination {
    const kind = kindOf(code);
    if (options.server !== undefined) {
      const server = this.pool?.byName(options.server);
      if (!server)
        throw new ConfigError('sendPacket options', 'server', `no pool server named ${options.server}`);
      return server.destinations[kind];
    }
    if (options.remoteHost === undefined && options.remotePort === undefined && this.pool)
      return this.pool.pick(kind);
    const host = options.remoteHost ?? this.defaultServer;
    const port =
      options.remotePort === undefined
        ? this.ports[kind]
        : checkPort(options.remotePort, 'remotePort', 'sendPacket options');
    const last = this.lastDirect;
    if (last !== undefined && last.host === host && last.port === port) return last;
    // Sockets are shared by every request to this address and port, whatever its code.
    const key = `${port} ${host}`;
    let dest = this.direct.get(key);
    if (dest === undefined) {
      dest = new Destination(host, port, kind);
      this.direct.set(key, dest);
    }
    this.lastDirect = dest;
    return dest;
  }

  private *allDestinations(): IterableIterator<Destination> {
    yield* this.direct.values();
    if (this.pool) yield* this.pool.destinations();
  }

  /** Host names are looked up once per client and name, and again once the answer is `dnsTtl` old. */
  private lookupThenDispatch(req: PendingRequest, dest: Destination): void {
    this.stats.queued++;
    if (dest.resolving !== undefined) {
      dest.resolving.push(req);
      return;
    }
    dest.resolving = [req];
    this.hosts.lookup(dest.host, performance.now()).then(
      ({ address, family }) => {
        dest.setAddress(address, family);
        dest.resolvedAt = performance.now();
        const list = dest.resolving ?? [];
        dest.resolving = undefined;
        this.stats.queued -= list.length;
        for (const r of list) if (!r.settled) this.dispatch(r, dest);
      },
      (err: unknown) => {
        this.logger?.warn({ host: dest.host, err: String(err) }, 'RADIUS client host lookup failed');
        const list = dest.resolving ?? [];
        dest.resolving = undefined;
        this.stats.queued -= list.length;
        for (const r of list) this.fail(r, err);
      },
    );
  }

  /**
   * The address of a host name is trusted `dnsTtl` seconds; then it is looked up again while
   * requests keep going to the known one. A new address gets new sockets; the old ones finish
   * what they carry (their replies come from the old address) and close.
   */
  private refreshAddress(dest: Destination, now: number): void {
    dest.refreshing = true;
    this.hosts.lookup(dest.host, now).then(
      ({ address, family }) => {
        dest.refreshing = false;
        dest.resolvedAt = performance.now();
        const before = dest.address;
        const beforeFamily = dest.family;
        dest.setAddress(address, family);
        if (dest.address === before && dest.family === beforeFamily) return;
        for (const sock of [...dest.sockets]) this.retire(sock);
        this.pump(dest);
      },
      (err: unknown) => {
        // The known address stays in use; the name is looked up again after another dnsTtl.
        dest.refreshing = false;
        dest.resolvedAt = performance.now();
        this.logger?.warn({ host: dest.host, err: String(err) }, 'RADIUS client host lookup failed');
      },
    );
  }

  // ------------------------------------------------------------------------------------------
  // The window, identifiers and sockets

  private windowOf(dest: Destination): CongestionWindow {
    let win = dest.window;
    if (win === undefined) {
      win = new CongestionWindow(this.maxInFlight, this.adaptiveWindow);
      dest.window = win;
    }
    return win;
  }

  /** Requests waiting for the server: for a place in its window, an identifier, or its address. */
  private queuedFor(dest: Destination): number {
    return dest.queued + (dest.resolving?.length ?? 0);
  }

  /** Whether a new request to `dest` would have to wait. */
  private mustWait(dest: Destination): boolean {
    if (dest.address === undefined || dest.queued > 0) return true;
    if (!this.windowOf(dest).open) return true;
    return dest.freeIds === 0 && dest.sockets.length >= this.maxSockets;
  }

  /** Hands a request to a server: sends it now if its window and an identifier allow, else queues it. */
  private dispatch(req: PendingRequest, dest: Destination): void {
    req.destination = dest;
    if (dest.address === undefined) {
      this.lookupThenDispatch(req, dest);
      return;
    }
    if (!dest.literal && !dest.refreshing) {
      const now = performance.now();
      if (now - dest.resolvedAt >= this.hosts.ttlMs) this.refreshAddress(dest, now);
    }
    if (dest.queued === 0) {
      const sock = this.windowOf(dest).open ? this.socketWithFreeId(dest) : undefined;
      if (sock !== undefined) {
        this.start(req, dest, sock);
        return;
      }
    }
    req.queued = true;
    dest.queued++;
    this.stats.queued++;
    dest.waiting.push(req);
    // MRD counts the wait: a request that never gets a place ends as a timeout, not never.
    const left = req.serverStart + req.timers.durationMs - performance.now();
    this.scheduler.schedule(req, req, 0, untilEnd(left), performance.now());
  }

  /** Takes an identifier on `sock`, enters the window and sends. */
  private start(req: PendingRequest, dest: Destination, sock: ClientChannel): void {
    req.identifier = sock.ids.take(req);
    req.socket = sock;
    dest.freeIds--;
    if (!req.probe) {
      (dest.window as CongestionWindow).inFlight++;
      req.inWindow = true;
      dest.flight.push(req);
    }
    this.transmitNew(req);
  }

  /** A socket of `dest` with a free identifier, opening one if `maxSockets` allows. */
  private socketWithFreeId(dest: Destination): ClientChannel | undefined {
    if (dest.freeIds > 0) {
      for (const s of dest.sockets) if (s.ids.available > 0) return s;
    }
    if (dest.sockets.length < this.maxSockets) return this.openSocket(dest);
    return undefined;
  }

  /**
   * Moves waiting requests into the window while it has room and identifiers are free: first the
   * changed retransmissions that need a new identifier (they are in flight already), then new
   * requests in call order.
   */
  private pump(dest: Destination): void {
    if (dest.pumping || this.isClosed || dest.address === undefined) return;
    dest.pumping = true;
    try {
      while (dest.needId.size > 0) {
        const req = dest.needId.peek() as PendingRequest;
        if (!req.needsId) {
          dest.needId.shift();
          continue;
        }
        const sock = this.socketWithFreeId(dest);
        if (sock === undefined) break;
        dest.needId.shift();
        req.needsId = false;
        this.resendWithNewId(req, sock, performance.now());
      }
      const win = this.windowOf(dest);
      this.presumeLost(dest, win);
      while (dest.queued > 0 && win.open) {
        const req = dest.waiting.peek() as PendingRequest;
        if (!req.queued) {
          dest.waiting.shift();
          continue;
        }
        const sock = this.socketWithFreeId(dest);
        if (sock === undefined) break;
        dest.waiting.shift();
        this.unqueue(req, dest);
        this.start(req, dest, sock);
      }
      if (dest.queued === 0 && dest.waiting.size > 0) dest.waiting.drain();
    } finally {
      dest.pumping = false;
    }
  }

  /**
   * Drops from the head of `flight` the requests no longer in the window, and, while requests
   * wait, takes out of the window those unanswered for longer than its loss wait. At most
   * `maxInFlight` are presumed lost at a time: should the server be slow rather than losing them,
   * it holds no more than twice `maxInFlight`.
   */
  private presumeLost(dest: Destination, win: CongestionWindow): void {
    const flight = dest.flight;
    let now = -1;
    while (flight.size > 0) {
      const head = flight.peek() as PendingRequest;
      if (head.inWindow && head.destination === dest) {
        if (dest.queued === 0 || win.open || win.presumedLost >= win.max) return;
        if (now < 0) now = performance.now();
        if (now - head.lastSent < win.lossWaitMs) return;
        head.inWindow = false;
        win.inFlight--;
        head.presumedLost = true;
        win.presumedLost++;
      }
      flight.shift();
    }
  }

  /** The request is no longer counted as presumed lost (answered, timed out, or gone). */
  private clearPresumedLost(req: PendingRequest, dest: Destination): void {
    if (!req.presumedLost) return;
    req.presumedLost = false;
    (dest.window as CongestionWindow).presumedLost--;
  }

  private unqueue(req: PendingRequest, dest: Destination): void {
    req.queued = false;
    dest.queued--;
    this.stats.queued--;
  }

  private openSocket(dest: Destination): ClientChannel {
    const local = this.localAddress;
    const sameFamily = local !== undefined && (isIP(local) === 6) === (dest.family === 'udp6');
    const sock =
      dest.transport === 'udp'
        ? new ClientSocket(dest, this, sameFamily ? local : undefined)
        : new StreamConnection(dest, this, {
            transport: dest.transport,
            tls: dest.tls,
            localAddress: sameFamily ? local : undefined,
            delayMs: reconnectDelay(dest.streamFailures),
            watchdogMs: this.watchdogMs,
          });
    dest.sockets.push(sock);
    dest.freeIds += IDENTIFIERS_PER_SOCKET;
    this.stats.sockets++;
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(this.sweep, Math.max(100, this.idleMs / 2));
      this.sweeper.unref();
    }
    return sock;
  }

  /** Takes a socket out of service: no new requests; it closes once its last one is done. */
  private retire(sock: ClientChannel): void {
    if (sock.retired) return;
    const dest = sock.destination;
    sock.retired = true;
    const at = dest.sockets.indexOf(sock);
    if (at >= 0) dest.sockets.splice(at, 1);
    dest.freeIds -= sock.ids.available;
    dest.retired.push(sock);
    this.closeIfDone(sock);
  }

  private closeIfDone(sock: ClientChannel): void {
    if (!sock.retired || sock.ids.inUse > 0) return;
    const dest = sock.destination;
    const at = dest.retired.indexOf(sock);
    if (at < 0) return;
    dest.retired.splice(at, 1);
    sock.close();
    this.stats.sockets--;
  }

  /** Frees the request's identifier (the caller moves waiting requests in with pump()). */
  private returnIdentifier(req: PendingRequest): void {
    const sock = req.socket;
    if (sock === undefined) return;
    const id = req.identifier;
    req.socket = undefined;
    req.identifier = -1;
    this.releaseId(sock, id, req.watchdog);
  }

  /** A watchdog's identifier coming back does not make its connection busy again (`idleSince`). */
  private releaseId(sock: ClientChannel, id: number, watchdog = false): void {
    sock.ids.release(id);
    if (sock.retired) {
      this.closeIfDone(sock);
      return;
    }
    sock.destination.freeIds++;
    if (sock.ids.inUse === 0 && !watchdog) sock.idleSince = performance.now();
  }

  private closeIdleSockets(): void {
    const now = performance.now();
    for (const dest of this.allDestinations()) {
      const socks = dest.sockets;
      for (let i = socks.length - 1; i >= 0; i--) {
        const s = socks[i];
        if (s.ids.inUse === 0 && now - s.idleSince >= this.idleMs) {
          s.close();
          socks.splice(i, 1);
          dest.freeIds -= IDENTIFIERS_PER_SOCKET;
          this.stats.sockets--;
        }
      }
    }
    for (const [key, dest] of this.direct) {
      if (dest.unused) {
        this.direct.delete(key);
        if (this.lastDirect === dest) this.lastDirect = undefined;
      }
    }
    this.hosts.prune(now);
    if (this.stats.sockets === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Transmission

  /** The wait after a transmission: RT, cut so the request ends by its MRD. */
  private waitFor(req: PendingRequest, now: number): number {
    const left = req.serverStart + req.timers.durationMs - now;
    return req.rtMs < left ? req.rtMs : untilEnd(left);
  }

  /**
   * The wait on a TCP/TLS connection, which is not retransmitted on (RFC 6613 §2.6): the time the
   * retransmissions would have taken (RT over every attempt, without jitter), cut by MRD.
   */
  private streamWait(req: PendingRequest, now: number): number {
    const t = req.timers;
    let budget = 0;
    let rt = Math.min(t.initialMs, t.maxMs);
    for (let i = 0; i < req.attemptsPerServer; i++) {
      budget += rt;
      rt = Math.min(rt * 2, t.maxMs);
    }
    const left = req.serverStart + t.durationMs - now;
    return untilEnd(Math.min(left, req.firstSentHere + budget - now));
  }

  /** First transmission under a new identifier: encode once, send, start the attempt's deadline. */
  private transmitNew(req: PendingRequest): void {
    const packet = req.packet as Packet;
    const dest = req.destination as Destination;
    const now = performance.now();
    if (req.firstSent < 0) {
      req.firstSent = now;
      if (packet.code === ACCOUNTING_REQUEST) this.findAcctDelay(req, packet);
    } else {
      // Sent before under another identifier (failover): RFC 5080 §2.2.1 wants a fresh authenticator.
      if (hasRandomAuthenticator(packet.code)) packet.authenticator = randomBytesPooled(16);
      if (req.delayEntry !== undefined) this.updateAcctDelay(req, now);
    }
    packet.identifier = req.identifier;
    packet.secret = dest.secret ?? req.ownSecret;
    if (!this.encode(req, packet)) return;
    req.attempts = 1;
    req.totalAttempts++;
    req.lastSent = now;
    req.awaitingReply = true;
    req.rtMs = initialTimeout(req.timers.initialMs, req.timers.maxMs);
    req.firstSentHere = now;
    const sock = req.socket as ClientChannel;
    sock.send(req.bytes as Buffer);
    const wait = sock.stream ? this.streamSent(req, sock as StreamConnection, now) : this.waitFor(req, now);
    this.scheduler.schedule(req, sock, req.identifier, wait, now);
  }

  private encode(req: PendingRequest, packet: Packet): boolean {
    const sock = req.socket as ClientChannel;
    // Over RADIUS/1.1 each transmission has a Token of its own (RFC 9765 §4.2.1).
    packet.token = sock.stream ? (sock as StreamConnection).tokenFor(req.identifier) : undefined;
    req.token = packet.token;
    try {
      req.bytes = packet.encode();
    } catch (err) {
      const reject = req.reject;
      const dest = this.settle(req);
      reject?.(err);
      if (dest !== undefined) this.pump(dest);
      return false;
    }
    req.secret = packet.secret;
    req.authenticator = packet.authenticator;
    return true;
  }

  /** A deadline passed: retransmit, move to the next pool server, or give up. */
  private onDeadline(req: PendingRequest): void {
    if (req.settled) return;
    const dest = req.destination as Destination;
    const now = performance.now();
    if (req.queued) {
      // MRD passed before the server's window had room for it.
      this.unqueue(req, dest);
      this.giveUp(req, dest);
      return;
    }
    if (!req.probe) {
      // Once per transmission: a wait for a free identifier (below) is not another one.
      if (req.awaitingReply) {
        req.awaitingReply = false;
        this.stats.noResponses++;
      }
      // No reply is the only sign of loss RADIUS has: the window shrinks on it. The request leaves
      // the window if it is still in it: it is most likely not at the server. Its retransmissions
      // are spread by backoff and jitter instead (RFC 5080 §2.2.1).
      const win = dest.window as CongestionWindow;
      win.onTimeout(req.lastSent, now);
      if (req.inWindow) {
        win.inFlight--;
        req.inWindow = false;
      }
      this.clearPresumedLost(req, dest);
    }
    if (
      !req.needsId &&
      req.attempts < req.attemptsPerServer &&
      !(req.socket as ClientChannel).stream &&
      req.serverStart + req.timers.durationMs - now >= 1
    )
      this.retransmit(req, now);
    else this.giveUp(req, dest);
    this.pump(dest);
  }

  /**
   * The request is done with `dest` (attempts or MRD exhausted): next pool server, or a timeout.
   * `silentSeconds`: it was never sent, and ends because the server answers nothing (see
   * releaseQueue).
   */
  private giveUp(req: PendingRequest, dest: Destination, silentSeconds = -1): void {
    if (req.probe) {
      this.settle(req);
      this.pump(dest);
      return;
    }
    const sent = req.socket !== undefined;
    // Sent and unanswered, and nothing else answered since its first transmission either.
    const now = performance.now();
    const silence = sent && dest.lastReplyAt < req.firstSentHere ? (now - req.firstSentHere) / 1000 : -1;
    this.leave(req);
    if (sent && dest.pooled) this.markDead(dest, req.secret ?? dest.secret ?? req.ownSecret);
    const next =
      req.pooled && this.pool
        ? this.pool.next(dest, req.tried, kindOf((req.packet as Packet).code))
        : undefined;
    if (next !== undefined) {
      (req.tried ??= []).push(dest);
      this.stats.failovers++;
      req.serverStart = now;
      this.dispatch(req, next);
      if (silence >= 0) this.releaseQueue(dest, silence);
      this.pump(dest);
      return;
    }
    const servers = req.tried ? [...req.tried, dest].map((d) => d.label).join(', ') : dest.label;
    const reject = req.reject;
    this.stats.timeouts++;
    const error = new RadiusTimeoutError(servers, req.totalAttempts, silentSeconds);
    this.settle(req);
    if (silence >= 0) this.releaseQueue(dest, silence);
    this.pump(dest);
    reject?.(error);
  }

  /**
   * A request got no answer to any of its attempts, and the server answered nothing else since it
   * was first sent: the calls waiting behind the window would only wait for the same silence,
   * each until its maxDuration (the window shrinks on every timeout, so a silent server lets a
   * few through per timeout: 1,000 calls would take 60 times their timeout). They end now, as
   * that request did: the next pool server, or RadiusTimeoutError without an attempt. Calls
   * made later wait their turn as before, and a reply ends the silence.
   */
  private releaseQueue(dest: Destination, silentSeconds: number): void {
    for (const req of this.takeWaiting(dest)) if (!req.settled) this.giveUp(req, dest, silentSeconds);
  }

  /** Takes every call waiting for a place in the server's window out of its queue, oldest first. */
  private takeWaiting(dest: Destination): PendingRequest[] {
    const waiting: PendingRequest[] = [];
    if (dest.queued === 0) return waiting;
    while (dest.queued > 0) {
      const req = dest.waiting.shift() as PendingRequest;
      if (!req.queued) continue;
      this.unqueue(req, dest);
      // Its deadline (maxDuration) is not what ends it now.
      this.scheduler.cancel(req);
      waiting.push(req);
    }
    dest.waiting.drain();
    return waiting;
  }

  private retransmit(req: PendingRequest, now: number): void {
    // RFC 2866 §5.2: Acct-Delay-Time grows while the record is retried. A changed packet is a new
    // request (RFC 5080 §2.2.1): it needs a new identifier, and waits for one when none is free
    // rather than go out changed under the old one.
    if (req.delayEntry !== undefined && this.updateAcctDelay(req, now)) {
      const dest = req.destination as Destination;
      const sock = this.socketWithFreeId(dest);
      if (sock === undefined) {
        req.needsId = true;
        dest.needId.push(req);
        // Still answerable under the old identifier meanwhile; MRD bounds the wait.
        const left = req.serverStart + req.timers.durationMs - now;
        this.scheduler.schedule(req, req.socket as ClientChannel, req.identifier, untilEnd(left), now);
        return;
      }
      this.resendWithNewId(req, sock, now);
      return;
    }
    this.stats.retransmissions++;
    req.attempts++;
    req.totalAttempts++;
    req.lastSent = now;
    req.awaitingReply = true;
    req.rtMs = nextTimeout(req.rtMs, req.timers.maxMs);
    const sock = req.socket as ClientChannel;
    sock.send(req.bytes as Buffer);
    this.scheduler.schedule(req, sock, req.identifier, this.waitFor(req, now), now);
  }

  /** A changed retransmission under a new identifier on `sock`; the old identifier is freed. */
  private resendWithNewId(req: PendingRequest, sock: ClientChannel, now: number): void {
    const dest = sock.destination;
    const old = req.socket as ClientChannel;
    const oldId = req.identifier;
    req.identifier = sock.ids.take(req);
    req.socket = sock;
    dest.freeIds--;
    this.releaseId(old, oldId);
    this.updateAcctDelay(req, now);
    const packet = req.packet as Packet;
    // A new identifier wants a new Request Authenticator where it is random (RFC 5080 §2.2.1).
    if (hasRandomAuthenticator(packet.code)) packet.authenticator = randomBytesPooled(16);
    packet.identifier = req.identifier;
    packet.secret = req.secret as Buffer;
    if (!this.encode(req, packet)) return;
    this.stats.retransmissions++;
    req.attempts++;
    req.totalAttempts++;
    req.lastSent = now;
    req.awaitingReply = true;
    req.rtMs = nextTimeout(req.rtMs, req.timers.maxMs);
    sock.send(req.bytes as Buffer);
    const wait = sock.stream ? this.streamSent(req, sock as StreamConnection, now) : this.waitFor(req, now);
    this.scheduler.schedule(req, sock, req.identifier, wait, now);
  }

  private findAcctDelay(req: PendingRequest, packet: Packet): void {
    for (const e of packet.attributes.entries) {
      const d = e.def;
      if (d.number === ACCT_DELAY_TIME && d.vendor === undefined && d.parent === undefined) {
        if (typeof e.value === 'number') {
          req.delayEntry = e;
          req.delayBase = e.value;
        }
        return;
      }
    }
  }

  /** Sets Acct-Delay-Time to its first value plus the seconds since the first transmission; true if it changed. */
  private updateAcctDelay(req: PendingRequest, now: number): boolean {
    const entry = req.delayEntry;
    if (entry === undefined) return false;
    const value = Math.min(0xffffffff, req.delayBase + Math.round((now - req.firstSent) / 1000));
    if (entry.value === value) return false;
    entry.value = value;
    return true;
  }

  /** RFC 2865 §4.1 / RFC 2866 §4.1: a NAS identifies itself by NAS-IP-Address or NAS-Identifier. */
  private addNasIdentifier(packet: Packet): void {
    if (this.clientIdentifier === undefined) return;
    if (packet.code !== ACCESS_REQUEST && packet.code !== ACCOUNTING_REQUEST) return;
    for (const e of packet.attributes.entries) {
      const d = e.def;
      if (
        d.vendor === undefined &&
        d.parent === undefined &&
        (d.number === NAS_IP_ADDRESS || d.number === NAS_IDENTIFIER || d.number === NAS_IPV6_ADDRESS)
      )
        return;
    }
    packet.attributes.add('NAS-Identifier', this.clientIdentifier);
  }

  // ------------------------------------------------------------------------------------------
  // Health of pool servers

  private markDead(dest: Destination, secret: Buffer): void {
    if (!dest.alive || this.isClosed || !this.healthChecks) return;
    dest.alive = false;
    dest.probeSecret = dest.secret ?? secret;
    dest.probeTimer = setInterval(this.probeTick, this.probeIntervalMs, dest);
    dest.probeTimer.unref();
  }

  private markAlive(dest: Destination): void {
    dest.alive = true;
    if (dest.probeTimer !== undefined) clearInterval(dest.probeTimer);
    dest.probeTimer = undefined;
  }

  /** RFC 5997: Status-Server (with Message-Authenticator) to the port that stopped answering; outside the window. */
  private probe(dest: Destination): void {
    if (this.isClosed || dest.alive || dest.probeInFlight || dest.address === undefined) return;
    const sock = this.socketWithFreeId(dest);
    if (sock === undefined) return;
    const packet = new StatusServer(dest.probeSecret ?? Buffer.alloc(0));
    const waitMs = Math.min(this.timers.initialMs, this.probeIntervalMs);
    const timers: Timers = { initialMs: waitMs, maxMs: waitMs, durationMs: waitMs };
    const req = new PendingRequest(this, packet, timers, 1, false, true, undefined);
    req.destination = dest;
    req.serverStart = performance.now();
    dest.probeInFlight = true;
    this.stats.probes++;
    this.start(req, dest, sock);
  }

  // ------------------------------------------------------------------------------------------
  // Settling

  /** Frees what the request holds on its server: identifier, place in the window or the queue. */
  private leave(req: PendingRequest): void {
    const dest = req.destination;
    this.returnIdentifier(req);
    req.needsId = false;
    if (dest === undefined) return;
    if (req.inWindow) {
      (dest.window as CongestionWindow).inFlight--;
      req.inWindow = false;
    }
    this.clearPresumedLost(req, dest);
    if (req.queued) this.unqueue(req, dest);
  }

  /** Ends the request: frees what it holds and drops its state. Returns its server, to pump(). */
  private settle(req: PendingRequest): Destination | undefined {
    req.settled = true;
    this.leave(req);
    this.scheduler.cancel(req);
    if (req.signal !== undefined) {
      req.signal.removeEventListener('abort', req);
      req.signal = undefined;
    }
    const dest = req.destination;
    if (req.probe) {
      if (dest !== undefined && !req.watchdog) dest.probeInFlight = false;
    } else if (--this.stats.pending === 0) this.scheduler.setKeepAlive(false);
    // A settled request may sit in the deadline queue until its deadline: keep it small.
    req.packet = undefined;
    req.bytes = undefined;
    req.resolve = undefined;
    req.reject = undefined;
    req.tried = undefined;
    req.delayEntry = undefined;
    return dest;
  }

  /** Rejects the request; the caller moves waiting requests in. */
  private fail(req: PendingRequest, err: unknown): void {
    if (req.settled) return;
    const reject = req.reject;
    this.settle(req);
    reject?.(err);
  }

  private failClosed(req: PendingRequest): void {
    if (req.settled) return;
    this.fail(req, new RadiusClosedError('client closed'));
  }
}
