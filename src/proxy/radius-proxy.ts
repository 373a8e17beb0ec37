import { randomBytes } from 'node:crypto';
import { RadiusClient, type SendResult } from '../client/radius-client.js';
import { RADSEC_PORT, RADSEC_SECRET, type ServerConfig } from '../client/server-pool.js';
import type { ClientTransport, RadsecConnectionOptions } from '../client/stream-connection.js';
import type { ServiceKind } from '../client/destination.js';
import { ConfigError, RadiusError } from '../errors.js';
import type { AttributesSet, ReplyAttributes } from '../protocol/attributes.js';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCESS_REQUEST,
  ACCOUNTING_REQUEST,
  COA_REQUEST,
  codeName,
  DISCONNECT_REQUEST,
} from '../protocol/codes.js';
import { decodeRequest, type Packet } from '../protocol/packet.js';
import {
  isStandard,
  RelayedRequest,
  rebuildRequest,
  relayableRequest,
  relayedAttributes,
} from '../protocol/relay.js';
import type { HandlerResult, HandlerTuple, RequestContext } from '../server/abstract-server.js';
import type { Logger } from '../server/logger.js';
import { AccountingForwarder, type ForwarderTarget } from './accounting-forwarder.js';
import { AccountingQueue, type AccountingQueueOptions, type QueuedRequest } from './accounting-queue.js';
import {
  DEFAULT_HOME_WINDOW,
  HomeHealth,
  type HomeHealthOptions,
  type HomeServerStatus,
} from './home-health.js';
import { fallbackCycle, HomePool, type PoolConfig } from './home-pool.js';
import { type RealmConfig, type RealmMatch, RealmTable } from './realm.js';
import { RecencyMap } from '../store/recency-map.js';

/** A home server: where a pool forwards requests. */
export interface HomeServerConfig {
  name: string;
  host: string;
  /** Authentication port; default 1812 (2083 with transport 'tls'). */
  auth?: number;
  /** Accounting port; default 1813 (2083 with transport 'tls'). */
  acct?: number;
  /** CoA/Disconnect port; default 3799 (2083 with transport 'tls'). */
  coa?: number;
  /** The secret shared with this home server (each hop has its own, RFC 2865 §3); over TLS default 'radsec'. */
  secret?: string | Buffer;
  /** Default 'udp'. */
  transport?: ClientTransport;
  /** For transport 'tls': certificates, CA, PSK... as RadiusClient's servers. */
  tls?: RadsecConnectionOptions;
  /**
   * Most requests in flight to this server (FreeRADIUS's max_outstanding): beyond it a request goes
   * to another server of its pool with room, or waits for a place. Default 65536.
   */
  window?: number;
}

/** Options of a RadiusProxy. */
export interface RadiusProxyOptions extends Omit<HomeHealthOptions, 'probeInterval'> {
  homeServers: readonly HomeServerConfig[];
  pools: readonly PoolConfig[];
  realms: readonly RealmConfig[];
  /** Seconds before the first retransmission to a home server; default 1. */
  timeout?: number;
  /** Retransmissions to one home server before it is marked dead and the next one tried; default 2. */
  retries?: number;
  /**
   * Most seconds a request spends on one home server; default: what `timeout` and `retries` take
   * (each wait doubling, up to 16 s, +10% jitter), at least 5.
   */
  maxDuration?: number;
  /** Seconds between Status-Server probes of a zombie or dead home server (RFC 5997); default 10. */
  probeInterval?: number;
  /** Most requests in flight to one home server; default 128. */
  maxInFlight?: number;
  /**
   * What the NAS gets when no home server answers an Access-Request: 'reject' (default) an
   * Access-Reject at once, 'drop' nothing (the NAS times out and may try another server).
   */
  noResponse?: 'reject' | 'drop';
  /**
   * Called with each home server reply before it goes back to the NAS: return the attributes to
   * send instead of the home server's (Proxy-State and Message-Authenticator are handled here).
   */
  filterReply?: (
    reply: Packet,
    request: Packet,
    match: RealmMatch | undefined,
  ) => ReplyAttributes | undefined;
  /** Told of loops, EAP through a stripping realm, and home servers that never answer. */
  logger?: Logger;
  /** Seconds an EAP conversation stays pinned to its home server after its last round; default 60. */
  eapStickiness?: number;
  /**
   * Store-and-forward accounting: Accounting-Requests are acknowledged once durably queued in
   * this SQLite file, then forwarded in order until a home server answers. Without it they are
   * forwarded directly and acknowledged with the home server's answer.
   */
  accounting?: AccountingQueueOptions & {
    /**
     * Seconds a home server recognises a retransmission of a record it answered (RFC 5080
     * §2.2.2). A record sent to a UDP home server and not yet marked delivered when this process
     * stopped goes out again after the restart with the same bytes from the same source port:
     * recorded once if the restart falls within this window. FreeRADIUS 3.2 keeps no such window
     * for accounting (it forgets an answered Accounting-Request at once). Default 5.
     */
    duplicateWindow?: number;
  };
}

