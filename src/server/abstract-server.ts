import { defaultDictionary, type Dictionary } from '../dictionary/dictionary.js';
import { EapDiscardError, RadiusError, RadiusResponseError } from '../errors.js';
import type { AttributesSet, ReplyAttributes } from '../protocol/attributes.js';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCESS_REQUEST,
  ACCOUNTING_REQUEST,
  ACCOUNTING_RESPONSE,
  STATUS_SERVER,
} from '../protocol/codes.js';
import {
  type CoARequest,
  type DecodeOptions,
  type DisconnectRequest,
  encodeReply,
  type Packet,
  type PacketScan,
} from '../protocol/packet.js';
import { RadiusClient } from '../client/radius-client.js';
import { type DasSendOptions, sendToDas } from '../dynauth/das-sender.js';
import { type ListenerSpec, RequestPipeline } from '../pipeline/request-pipeline.js';
import type { Remote, ReplyChannel } from '../transport/remote.js';
import type { TcpListenerOptions, TlsListenerOptions } from '../transport/stream-listener.js';
import { familyOf, UdpEndpoint } from '../transport/udp.js';
import { newCounters, type ServerCounters } from './counters.js';
import type { DropReason } from '../pipeline/drop-log.js';
import type { BlastRadiusState, SharedDuplicateStore } from '../store/store.js';
import { MAX_SIGNING_NASES, MemoryBlastRadiusState } from '../store/blastradius-state.js';
import { ClientCounterTable } from '../pipeline/client-counters.js';
import { DEFAULT_DUPLICATE_CACHE_SIZE } from '../pipeline/duplicate-table.js';
import type { Logger } from './logger.js';
import { isThenable } from '../pipeline/thenable.js';
import { RadiusServerBase } from './server-base.js';
import { udpPort } from './udp-port.js';

/** BlastRADIUS (CVE-2024-3596) policy for Message-Authenticator in Access-Requests. */
export type RequireMessageAuthenticator = boolean | 'auto';

/** What `validateNas` may return: the shared secret, or the secret with per-NAS options. */
export interface NasConfig {
  secret: string | Buffer;
  /** Overrides the server's `requireMessageAuthenticator` for this NAS. */
  requireMessageAuthenticator?: RequireMessageAuthenticator;
  /** Overrides the server's `limitProxyState` for this NAS. */
  limitProxyState?: boolean;
  /** A name for logs and metrics. */
  name?: string;
}

/** Everything a handler may need beyond the attributes. */
export interface RequestContext {
  remote: Remote;
  /** The decoded, verified request. */
  packet: Packet;
  secret: Buffer;
  /** The port the request arrived on: 'auth' or 'acct'. */
  port: 'auth' | 'acct';
}

/** A handler's answer as documented: `[replyAttributes, code]` (null code: the default for the port). */
export type HandlerTuple<C extends number | null = number | null> = readonly [ReplyAttributes, C];

/**
 * What a handler may return: {@link HandlerTuple}, or the array TypeScript makes of a literal returned
 * without `as const` or a return type (an override's return is not typed from the base method):
 * `[[['Reply-Message', 'hi']], ACCESS_ACCEPT]` becomes `(number | string[][])[]`. The server checks
 * either at run time: two elements, the attributes then the code; anything else is dropped and counted.
 */
export type HandlerResult<C extends number | null = number | null> =
  | HandlerTuple<C>
  | readonly (ReplyAttributes | C)[];

