import type { RemoteInfo } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import {
  AuthenticatorError,
  ConfigError,
  InvalidValueError,
  RadiusAbortError,
  RadiusClosedError,
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
import { randomBytesPooled } from '../protocol/random.js';
import { ClientSocket, type DatagramReceiver } from './client-socket.js';
import { DeadlineScheduler } from './deadline-scheduler.js';
import { Destination, type ServiceKind } from './destination.js';
import { IDENTIFIERS_PER_SOCKET } from './identifier-pool.js';
import { type AbortReceiver, PendingRequest, type SendResult } from './pending-request.js';
import { checkPort, type FailoverPolicy, type ServerConfig, ServerPool } from './server-pool.js';
import { type ClientStatistics, StatisticsRecorder } from './statistics.js';

/** Options of a RadiusClient (the specification's default_server, default_port, client_identifier, and more). */
export interface RadiusClientOptions {
  /** Host for requests without `remoteHost` when no `servers` pool is configured; default 'localhost'. */
  defaultServer?: string;
  /** Port for Access-Request and Status-Server without `remotePort`; default 1812. */
  defaultPort?: number;
  /** Port for Accounting-Request without `remotePort`; default 1813. */
  defaultAcctPort?: number;
  /** Port for CoA-Request and Disconnect-Request without `remotePort`; default 3799 (RFC 5176 §3). */
  defaultCoaPort?: number;
  /** Sent as NAS-Identifier in Access- and Accounting-Requests that carry no NAS-IP-Address, NAS-IPv6-Address or NAS-Identifier. */
  clientIdentifier?: string;
  /** Seconds to wait for a reply to each transmission; default 3. */
  timeout?: number;
  /** Retransmissions after the first transmission, per server (0: a single attempt); default 3. */
  retries?: number;
  /** A failover pool: requests without `remoteHost`/`remotePort` go to these servers. */
  servers?: readonly ServerConfig[];
  /** How the pool picks a server; default 'ordered'. */
  failover?: FailoverPolicy;
  /** Seconds between Status-Server probes (RFC 5997) of a pool server marked dead; default 10. */
  probeInterval?: number;
  /** Largest number of sockets per server address and port (256 requests in flight each); default 64. */
  maxSockets?: number;
  /** Seconds after which a socket with nothing in flight is closed; default 30. */
  socketIdleTimeout?: number;
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
  /** Seconds per attempt (overrides the client's `timeout`). */
  timeout?: number;
  /** Retransmissions per server (overrides the client's `retries`). */
  retries?: number;
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

function checkRetries(value: unknown, field: string, file: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100)
    throw new ConfigError(file, field, `${String(value)} is not an integer 0..100`);
  return value;
}

/**
 * The RADIUS client of the specification. `sendPacket` sets the identifier, sends, retransmits
 * the same bytes on timeout (RFC 5080 §2.2.1), verifies the reply against the request (Response
 * Authenticator and Message-Authenticator over the bytes received), and resolves
 * `[response, responseTime]`. One UDP socket carries at most 256 requests to one server; more in
 * flight open more sockets, up to `maxSockets`, beyond which requests wait in order. A `servers`
 * pool adds failover with Status-Server probes (RFC 5997). Retransmission deadlines of all requests
 * share one timer.
 */
export class RadiusClient implements DatagramReceiver, AbortReceiver {
  readonly defaultServer: string;
  readonly defaultPort: number;
  readonly defaultAcctPort: number;
  readonly defaultCoaPort: number;
  readonly clientIdentifier: string | undefined;
  /** Seconds per attempt. */
  readonly timeout: number;
  readonly retries: number;
  readonly maxSockets: number;

  private readonly timeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly idleMs: number;
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
  private readonly hosts = new Map<string, Promise<{ address: string; family: number }>>();
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
    this.defaultAcctPort = checkPort(options.defaultAcctPort ?? 1813, 'defaultAcctPort');
    this.defaultCoaPort = checkPort(options.defaultCoaPort ?? 3799, 'defaultCoaPort');
    this.ports = { auth: this.defaultPort, acct: this.defaultAcctPort, coa: this.defaultCoaPort };
    this.clientIdentifier = options.clientIdentifier;
    this.timeout = options.timeout ?? 3;
    this.timeoutMs = checkSeconds(this.timeout, 'timeout', file);
    this.retries = checkRetries(options.retries ?? 3, 'retries', file);
    this.probeIntervalMs = checkSeconds(options.probeInterval ?? 10, 'probeInterval', file);
    this.idleMs = checkSeconds(options.socketIdleTimeout ?? 30, 'socketIdleTimeout', file);
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
   * Sends `request` and resolves `[response, responseTime]` (seconds, from the first transmission)
   * with the verified reply. The packet's identifier is set here; with a pool server's own secret,
   * its secret too. Rejects with RadiusTimeoutError, RadiusAbortError, RadiusClosedError, or the
   * error of a host lookup or of encoding. Replies that do not verify are ignored and counted.
   */
  sendPacket(request: Packet, options: SendOptions = NO_OPTIONS): Promise<SendResult> {
    if (this.isClosed) return Promise.reject(new RadiusClosedError('client closed'));
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(new RadiusAbortError({ cause: signal.reason }));
    let dest: Destination;
    let timeoutMs = this.timeoutMs;
    let attempts = this.retries + 1;
    try {
      if (REPLY_CODES[request.code] === undefined)
        throw new InvalidValueError(
          'Code',
          `${codeName(request.code)} is not a request this client can send`,
        );
      if (options.timeout !== undefined)
        timeoutMs = checkSeconds(options.timeout, 'timeout', 'sendPacket options');
      if (options.retries !== undefined)
        attempts = checkRetries(options.retries, 'retries', 'sendPacket options') + 1;
      dest = this.route(request.code, options);
    } catch (err) {
      return Promise.reject(err);
    }
    this.addNasIdentifier(request);
    const pooled = dest.pooled && options.server === undefined;
    const req = new PendingRequest(this, request, timeoutMs, attempts, pooled, false, signal);
    const promise = new Promise<SendResult>((resolve, reject) => {
      req.resolve = resolve;
      req.reject = reject;
    });
    this.stats.requests++;
    if (this.stats.pending++ === 0) this.scheduler.setKeepAlive(true);
    if (signal !== undefined) signal.addEventListener('abort', req, { once: true });
    this.dispatch(req, dest);
    return promise;
  }

  /** Closes every socket, stops probes, and rejects every pending call with RadiusClosedError. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const dest of this.allDestinations()) {
      for (const sock of dest.sockets) {
        for (const req of sock.ids.values()) this.failClosed(req);
        sock.close();
      }
      this.stats.sockets -= dest.sockets.length;
      dest.sockets.length = 0;
      dest.freeIds = 0;
      for (const req of dest.waiting.drain()) this.failClosed(req);
      const resolving = dest.resolving;
      dest.resolving = undefined;
      if (resolving) for (const req of resolving) this.failClosed(req);
      if (dest.probeTimer !== undefined) clearInterval(dest.probeTimer);
      dest.probeTimer = undefined;
    }
    this.direct.clear();
    this.lastDirect = undefined;
    this.scheduler.clear();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** AbortSignal listener target: frees the identifier and rejects with RadiusAbortError. */
  abortRequest(req: PendingRequest): void {
    if (req.settled) return;
    const reason = req.signal?.reason;
    this.returnIdentifier(req);
    const reject = req.reject;
    this.stats.aborted++;
    this.settle(req);
    reject?.(new RadiusAbortError({ cause: reason }));
  }

  /** Entry point of every datagram arriving on a client socket. */
  private rememberSigned(key: string): void {
    if (this.signedBy.has(key)) return;
    // Bounded: past 4096 servers the oldest is forgotten (and is held to the reply again once it signs one).
    if (this.signedBy.size >= 4096) this.signedBy.delete(this.signedBy.values().next().value as string);
    this.signedBy.add(key);
  }

  onDatagram(sock: ClientSocket, data: Buffer, remote: RemoteInfo): void {
    const dest = sock.destination;
    const invalid = this.stats.invalid;
    if (remote.port !== dest.port || remote.address !== dest.address) {
      invalid.wrongSource++;
      return;
    }
    if (data.length < 20) {
      invalid.malformed++;
      return;
    }
    const req = sock.ids.get(data[1]);
    if (req === undefined) {
      invalid.unknownIdentifier++;
      return;
    }
    const packet = req.packet as Packet;
    // The transmission being answered, even if the packet object was sent again meanwhile.
    packet.identifier = req.identifier;
    packet.authenticator = req.authenticator as Buffer;
    const access = packet.code === ACCESS_REQUEST || packet.code === STATUS_SERVER;
    const signedKey = this.autoAccess && access ? `${remote.address}|${remote.port}` : '';
    const strict = access && (this.strictAccess || (this.autoAccess && this.signedBy.has(signedKey)));
    let response: Packet;
    try {
      response = decodeResponse(req.secret as Buffer, data, packet, strict ? STRICT_DECODE : DEFAULT_DECODE);
    } catch (err) {
      if (err instanceof AuthenticatorError) invalid.badAuthenticator++;
      else invalid.malformed++;
      return;
    }
    // Learnt from Access-* replies only: Status-Server replies always carry one (RFC 5997), and a
    // server signing those says nothing of how it answers Access-Requests.
    if (this.autoAccess && packet.code === ACCESS_REQUEST && response.messageAuthenticator)
      this.rememberSigned(signedKey);
    if (!dest.alive) this.markAlive(dest);
    const resolve = req.resolve;
    const seconds = (performance.now() - req.firstSent) / 1000;
    if (!req.probe) this.stats.recordResponse(seconds);
    this.returnIdentifier(req);
    this.settle(req);
    resolve?.([response, seconds]);
  }

  // ------------------------------------------------------------------------------------------
  // Routing

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

  /** Host names are looked up once per client and name (dns.lookup: hosts file, then DNS). */
  private lookupThenDispatch(req: PendingRequest, dest: Destination): void {
    if (dest.resolving !== undefined) {
      dest.resolving.push(req);
      return;
    }
    dest.resolving = [req];
    let found = this.hosts.get(dest.host);
    if (found === undefined) {
      found = lookup(dest.host);
      this.hosts.set(dest.host, found);
    }
    found.then(
      ({ address, family }) => {
        dest.setAddress(address, family);
        const list = dest.resolving ?? [];
        dest.resolving = undefined;
        for (const r of list) if (!r.settled) this.dispatch(r, dest);
      },
      (err: unknown) => {
        this.hosts.delete(dest.host);
        const list = dest.resolving ?? [];
        dest.resolving = undefined;
        for (const r of list) this.fail(r, err);
      },
    );
  }

  // ------------------------------------------------------------------------------------------
  // Identifiers and sockets

  private dispatch(req: PendingRequest, dest: Destination): void {
    req.destination = dest;
    if (dest.address === undefined) {
      this.lookupThenDispatch(req, dest);
      return;
    }
    let sock: ClientSocket | undefined;
    if (dest.freeIds > 0) {
      for (const s of dest.sockets) {
        if (s.ids.available > 0) {
          sock = s;
          break;
        }
      }
    } else if (dest.sockets.length < this.maxSockets) {
      sock = this.openSocket(dest);
    }
    if (sock === undefined) {
      dest.waiting.push(req);
      return;
    }
    req.identifier = sock.ids.take(req);
    req.socket = sock;
    dest.freeIds--;
    this.transmitNew(req);
  }

  private openSocket(dest: Destination): ClientSocket {
    const sock = new ClientSocket(dest, this);
    dest.sockets.push(sock);
    dest.freeIds += IDENTIFIERS_PER_SOCKET;
    this.stats.sockets++;
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(this.sweep, Math.max(100, this.idleMs / 2));
      this.sweeper.unref();
    }
    return sock;
  }

  /** Frees the request's identifier; the oldest request waiting for one gets it at once. */
  private returnIdentifier(req: PendingRequest): void {
    const sock = req.socket;
    if (sock === undefined) return;
    const id = req.identifier;
    req.socket = undefined;
    req.identifier = -1;
    this.releaseId(sock, id);
  }

  private releaseId(sock: ClientSocket, id: number): void {
    sock.ids.release(id);
    const dest = sock.destination;
    while (dest.waiting.size > 0) {
      const next = dest.waiting.shift() as PendingRequest;
      if (next.settled) continue;
      next.identifier = sock.ids.take(next);
      next.socket = sock;
      this.transmitNew(next);
      return;
    }
    dest.freeIds++;
    if (sock.ids.inUse === 0) sock.idleSince = performance.now();
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
    if (this.stats.sockets === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Transmission

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
    const sock = req.socket as ClientSocket;
    sock.send(req.bytes as Buffer);
    this.scheduler.schedule(req, sock, req.identifier, req.timeoutMs, now);
  }

  private encode(req: PendingRequest, packet: Packet): boolean {
    try {
      req.bytes = packet.encode();
    } catch (err) {
      this.returnIdentifier(req);
      this.fail(req, err);
      return false;
    }
    req.secret = packet.secret;
    req.authenticator = packet.authenticator;
    return true;
  }

  /** A deadline passed: retransmit, move to the next pool server, or give up. */
  private onDeadline(req: PendingRequest): void {
    if (req.settled) return;
    if (req.attempts < req.attemptsPerServer) {
      this.retransmit(req);
      return;
    }
    const dest = req.destination as Destination;
    this.returnIdentifier(req);
    if (req.probe) {
      dest.probeInFlight = false;
      this.settle(req);
      return;
    }
    if (dest.pooled) this.markDead(dest, req.secret as Buffer);
    if (req.pooled && this.pool) {
      const next = this.pool.next(dest, req.tried);
      if (next !== undefined) {
        (req.tried ??= []).push(dest);
        this.stats.failovers++;
        this.dispatch(req, next);
        return;
      }
    }
    const servers = req.tried ? [...req.tried, dest].map((d) => d.label).join(', ') : dest.label;
    const reject = req.reject;
    this.stats.timeouts++;
    const attempts = req.totalAttempts;
    this.settle(req);
    reject?.(new RadiusTimeoutError(servers, attempts));
  }

  private retransmit(req: PendingRequest): void {
    const now = performance.now();
    this.stats.retransmissions++;
    req.attempts++;
    req.totalAttempts++;
    const sock = req.socket as ClientSocket;
    // RFC 2866 §5.2: Acct-Delay-Time grows while the record is retried. A changed packet is a new
    // request (RFC 5080 §2.2.1): it takes a new identifier when the socket has one free.
    if (req.delayEntry !== undefined && this.updateAcctDelay(req, now)) {
      const old = req.identifier;
      const id = sock.ids.take(req);
      if (id >= 0) {
        sock.destination.freeIds--;
        req.identifier = id;
        this.releaseId(sock, old);
      }
      const packet = req.packet as Packet;
      packet.identifier = req.identifier;
      packet.secret = req.secret as Buffer;
      if (!this.encode(req, packet)) return;
    }
    sock.send(req.bytes as Buffer);
    this.scheduler.schedule(req, sock, req.identifier, req.timeoutMs, now);
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
    if (!dest.alive || this.isClosed) return;
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

  /** RFC 5997: Status-Server (with Message-Authenticator) to the port that stopped answering. */
  private probe(dest: Destination): void {
    if (this.isClosed || dest.alive || dest.probeInFlight) return;
    const packet = new StatusServer(dest.probeSecret ?? Buffer.alloc(0));
    const timeoutMs = Math.min(this.timeoutMs, this.probeIntervalMs);
    const req = new PendingRequest(this, packet, timeoutMs, 1, false, true, undefined);
    dest.probeInFlight = true;
    this.stats.probes++;
    this.dispatch(req, dest);
  }

  // ------------------------------------------------------------------------------------------
  // Settling

  private settle(req: PendingRequest): void {
    req.settled = true;
    this.scheduler.cancel(req);
    if (req.signal !== undefined) {
      req.signal.removeEventListener('abort', req);
      req.signal = undefined;
    }
    if (req.probe) {
      const dest = req.destination;
      if (dest !== undefined) dest.probeInFlight = false;
    } else if (--this.stats.pending === 0) this.scheduler.setKeepAlive(false);
    // A settled request may sit in the deadline queue until its deadline: keep it small.
    req.packet = undefined;
    req.bytes = undefined;
    req.resolve = undefined;
    req.reject = undefined;
    req.tried = undefined;
    req.delayEntry = undefined;
  }

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