/** The NAS a CoA-Request or Disconnect-Request is forwarded to (RFC 5176 §3.1). */
export interface NasTarget {
  /** The NAS's address. */
  host: string;
  /** Its Dynamic Authorization port; default 3799 (RFC 5176 §2.3). */
  port?: number;
  /** The secret shared with the NAS. */
  secret: string | Buffer;
  /** For logs. */
  name?: string;
}

/** Where `forward` sends one request. */
export interface ForwardOptions {
  /** The pool; default the one of the User-Name's realm. */
  pool?: string;
  /** The User-Name to send; default the realm's (stripped or kept). */
  userName?: string;
}

const PROXY_STATE = 33;
const STATE = 24;
const EAP_MESSAGE = 79;
/** Marks our Proxy-State values; followed by this process's 8-byte instance id and a counter. */
const MAGIC = Buffer.from('aior', 'latin1');
/** The key queued requests are encoded with: they are only ever read back by this process. */
const QUEUE_KEY = Buffer.from('aioradius accounting queue');
const NO_FORWARD_OPTIONS: ForwardOptions = {};
/** Most EAP conversations remembered for stickiness. */
const MAX_STICKY = 65536;

/** A RadiusError raised when a request would go round in a loop of proxies. */
export class ProxyLoopError extends RadiusError {
  constructor() {
    super("request already carries this proxy's Proxy-State: proxy loop", 'ERR_RADIUS_PROXY_LOOP');
  }
}

/** A RadiusError raised when a request cannot be forwarded: no realm, no pool, no home server. */
export class ProxyRouteError extends RadiusError {
  constructor(message: string) {
    super(message, 'ERR_RADIUS_PROXY_ROUTE');
  }
}

function kindOf(code: number): ServiceKind {
  if (code === ACCOUNTING_REQUEST) return 'acct';
  if (code === COA_REQUEST || code === DISCONNECT_REQUEST) return 'coa';
  return 'auth';
}

/**
 * A RADIUS proxy (RFC 2865 §2.3): realms choose a pool, a pool chooses a home server, the request
 * is rebuilt for that hop (its own secret, authenticator, hidden attributes and
 * Message-Authenticator) with our Proxy-State appended, and the reply is rebuilt for the NAS
 * with exactly that Proxy-State removed. Use `handleAuth`/`handleAcct` as a server's handlers, or
 * `forward` from any handler that decides per request.
 */
export class RadiusProxy {
  readonly realms: RealmTable;
  readonly pools: ReadonlyMap<string, HomePool>;
  /** The client engine that carries every hop: windows, retransmissions, Status-Server probes. */
  readonly client: RadiusClient;
  /** The store-and-forward accounting queue, when `accounting` is configured. */
  readonly queue: AccountingQueue | undefined;
  /** The home servers as configured. */
  readonly homeServers: readonly HomeServerConfig[];
  /** Home servers' states (alive, zombie, dead) and windows; its `state` event tells of changes. */
  readonly health: HomeHealth;
  /** Sends queued accounting to UDP home servers, each record once (with `accounting`). */
  private readonly forwarder: AccountingForwarder | undefined;
  private readonly options: RadiusProxyOptions;
  private readonly instance = randomBytes(8);
  private counter = 0;
  /** By State, in the order pinned (so by expiry: one stickiness for all). */
  private readonly sticky = new RecencyMap<{ server: string; until: number }>();
  private readonly stickyMs: number;
  private readonly warnedStrip = new Set<string>();