/** Server options. */
export interface ServerOptions {
  /**
   * UDP port for Access-Requests (RFC 2865 §3); 0 picks a free one; null: no UDP authentication
   * listener. Default 1812, or none when `tcp` or `tls` is given (a RadSec-only server).
   */
  authPort?: number | null;
  /**
   * UDP port for Accounting-Requests (RFC 2866 §3); 0 picks a free one; null: no UDP accounting
   * listener. Default 1813, or none when `tcp` or `tls` is given.
   */
  accPort?: number | null;
  /** Listen for RADIUS over TCP (RFC 6613). */
  tcp?: TcpListenerOptions;
  /** Listen for RADIUS over TLS (RFC 6614, RadSec). */
  tls?: TlsListenerOptions;
  dictionary?: Dictionary;
  logger?: Logger;
  /** BlastRADIUS: true = require, false = don't, 'auto' (default) = require once a NAS has sent one. */
  requireMessageAuthenticator?: RequireMessageAuthenticator;
  /** Drop Access-Requests with Proxy-State and no Message-Authenticator (default true). */
  limitProxyState?: boolean;
  /** Seconds a reply is kept for retransmissions (RFC 5080 §2.2.2); default 5. */
  duplicateTtl?: number;
  /** Largest number of requests remembered for duplicate detection; default 262144. */
  duplicateCacheSize?: number;
  /**
   * Duplicate detection shared with other instances (e.g. {@link RedisSharedState}), for a load
   * balancer that may send a retransmission to another instance; default: this instance only.
   */
  sharedDuplicates?: SharedDuplicateStore;
  /**
   * BlastRADIUS 'auto' state shared with other instances (e.g. {@link RedisBlastRadiusState}): a NAS
   * learnt as signing by one instance is held to it by all; default: this instance only.
   */
  blastRadiusState?: BlastRadiusState;
  /** Seconds a handler may take before the request is abandoned (no reply); default 30. */
  handlerTimeout?: number;
  /** Seconds `close()` waits for handlers in flight; default 5. */
  closeTimeout?: number;
}

/** Ports actually bound, once listening. */
export interface ListeningInfo {
  host: string;
  address: string;
  authPort: number | undefined;
  accPort: number | undefined;
  /** The RADIUS/TCP port, when `tcp` was given. */
  tcpPort?: number;
  /** The RADIUS/TLS port, when `tls` was given. */
  tlsPort?: number;
}

type AnyHandler = (attributes: AttributesSet, context: RequestContext) => unknown;

const ZERO_COUNTERS = newCounters();
const DEFER_ATTRIBUTES: DecodeOptions = { deferAttributes: true };

/**
 * The listeners of a RADIUS server: authentication (RFC 2865), accounting (RFC 2866), and a stream
 * (TCP, TLS) that carries both.
 */
export type ListenerKind = 'auth' | 'acct' | 'stream';

// RFC 5997 §3: Status-Server is answered on both ports.
const AUTH_LISTENER: ListenerSpec<ListenerKind> = {
  kind: 'auth',
  accepts: (code) => code === ACCESS_REQUEST || code === STATUS_SERVER,
};
const ACCT_LISTENER: ListenerSpec<ListenerKind> = {
  kind: 'acct',
  accepts: (code) => code === ACCOUNTING_REQUEST || code === STATUS_SERVER,
};

/**
 * The RADIUS server of the specification: subclass it, implement `validateNas`, and override
 * `handleAuthPacket` and/or `handleAccPacket` (a port whose handler is not overridden is not opened).
 * The server owns sockets, verification, duplicates, Status-Server and replies; handlers only decide.
 */
export abstract class AbstractRadiusServer extends RadiusServerBase<ListeningInfo> {
  readonly options: Readonly<
    Required<
      Omit<ServerOptions, 'dictionary' | 'logger' | 'tcp' | 'tls' | 'sharedDuplicates' | 'blastRadiusState'>
    >
  > & {
    readonly tcp?: TcpListenerOptions;
    readonly tls?: TlsListenerOptions;
  };
  readonly dictionary: Dictionary;
  /** Totals over every NAS. */
  readonly counters: ServerCounters = newCounters();
  /** Where requests other instances handed over count (never reported: see Receiver.uncounted). */
  private readonly uncounted: ServerCounters = newCounters();

  private readonly nas = new ClientCounterTable<ServerCounters>(newCounters);
  /** Addresses of NASes that sent a verified Access-Request with Message-Authenticator ('auto'). */
  private readonly signingNases = new MemoryBlastRadiusState();
  /** The same, shared with other instances (undefined: this instance only). */
  private readonly sharedSigning: BlastRadiusState | undefined;
  /** NASes this instance has recorded in the shared state (each once, until it succeeds). */
  private readonly published = new Set<string>();
  private readonly pipeline: RequestPipeline<NasConfig, ListenerKind>;
  /** The client of sendToDas, made on first use and closed with the server. */
  private dasClient: RadiusClient | undefined;

  constructor(host: string, options: ServerOptions = {}) {
    super(host, 'radius server', options.logger);
    // With a stream listener, UDP ports are opened only when given: a RadSec-only server must not
    // take 1812/1813, nor fail to start because something else holds them.
    const streams = options.tcp !== undefined || options.tls !== undefined;
    this.options = {
      authPort: udpPort(options.authPort, streams ? null : 1812, 'server options', 'authPort'),
      accPort: udpPort(options.accPort, streams ? null : 1813, 'server options', 'accPort'),
      requireMessageAuthenticator: options.requireMessageAuthenticator ?? 'auto',
      limitProxyState: options.limitProxyState ?? true,
      duplicateTtl: options.duplicateTtl ?? 5,
      duplicateCacheSize: options.duplicateCacheSize ?? DEFAULT_DUPLICATE_CACHE_SIZE,
      handlerTimeout: options.handlerTimeout ?? 30,
      closeTimeout: options.closeTimeout ?? 5,
      tcp: options.tcp,
      tls: options.tls,
    };
    this.dictionary = options.dictionary ?? defaultDictionary;
    this.sharedSigning = options.blastRadiusState;
    this.pipeline = new RequestPipeline<NasConfig, ListenerKind>(
      {
        counters: this.counters,
        uncounted: this.uncounted,
        clientCounters: (address, create) => (create ? this.nas.client(address) : this.nas.peek(address)),
        refusedCounters: (address) => this.nas.refusedSource(address),
        identify: (remote) => this.validateNas(remote),
        decodeOptions: () => DEFER_ATTRIBUTES,
        admit: (request, scan, config, remote, counters) =>
          this.admit(request, scan, config, remote, counters as ServerCounters),
        respond: (request, secret, remote, listener, counters) =>
          this.respond(request, secret, remote, listener.kind, counters as ServerCounters),
      },
      this.pipelineHost(),
      {
        dictionary: this.dictionary,
        duplicateTtlMs: this.options.duplicateTtl * 1000,
        duplicateCacheSize: this.options.duplicateCacheSize,
        sharedDuplicates: options.sharedDuplicates,
      },
    );
  }

  /**
   * Returns the shared secret for a NAS (or NasConfig), or a promise of it (any PromiseLike), or
   * throws RadiusResponseError to ignore it.
   */
  abstract validateNas(
    remote: Remote,
  ): string | Buffer | NasConfig | PromiseLike<string | Buffer | NasConfig>;

  /**
   * Decides an Access-Request: `[replyAttributes, ACCESS_ACCEPT | ACCESS_REJECT | ACCESS_CHALLENGE]`,
   * or a promise of it (any PromiseLike).
   */
  handleAuthPacket(
    attributes: AttributesSet,
    context?: RequestContext,
  ): HandlerResult<number> | PromiseLike<HandlerResult<number>> {
    void attributes;
    void context;
    throw new RadiusResponseError('handleAuthPacket is not implemented by this server');
  }

  /** Handles an Accounting-Request: `[replyAttributes, null]` (or a promise of it) → Accounting-Response. */
  handleAccPacket(
    attributes: AttributesSet,
    context?: RequestContext,
  ): HandlerResult<null> | PromiseLike<HandlerResult<null>> {
    void attributes;
    void context;
    throw new RadiusResponseError('handleAccPacket is not implemented by this server');
  }

  /**
   * Hands the server one request received by a listener of the caller's own (another transport, a
   * test harness): it goes through the same pipeline as the server's own sockets, and the reply (if
   * any) through `channel`. `listener` says which port it came in on. Ignored unless running.
   */
  receive(data: Buffer, remote: Remote, channel: ReplyChannel, listener: 'auth' | 'acct'): void {
    this.deliver(this.pipeline, data, remote, channel, listener === 'auth' ? AUTH_LISTENER : ACCT_LISTENER);
  }

  /**
   * Counters of one address (zeros if never seen): a NAS's, or a source `validateNas` refused (its
   * `unknownNas`; the last 1,024 such sources are kept).
   */
  nasCounters(address: string): Readonly<ServerCounters> {
    return this.nas.peek(address) ?? ZERO_COUNTERS;
  }

  /**
   * Every NAS seen (10,000 at the most, the first seen goes first), with its counters. Sources
   * `validateNas` refused are not listed (nor exported as metrics): ask `nasCounters(address)`.
   */
  nasList(): Array<{ address: string; counters: Readonly<ServerCounters> }> {
    return [...this.nas.clients()].map(([address, counters]) => ({ address, counters }));
  }