  constructor(options: RadiusProxyOptions, file = 'RadiusProxy options') {
    this.options = options;
    this.homeServers = options.homeServers ?? [];
    const names = new Set<string>();
    const servers: ServerConfig[] = (options.homeServers ?? []).map((h, i) => {
      if (typeof h?.name !== 'string' || h.name === '')
        throw new ConfigError(file, `homeServers[${i}].name`, 'a home server name is required');
      if (names.has(h.name))
        throw new ConfigError(file, `homeServers[${i}].name`, `duplicate name ${h.name}`);
      if ((h.secret === undefined && h.transport !== 'tls') || h.secret === '')
        throw new ConfigError(file, `homeServers[${i}].secret`, 'a shared secret is required');
      names.add(h.name);
      return {
        name: h.name,
        host: h.host,
        // RFC 6614 §2.3: over TLS the secret is 'radsec' unless told otherwise.
        secret: h.secret ?? RADSEC_SECRET,
        transport: h.transport,
        tls: h.tls,
        authPort: h.auth,
        // Explicit: the proxy's default accounting port is 1813 (HomeServerConfig), not auth + 1.
        acctPort: h.acct ?? (h.transport === 'tls' ? RADSEC_PORT : 1813),
        coaPort: h.coa,
      };
    });
    const pools = new Map<string, HomePool>();
    (options.pools ?? []).forEach((p, i) => {
      const pool = new HomePool(p, names, i, file);
      if (pools.has(pool.name))
        throw new ConfigError(file, `pools[${i}].name`, `duplicate pool ${pool.name}`);
      pools.set(pool.name, pool);
    });
    for (const [i, p] of (options.pools ?? []).entries())
      if (p.fallback !== undefined && !pools.has(p.fallback))
        throw new ConfigError(file, `pools[${i}].fallback`, `no pool named ${p.fallback}`);
    const cycle = fallbackCycle([...pools.values()]);
    if (cycle)
      throw new ConfigError(
        file,
        `pools[${cycle.index}].fallback`,
        `fallback cycle: ${cycle.chain.join(' → ')}`,
      );
    (options.realms ?? []).forEach((r, i) => {
      if (r?.pool !== undefined && r.pool !== 'LOCAL' && !pools.has(r.pool))
        throw new ConfigError(file, `realms[${i}].pool`, `no pool named ${String(r.pool)}`);
    });
    this.pools = pools;
    this.realms = new RealmTable(options.realms ?? [], file);
    this.stickyMs = (options.eapStickiness ?? 60) * 1000;
    this.client = new RadiusClient({
      servers,
      timeout: options.timeout ?? 1,
      retries: options.retries ?? 2,
      maxDuration: options.maxDuration ?? retryBudget(options.timeout ?? 1, options.retries ?? 2),
      probeInterval: options.probeInterval ?? 10,
      maxInFlight: options.maxInFlight ?? 128,
      logger: options.logger,
      onUnverifiedReply: (r) => {
        if (r.server !== undefined) this.health.invalidReply(r.server, r.kind);
      },
      // Health is kept here, with FreeRADIUS's zombie and dead states.
      healthChecks: false,
    });
    this.health = new HomeHealth(
      this.client,
      (options.homeServers ?? []).map((h) => {
        const tls = h.transport === 'tls';
        return {
          name: h.name,
          host: h.host,
          secret: h.secret ?? RADSEC_SECRET,
          transport: h.transport ?? 'udp',
          ports: {
            auth: h.auth ?? (tls ? 2083 : 1812),
            acct: h.acct ?? (tls ? 2083 : 1813),
            coa: h.coa ?? (tls ? 2083 : 3799),
          },
          window: h.window ?? DEFAULT_HOME_WINDOW,
        };
      }),
      options,
    );
    this.health.on('state', (change) =>
      this.options.logger?.[change.to === 'alive' ? 'info' : 'warn'](
        { ...change },
        `home server ${change.server} (${change.kind}) is ${change.to}`,
      ),
    );
    if (options.accounting !== undefined) {
      const queue = new AccountingQueue(options.accounting);
      const targets = new Map<string, ForwarderTarget>();
      for (const h of options.homeServers ?? [])
        if ((h.transport ?? 'udp') === 'udp')
          targets.set(h.name, {
            name: h.name,
            host: h.host,
            port: h.acct ?? 1813,
            secret: Buffer.isBuffer(h.secret) ? h.secret : Buffer.from(h.secret ?? RADSEC_SECRET, 'utf8'),
          });
      this.forwarder = new AccountingForwarder(queue, targets, {
        timeoutMs: (options.timeout ?? 1) * 1000,
        retries: options.retries ?? 2,
        duplicateWindowMs: (options.accounting.duplicateWindow ?? 5) * 1000,
        onOutcome: (server, answered, sentAt) => this.health.record(server, 'acct', answered, sentAt),
        onInvalidReply: (server) => this.health.invalidReply(server, 'acct'),
        logger: options.logger,
      });
      this.queue = queue;
      queue.start((item) => this.sendQueued(item));
    }
  }