  private overrides(name: 'handleAuthPacket' | 'handleAccPacket'): boolean {
    return this[name] !== AbstractRadiusServer.prototype[name];
  }

  /**
   * Binds the UDP ports of the overridden handlers (unless null) and the stream listeners (the base
   * class starts periodic tasks).
   */
  protected async openEndpoints(): Promise<ListeningInfo> {
    const auth = this.overrides('handleAuthPacket');
    const acct = this.overrides('handleAccPacket');
    if (!auth && !acct) {
      throw new RadiusError(
        'override handleAuthPacket and/or handleAccPacket: no port to open',
        'ERR_RADIUS_NO_HANDLER',
      );
    }
    const { tcp, tls, authPort, accPort } = this.options;
    const udpAuth = auth && authPort !== null;
    const udpAcct = acct && accPort !== null;
    if (!udpAuth && !udpAcct && tcp === undefined && tls === undefined) {
      throw new RadiusError(
        `no listener to open: ${auth ? 'authPort' : 'accPort'} is null and neither tcp nor tls is given`,
        'ERR_RADIUS_NO_LISTENER',
      );
    }
    const address = await this.resolveAddress();
    const family = familyOf(address);
    const bindOne = (port: number, listener: ListenerSpec<ListenerKind>) => {
      const ep = this.addEndpoint(
        new UdpEndpoint(
          family,
          (data, remote) => this.deliver(this.pipeline, data, remote, ep, listener),
          (err) => this.socketError(err),
        ),
      );
      return ep.bind(address, port);
    };
    const info: ListeningInfo = {
      host: this.host,
      address,
      authPort: udpAuth ? await bindOne(authPort, AUTH_LISTENER) : undefined,
      accPort: udpAcct ? await bindOne(accPort, ACCT_LISTENER) : undefined,
    };
    // Streams carry every request the server handles on one port (RFC 6613 §2.2, RFC 6614 §2.1).
    const stream: ListenerSpec<ListenerKind> = {
      kind: 'stream',
      accepts: (code) =>
        code === STATUS_SERVER || (auth && code === ACCESS_REQUEST) || (acct && code === ACCOUNTING_REQUEST),
    };
    const deliver = (data: Buffer, remote: Remote, channel: ReplyChannel) =>
      this.deliver(this.pipeline, data, remote, channel, stream);
    if (tcp) info.tcpPort = await this.listenTcp(address, tcp, deliver);
    if (tls) info.tlsPort = await this.listenTls(address, tls, deliver);
    return info;
  }

  protected override onClosed(): void {
    this.dasClient?.close();
    this.dasClient = undefined;
    this.pipeline.clear();
    this.drops.clear();
  }

  protected override countSocketError(): void {
    this.counters.socketErrors++;
  }

  protected override countConnectionError(): void {
    this.counters.connectionErrors++;
  }

  /**
   * Whether the 'auto' policy requires Message-Authenticator from this NAS: this instance has seen it
   * send a verified one (or found it in the shared `blastRadiusState`). Kept per address for the
   * life of the server: a restart forgets it unless the state is shared (the NAS is then held to it
   * again from its next signed Access-Request); `requireMessageAuthenticator: true` per NAS survives
   * restarts.
   */
  nasSignsRequests(address: string): boolean {
    return this.signingNases.signs(address);
  }

  private count(nas: ServerCounters | undefined, name: keyof ServerCounters): void {
    this.totalsOf(nas)[name]++;
    if (nas) nas[name]++;
  }

  /** The totals a request counts in: none that are reported for one another instance handed over. */
  private totalsOf(nas: ServerCounters | undefined): ServerCounters {
    return nas === this.uncounted ? this.uncounted : this.counters;
  }

  /**
   * BlastRADIUS (after verification, before duplicate detection): 'auto' learns from verified
   * Access-Requests, and an Access-Request without Message-Authenticator is dropped when the policy
   * requires one, or when it carries Proxy-State and `limitProxyState` is on. With shared state, a
   * NAS this instance has not seen signing is looked up there first (a promise only then).
   */
  private admit(
    _request: Packet,
    scan: PacketScan,
    config: string | Buffer | NasConfig,
    remote: Remote,
    nas: ServerCounters,
  ): DropReason | undefined | Promise<DropReason | undefined> {
    // RADIUS/1.1 has no Message-Authenticator: TLS authenticates every packet (RFC 9765 §5.2).
    if (scan.code !== ACCESS_REQUEST || remote.radiusVersion === '1.1') return undefined;
    const address = remote.address;
    if (scan.maOffset >= 0) {
      // Status-Server must carry one anyway (RFC 5997 §3) and accounting may, so neither says
      // whether this NAS signs its Access-Requests.
      this.learnSigning(address);
      return undefined;
    }
    const nasConfig = typeof config === 'string' || Buffer.isBuffer(config) ? undefined : config;
    const policy = nasConfig?.requireMessageAuthenticator ?? this.options.requireMessageAuthenticator;
    if (policy === true || (policy === 'auto' && this.signingNases.signs(address))) {
      this.count(nas, 'dropped');
      return 'blastradius';
    }
    const shared = this.sharedSigning;
    if (policy === 'auto' && shared !== undefined) {
      let signs: boolean | PromiseLike<boolean>;
      try {
        signs = shared.signs(address);
      } catch (err) {
        this.reportError(err);
        return this.limitProxyState(scan, nasConfig, nas);
      }
      const decide = (yes: boolean): DropReason | undefined => {
        if (!yes) return this.limitProxyState(scan, nasConfig, nas);
        // Learnt by another instance: held to it here from now on, without asking again.
        this.signingNases.markSigning(address);
        if (this.published.size < MAX_SIGNING_NASES) this.published.add(address);
        this.count(nas, 'dropped');
        return 'blastradius';
      };
      if (!isThenable(signs)) return decide(signs);
      // Degraded: this instance's own memory decides. The store reports its outage itself (once,
      // for RedisSharedState), not once per request.
      return Promise.resolve(signs).then(decide, () => this.limitProxyState(scan, nasConfig, nas));
    }
    return this.limitProxyState(scan, nasConfig, nas);
  }

  /** An unsigned Access-Request with Proxy-State is dropped under `limitProxyState`. */
  private limitProxyState(
    scan: PacketScan,
    nasConfig: NasConfig | undefined,
    nas: ServerCounters,
  ): DropReason | undefined {
    if (scan.hasProxyState && (nasConfig?.limitProxyState ?? this.options.limitProxyState)) {
      this.count(nas, 'dropped');
      return 'proxy_state';
    }
    return undefined;
  }

  /** Remembers a NAS that signed, here and (once it succeeds) in the shared state. */
  private learnSigning(address: string): void {
    this.signingNases.markSigning(address);
    const shared = this.sharedSigning;
    if (shared === undefined || this.published.has(address) || this.published.size >= MAX_SIGNING_NASES)
      return;
    const done = () => this.published.add(address);
    try {
      const r = shared.markSigning(address);
      // Not recorded yet (the store reports its outage): tried again with the NAS's next request.
      if (isThenable(r)) Promise.resolve(r).then(done, () => undefined);
      else done();
    } catch (err) {
      this.reportError(err);
    }
  }

  /**
   * Answers a verified request that passed the policy: Status-Server here, the rest by the handler.
   * Returns the reply bytes or undefined (drop), or a promise of them for an asynchronous handler.
   */
  private respond(
    request: Packet,
    secret: Buffer,
    remote: Remote,
    listener: ListenerKind,
    nas: ServerCounters,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    const code = request.code;
    // A stream carries both kinds: the request's code says which port it stands for.
    const port: 'auth' | 'acct' =
      listener === 'stream' ? (code === ACCOUNTING_REQUEST ? 'acct' : 'auth') : listener;
    if (code === STATUS_SERVER) {
      // RFC 5997 §3: answered by the server itself, never passed to handlers.
      this.count(nas, 'statusServer');
      return encodeReply(request, port === 'auth' ? ACCESS_ACCEPT : ACCOUNTING_RESPONSE);
    }
    const context: RequestContext = { remote, packet: request, secret, port };
    const isAuth = code === ACCESS_REQUEST;
    // Per-request counters are named, not passed by name to count(): a property name in a variable
    // makes every increment a generic keyed access.
    const totals = this.totalsOf(nas);
    if (isAuth) {
      totals.accessRequests++;
      nas.accessRequests++;
    } else {
      totals.accountingRequests++;
      nas.accountingRequests++;
    }
    let r: unknown;
    try {
      const handler = (isAuth ? this.handleAuthPacket : this.handleAccPacket) as AnyHandler;
      r = handler.call(this, request.attributes, context);
    } catch (err) {
      return this.handlerFailed(nas, err, remote);
    }
    if (isThenable(r)) {
      return this.timeBoxThen(
        Promise.resolve(r),
        (result) => this.answer(request, nas, isAuth, result, remote),
        (err: unknown) => this.handlerFailed(nas, err, remote),
      );
    }
    return this.answer(request, nas, isAuth, r, remote);
  }