  /**
   * The realm of a request's User-Name; undefined when none matches or the request has no
   * User-Name (such requests are handled here, as LOCAL).
   */
  route(attributes: AttributesSet): RealmMatch | undefined {
    const name = attributes.get('User-Name');
    return typeof name === 'string' ? this.realms.match(name) : undefined;
  }

  /**
   * A handler for Access-Requests: forwards to the realm's pool and answers with the home
   * server's reply; a LOCAL realm (or none) goes to `local`, else Access-Reject.
   */
  handleAuth(
    attributes: AttributesSet,
    context: RequestContext,
    local?: (
      attributes: AttributesSet,
      context: RequestContext,
    ) => HandlerResult<number> | PromiseLike<HandlerResult<number>>,
  ): HandlerResult<number> | PromiseLike<HandlerResult<number>> {
    const match = this.route(attributes);
    if (match?.pool === undefined) return local ? local(attributes, context) : [[], ACCESS_REJECT];
    // The forward's own promise, not one more wrapped around it: this is the per-request path.
    return this.forwardMatched(context, match, NO_FORWARD_OPTIONS) as Promise<HandlerTuple<number>>;
  }

  /** A handler for Accounting-Requests: forwards to the realm's pool; LOCAL (or none) goes to `local`. */
  handleAcct(
    attributes: AttributesSet,
    context: RequestContext,
    local?: (
      attributes: AttributesSet,
      context: RequestContext,
    ) => HandlerResult<null> | PromiseLike<HandlerResult<null>>,
  ): HandlerResult<null> | PromiseLike<HandlerResult<null>> {
    const match = this.route(attributes);
    if (match?.pool === undefined) return local ? local(attributes, context) : [[], null];
    return this.forwardMatched(context, match, NO_FORWARD_OPTIONS) as Promise<HandlerTuple<null>>;
  }

  /**
   * Forwards the request of `context` and resolves with the reply for the NAS, as a handler
   * returns it. Rejects with ProxyLoopError, ProxyRouteError, or (accounting, or `noResponse`
   * 'drop') the client's RadiusTimeoutError: a rejected handler sends nothing.
   */
  forward(context: RequestContext, options: ForwardOptions = {}): Promise<HandlerTuple<number | null>> {
    const match = this.route(context.packet.attributes);
    return this.forwardMatched(context, match, options);
  }

  /** Home servers' health per port (alive, zombie or dead) and their windows. */
  status(): HomeServerStatus[] {
    return this.health.status();
  }

  /** Closes the client engine (pending forwards reject) and the accounting queue (what is unsent stays queued). */
  async close(): Promise<void> {
    const queue = this.queue;
    this.health.close();
    this.client.close();
    this.forwarder?.close();
    await queue?.close();
  }