  /** No reply: counted, logged as a drop under `reason`, and reported to registerHandleException. */
  private handlerFailed(
    nas: ServerCounters,
    err: unknown,
    remote: Remote,
    reason: DropReason = 'handler_failed',
  ): undefined {
    // RFC 3748 §4.1: a Response silently discarded is the protocol at work, not a failing handler;
    // one that is not even a well-formed EAP packet (§4) is malformed input.
    if (err instanceof EapDiscardError) reason = err.malformed ? 'eap_malformed' : 'eap_discarded';
    else this.count(nas, 'handlerErrors');
    this.count(nas, reason === 'eap_malformed' ? 'malformed' : 'dropped');
    this.drops.report(remote.address, reason, {
      error: err instanceof Error ? err.message : String(err),
    });
    this.reportError(err);
    return undefined;
  }

  /** Checks a handler's result and encodes the reply it asks for. */
  private answer(
    request: Packet,
    nas: ServerCounters,
    isAuth: boolean,
    r: unknown,
    remote: Remote,
  ): Buffer | undefined {
    if (!Array.isArray(r) || r.length !== 2) {
      return this.handlerFailed(
        nas,
        new RadiusError('a handler must return [attributes, code]', 'ERR_RADIUS_HANDLER_RESULT'),
        remote,
        'bad_handler_result',
      );
    }
    // Two elements, either form of HandlerResult: the code is checked below, the attributes by encodeReply.
    const [attrs, code]: readonly unknown[] = r;
    let replyCode: number;
    if (isAuth) {
      if (code !== ACCESS_ACCEPT && code !== ACCESS_REJECT && code !== ACCESS_CHALLENGE) {
        return this.handlerFailed(
          nas,
          new RadiusError(`handleAuthPacket returned code ${code}`, 'ERR_RADIUS_HANDLER_RESULT'),
          remote,
          'bad_handler_result',
        );
      }
      replyCode = code;
    } else replyCode = ACCOUNTING_RESPONSE;
    try {
      const bytes = encodeReply(request, replyCode, attrs as ReplyAttributes);
      countReply(this.totalsOf(nas), replyCode);
      countReply(nas, replyCode);
      return bytes;
    } catch (err) {
      // Reply attributes that cannot be encoded: the handler's mistake, not the NAS's.
      return this.handlerFailed(nas, err, remote, 'bad_handler_result');
    }
  }

  /**
   * Sends a CoA-Request or Disconnect-Request to a NAS (the server's Dynamic Authorization client,
   * RFC 5176) and resolves with its ACK or NAK and the response time. Port default 3799, or 2083
   * with `options.transport` 'tls'.
   */
  sendToDas(
    request: CoARequest | DisconnectRequest,
    host: string,
    port?: number,
    options?: DasSendOptions,
  ): Promise<[Packet, number]> {
    // One client for the server's life, not one per call (its sockets and identifiers are reused).
    if (options?.client) return sendToDas(request, host, port, options);
    this.dasClient ??= new RadiusClient();
    return sendToDas(request, host, port, { ...options, client: this.dasClient });
  }
}

/** Counts a reply sent, by its code. */
function countReply(counters: ServerCounters, code: number): void {
  if (code === ACCESS_ACCEPT) counters.accepts++;
  else if (code === ACCESS_REJECT) counters.rejects++;
  else if (code === ACCESS_CHALLENGE) counters.challenges++;
  else counters.accountingResponses++;
}