  private forwardMatched(
    context: RequestContext,
    match: RealmMatch | undefined,
    options: ForwardOptions,
  ): Promise<HandlerTuple<number | null>> {
    try {
      return this.startForward(context, match, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private startForward(
    context: RequestContext,
    match: RealmMatch | undefined,
    options: ForwardOptions,
  ): Promise<HandlerTuple<number | null>> {
    const request = context.packet;
    const poolName = options.pool ?? match?.pool;
    if (poolName === undefined) throw new ProxyRouteError('no realm or pool for this request');
    const pool = this.pools.get(poolName);
    if (pool === undefined) throw new ProxyRouteError(`no pool named ${poolName}`);
    const isAuth = request.code === ACCESS_REQUEST;
    if (this.isLoop(request)) {
      this.options.logger?.warn({ remote: context.remote.address }, 'proxy loop: request dropped');
      if (isAuth) return Promise.resolve([[], ACCESS_REJECT]);
      throw new ProxyLoopError();
    }
    const userName = options.userName ?? match?.userName;
    if (
      match !== undefined &&
      options.userName === undefined &&
      (match.realm.strip ?? true) &&
      match.written !== undefined &&
      !this.warnedStrip.has(match.realm.name) &&
      request.attributes.hasType(EAP_MESSAGE)
    ) {
      // The EAP identity inside EAP-Message keeps the realm; FreeRADIUS rejects the mismatch.
      this.warnedStrip.add(match.realm.name);
      this.options.logger?.warn(
        { realm: match.realm.name },
        'EAP through a realm that strips User-Name: home servers that compare it with the EAP identity will fail',
      );
    }
    if (request.code === ACCOUNTING_REQUEST && this.queue !== undefined)
      return this.enqueue(request, userName, pool, context.remote.address);
    const ours = this.nextProxyState();
    // Access-Requests with nothing hidden but User-Password go as bytes (no decode, no re-encode).
    const out = relayableRequest(request, userName)
      ? new RelayedRequest(request, userName, ours)
      : rebuildRequest(request, userName, ours);
    const kind = kindOf(request.code);
    const candidates = this.candidates(pool, kind, request, context.remote.address);
    // One promise per forwarded request: the hops report through callbacks (HomeForward).
    return new Promise((resolve, reject) => {
      new HomeForward(
        this.hop,
        candidates,
        kind,
        out,
        request,
        ours,
        match,
        pool.name,
        resolve,
        reject,
      ).next();
    });
  }

  /** RFC 2866 §2: the NAS hears back only once the request is durably queued. */
  private async enqueue(
    request: Packet,
    userName: string | undefined,
    pool: HomePool,
    nas: string,
  ): Promise<HandlerTuple<null>> {
    const queued = rebuildRequest(request, userName, undefined);
    queued.secret = QUEUE_KEY;
    const key = `${request.identifier} ${request.authenticator.toString('hex')}`;
    await (this.queue as AccountingQueue).enqueue(nas, key, pool.name, queued.encode());
    return [[], null];
  }

  /** What a HomeForward asks of its proxy. */
  private readonly hop: ForwardHost = {
    send: (server, kind, packet, onReply, onError) =>
      this.health.sendWith(server, kind, packet, onReply, onError),
    answer: (f, reply, server) => {
      if (reply.code === ACCESS_CHALLENGE) this.pin(reply, server);
      // The outcome of a proxied login, at info as a local one is (not each EAP round).
      else if (f.request.code === ACCESS_REQUEST)
        this.options.logger?.info(
          {
            user: f.request.get('User-Name'),
            realm: f.match?.written,
            home: server,
            result: reply.code === ACCESS_ACCEPT ? 'accept' : 'reject',
          },
          `proxied: ${codeName(reply.code)}`,
        );
      return [
        this.replyAttributes(reply, f.request, f.ours, f.match),
        f.request.code === ACCESS_REQUEST ? reply.code : null,
      ];
    },
    unanswered: (f, lastError) => {
      const error = lastError ?? new ProxyRouteError(`no home server in pool ${f.pool}`);
      this.options.logger?.warn({ pool: f.pool, error: (error as Error).message }, 'no home server answered');
      if (f.request.code === ACCESS_REQUEST && (this.options.noResponse ?? 'reject') === 'reject')
        return [[], ACCESS_REJECT];
      throw error;
    },
  };

  /**
   * Forwards a CoA-Request or Disconnect-Request from a home server acting as DAS to the NAS that
   * holds the session (RFC 5176 §3.1): rebuilt for that hop (its secret, hidden attributes,
   * Message-Authenticator) with our Proxy-State last, as for Access-Requests. Resolves with the
   * NAS's reply attributes (every Proxy-State dropped: the DAS's own come back from its request)
   * and its code, ACK or NAK. Rejects with ProxyLoopError, or the client's RadiusTimeoutError when
   * the NAS does not answer. `filterReply` sees the reply with no realm.
   */
  async forwardToNas(request: Packet, nas: NasTarget): Promise<[ReplyAttributes, number]> {
    if (this.isLoop(request)) throw new ProxyLoopError();
    const ours = this.nextProxyState();
    const out = rebuildRequest(request, undefined, ours);
    out.secret = typeof nas.secret === 'string' ? Buffer.from(nas.secret, 'utf8') : nas.secret;
    const [reply] = await this.client.sendPacket(out, { remoteHost: nas.host, remotePort: nas.port ?? 3799 });
    return [this.replyAttributes(reply, request, ours, undefined), reply.code];
  }

  /**
   * Forwards one queued Accounting-Request; rejects when no home server of its pool answers. UDP
   * home servers go through the forwarder (each record recorded once, across restarts); TCP/TLS
   * ones through the client engine (a record in flight at a crash may be recorded twice).
   */
  private async sendQueued(item: QueuedRequest): Promise<undefined | (() => void)> {
    const pool = this.pools.get(item.pool);
    if (pool === undefined) return; // A pool removed from the configuration: nowhere to go.
    const queued = decodeRequest(QUEUE_KEY, item.packet);
    const build = (): Packet => {
      const out = rebuildRequest(queued, undefined, this.nextProxyState());
      // RFC 2866 §5.2: Acct-Delay-Time counts the time the record waited here too.
      const waited = Math.floor((Date.now() - item.queuedAt) / 1000);
      if (waited > 0) {
        const before = queued.get('Acct-Delay-Time');
        out.attributes.set('Acct-Delay-Time', (typeof before === 'number' ? before : 0) + waited);
      }
      return out;
    };
    const forwarder = this.forwarder as AccountingForwarder;
    const alive = (s: string, k: ServiceKind) =>
      forwarder.handles(s) ? forwarder.alive(s) : this.health.alive(s, k);
    const downMs = (this.options.probeInterval ?? 10) * 1000;
    let lastError: unknown;
    for (const server of this.candidates(pool, 'acct', queued, '', alive)) {
      try {
        if (forwarder.handles(server)) return await forwarder.send(item, server, build, downMs);
        await this.health.send(server, 'acct', build());
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError ?? new ProxyRouteError(`no home server in pool ${pool.name}`);
  }

  /** The servers to try: the EAP conversation's own, else the pool's order, else its fallback. */
  private candidates(
    pool: HomePool,
    kind: ServiceKind,
    request: Packet,
    nas: string,
    alive = this.aliveByHealth,
  ): string[] {
    const state = request.attributes.hasType(STATE) ? request.get('State') : undefined;
    if (Buffer.isBuffer(state)) {
      const key = state.toString('hex');
      const pinned = this.sticky.peek(key);
      if (pinned !== undefined && pinned.until > performance.now()) {
        // Every round of one EAP conversation goes where it began: no other server has its state.
        return [pinned.server];
      }
    }
    const keyValue = pool.balance === 'keyed' ? request.get(pool.key) : undefined;
    const keyText = keyValue === undefined ? undefined : String(keyValue);
    let order = pool.order(kind, alive, keyText, nas);
    if (order.length === 0 && pool.fallback !== undefined) {
      const seen = new Set<string>([pool.name]);
      let p: HomePool | undefined = pool;
      while (order.length === 0 && p?.fallback !== undefined && !seen.has(p.fallback)) {
        seen.add(p.fallback);
        p = this.pools.get(p.fallback);
        if (p) order = p.order(kind, alive, keyText, nas);
      }
    }
    // None alive: zombies, then the dead (a mark is a hint until the probes say otherwise).
    if (order.length === 0) order = this.health.lastResort(pool.servers, kind);
    // A server whose window is full comes after those with room (it would make the request wait).
    if (order.length > 1 && !this.health.hasRoom(order[0])) {
      const room = order.filter((s) => this.health.hasRoom(s));
      if (room.length > 0) order = [...room, ...order.filter((s) => !this.health.hasRoom(s))];
    }
    return order;
  }

  private readonly aliveByHealth = (s: string, k: ServiceKind): boolean => this.health.alive(s, k);

  private pin(reply: Packet, server: string): void {
    const state = reply.get('State');
    if (!Buffer.isBuffer(state)) return;
    const now = performance.now();
    // Every round pins its new State: at the bound (reached in about a minute at 1,000 EAP logins/s)
    // the expired go from the oldest end, then the oldest if still full; a scan of the whole map per
    // round cost each new State a walk over 65,536 entries.
    for (let oldest = this.sticky.oldest(); oldest && oldest.until <= now; oldest = this.sticky.oldest()) {
      this.sticky.shift();
    }
    if (this.sticky.size >= MAX_STICKY) this.sticky.shift();
    this.sticky.set(state.toString('hex'), { server, until: now + this.stickyMs });
  }

  private isLoop(request: Packet): boolean {
    if (!request.attributes.hasType(PROXY_STATE)) return false;
    for (const e of request.attributes.entries) {
      if (!isStandard(e.def, PROXY_STATE) || !Buffer.isBuffer(e.value)) continue;
      const v = e.value;
      if (v.length === 16 && v.subarray(0, 4).equals(MAGIC) && v.subarray(4, 12).equals(this.instance))
        return true;
    }
    return false;
  }

  private nextProxyState(): Buffer {
    const v = Buffer.allocUnsafe(16);
    MAGIC.copy(v, 0);
    this.instance.copy(v, 4);
    v.writeUInt32BE((this.counter = (this.counter + 1) >>> 0), 12);
    return v;
  }

  /**
   * The home server's reply attributes for the NAS: all Proxy-States dropped (the NAS's own come
   * back from the request, in order, when the reply is encoded; ours must be the last one) and
   * Message-Authenticator dropped (computed anew with the NAS's secret). Hidden values were
   * decoded with the home server's secret and are encoded again with the NAS's.
   */
  private replyAttributes(
    reply: Packet,
    request: Packet,
    ours: Buffer,
    match: RealmMatch | undefined,
  ): ReplyAttributes {
    const filtered = this.options.filterReply?.(reply, request, match);
    if (filtered !== undefined) return filtered;
    const { attributes, lastProxyState: last } = relayedAttributes(reply);
    if (last === undefined || !last.equals(ours))
      this.options.logger?.debug({ code: reply.code }, 'home server reply without our Proxy-State last');
    return attributes;
  }
}

/** What a HomeForward needs of its RadiusProxy. */
interface ForwardHost {
  send(
    server: string,
    kind: ServiceKind,
    packet: Packet,
    onReply: (result: SendResult) => void,
    onError: (error: unknown) => void,
  ): void;
  /** The handler's answer for a home server's reply; may throw (a filterReply hook). */
  answer(f: HomeForward, reply: Packet, server: string): HandlerTuple<number | null>;
  /** The handler's answer when no candidate answered; throws to send nothing. */
  unanswered(f: HomeForward, lastError: unknown): HandlerTuple<number | null>;
}

/**
 * One forwarded request on its way through the candidate home servers, in order, until one
 * answers. Callbacks rather than promises: this is the per-request path of a proxy.
 */
class HomeForward {
  private index = 0;
  private lastError: unknown = undefined;

  constructor(
    private readonly host: ForwardHost,
    private readonly candidates: readonly string[],
    private readonly kind: ServiceKind,
    private readonly out: Packet,
    readonly request: Packet,
    readonly ours: Buffer,
    readonly match: RealmMatch | undefined,
    readonly pool: string,
    private readonly resolve: (result: HandlerTuple<number | null>) => void,
    private readonly reject: (error: unknown) => void,
  ) {}

  /** Sends to the next candidate, or settles with what the NAS gets when none answered. */
  next(): void {
    if (this.index < this.candidates.length) {
      this.host.send(this.candidates[this.index++], this.kind, this.out, this.onReply, this.onError);
      return;
    }
    try {
      this.resolve(this.host.unanswered(this, this.lastError));
    } catch (err) {
      this.reject(err);
    }
  }

  private readonly onReply = (result: SendResult): void => {
    try {
      this.resolve(this.host.answer(this, result[0], this.candidates[this.index - 1]));
    } catch (err) {
      this.reject(err);
    }
  };

  private readonly onError = (error: unknown): void => {
    this.lastError = error;
    this.next();
  };
}

/**
 * Seconds a request's transmissions to one home server take: each wait doubling from `timeout` up
 * to the client's 16 s cap, with its 10% jitter (RFC 5080 §2.2.1), and at least 5. A fixed 5 s cut
 * `retries` short (timeout 2, retries 2: the third transmission, due at 6 s, was never sent).
 */
function retryBudget(timeout: number, retries: number): number {
  let total = 0;
  for (let k = 0; k <= retries; k++) total += Math.min(timeout * 2 ** k, 16);
  return Math.max(5, total * 1.1);
}
