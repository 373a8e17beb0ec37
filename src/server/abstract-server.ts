import type { RemoteInfo } from 'node:dgram';
import { defaultDictionary, type Dictionary } from '../dictionary/dictionary.js';
import { AuthenticatorError, RadiusError, RadiusResponseError } from '../errors.js';
import type { AttributesSet, ReplyAttributes } from '../protocol/attributes.js';
import {
  ACCESS_ACCEPT,
  ACCESS_CHALLENGE,
  ACCESS_REJECT,
  ACCESS_REQUEST,
  ACCOUNTING_REQUEST,
  ACCOUNTING_RESPONSE,
  codeName,
  STATUS_SERVER,
} from '../protocol/codes.js';
import {
  type CoARequest,
  type DisconnectRequest,
  decodeRequest,
  encodeReply,
  type Packet,
  type PacketScan,
  scanPacket,
} from '../protocol/packet.js';
import { type DasSendOptions, sendToDas } from '../dynauth/das-sender.js';
import { familyOf, type Remote, type ReplyChannel, UdpEndpoint } from '../transport/udp.js';
import { newCounters, type ServerCounters } from './counters.js';
import { DEFAULT_DUPLICATE_CACHE_SIZE, DuplicateTable } from './duplicate-table.js';
import type { Logger } from './logger.js';
import { RadiusServerBase } from './server-base.js';

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

/** A handler's answer: reply attributes and the reply code (null: the default for the port). */
export type HandlerResult<C extends number | null> = readonly [ReplyAttributes, C];

/** Server options. */
export interface ServerOptions {
  authPort?: number;
  accPort?: number;
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
}

type AnyHandler = (attributes: AttributesSet, context: RequestContext) => unknown;

/** NASes whose counters are kept; past it the oldest entry goes (counters only, never policy). */
const MAX_NAS_ENTRIES = 10000;
/**
 * NASes remembered as signing their Access-Requests ('auto' policy). Only a verified request can
 * add one and none is ever evicted, so traffic without the secret cannot switch the policy off;
 * past this bound new NASes are not learned (they stay under the configured policy).
 */
const MAX_SIGNING_NASES = 65536;
const ZERO_COUNTERS = newCounters();

/**
 * The RADIUS server of the specification: subclass it, implement `validateNas`, and override
 * `handleAuthPacket` and/or `handleAccPacket` (a port whose handler is not overridden is not opened).
 * The server owns sockets, verification, duplicates, Status-Server and replies; handlers only decide.
 */
export abstract class AbstractRadiusServer extends RadiusServerBase<ListeningInfo> {
  readonly options: Readonly<Required<Omit<ServerOptions, 'dictionary' | 'logger'>>>;
  readonly dictionary: Dictionary;
  /** Totals over every NAS. */
  readonly counters: ServerCounters = newCounters();

  private readonly nas = new Map<string, ServerCounters>();
  /** Addresses of NASes that sent a verified Access-Request with Message-Authenticator ('auto'). */
  private readonly signingNases = new Set<string>();
  private readonly duplicates: DuplicateTable;

  constructor(host: string, options: ServerOptions = {}) {
    super(host, 'radius server', options.logger);
    this.options = {
      authPort: options.authPort ?? 1812,
      accPort: options.accPort ?? 1813,
      requireMessageAuthenticator: options.requireMessageAuthenticator ?? 'auto',
      limitProxyState: options.limitProxyState ?? true,
      duplicateTtl: options.duplicateTtl ?? 5,
      duplicateCacheSize: options.duplicateCacheSize ?? DEFAULT_DUPLICATE_CACHE_SIZE,
      handlerTimeout: options.handlerTimeout ?? 30,
      closeTimeout: options.closeTimeout ?? 5,
    };
    this.dictionary = options.dictionary ?? defaultDictionary;
    this.duplicates = new DuplicateTable(this.options.duplicateTtl * 1000, this.options.duplicateCacheSize);
  }

  /** Returns the shared secret for a NAS (or NasConfig), or throws RadiusResponseError to ignore it. */
  abstract validateNas(remote: Remote): string | Buffer | NasConfig | Promise<string | Buffer | NasConfig>;

  /** Decides an Access-Request: `[replyAttributes, ACCESS_ACCEPT | ACCESS_REJECT | ACCESS_CHALLENGE]`. */
  handleAuthPacket(
    attributes: AttributesSet,
    context?: RequestContext,
  ): HandlerResult<number> | Promise<HandlerResult<number>> {
    void attributes;
    void context;
    throw new RadiusResponseError('handleAuthPacket is not implemented by this server');
  }

  /** Handles an Accounting-Request: `[replyAttributes, null]` → Accounting-Response. */
  handleAccPacket(
    attributes: AttributesSet,
    context?: RequestContext,
  ): HandlerResult<null> | Promise<HandlerResult<null>> {
    void attributes;
    void context;
    throw new RadiusResponseError('handleAccPacket is not implemented by this server');
  }

  /** Counters of one NAS by address (zeros if never seen). */
  nasCounters(address: string): Readonly<ServerCounters> {
    return this.nas.get(address) ?? ZERO_COUNTERS;
  }

  /** Every NAS seen, with its counters. */
  nasList(): Array<{ address: string; counters: Readonly<ServerCounters> }> {
    return [...this.nas].map(([address, counters]) => ({ address, counters }));
  }

  private overrides(name: 'handleAuthPacket' | 'handleAccPacket'): boolean {
    return this[name] !== AbstractRadiusServer.prototype[name];
  }

  /** Binds the ports of the overridden handlers (the base class starts periodic tasks). */
  protected async openEndpoints(): Promise<ListeningInfo> {
    const address = await this.resolveAddress();
    const family = familyOf(address);
    const bindOne = (port: number, which: 'auth' | 'acct') => {
      const ep = this.addEndpoint(
        new UdpEndpoint(
          family,
          (data, rinfo) => this.onDatagram(data, rinfo, ep, which),
          (err) => this.socketError(err),
        ),
      );
      return ep.bind(address, port);
    };
    const authPort = this.overrides('handleAuthPacket')
      ? await bindOne(this.options.authPort, 'auth')
      : undefined;
    const accPort = this.overrides('handleAccPacket')
      ? await bindOne(this.options.accPort, 'acct')
      : undefined;
    if (authPort === undefined && accPort === undefined) {
      throw new RadiusError(
        'override handleAuthPacket and/or handleAccPacket: no port to open',
        'ERR_RADIUS_NO_HANDLER',
      );
    }
    return { host: this.host, address, authPort, accPort };
  }

  protected override onClosed(): void {
    this.duplicates.clear();
    this.drops.clear();
  }

  protected override countSocketError(): void {
    this.counters.socketErrors++;
  }

  /**
   * Whether the 'auto' policy requires Message-Authenticator from this NAS: it has sent a verified
   * one. Kept per address for the life of the server: a restart forgets it (the NAS is then held to
   * it again from its next signed Access-Request); `requireMessageAuthenticator: true` per NAS
   * survives restarts.
   */
  nasSignsRequests(address: string): boolean {
    return this.signingNases.has(address);
  }

  private nasCountersFor(address: string): ServerCounters {
    let c = this.nas.get(address);
    if (!c) {
      if (this.nas.size >= MAX_NAS_ENTRIES) this.nas.delete(this.nas.keys().next().value as string);
      c = newCounters();
      this.nas.set(address, c);
    }
    return c;
  }

  private count(nas: ServerCounters | undefined, name: keyof ServerCounters): void {
    this.counters[name]++;
    if (nas) nas[name]++;
  }

  /** Entry point of every datagram (the transport calls this; TCP/TLS framing would too). */
  private onDatagram(data: Buffer, rinfo: RemoteInfo, channel: ReplyChannel, port: 'auth' | 'acct'): void {
    if (this.state !== 'running') return;
    const remote: Remote = {
      address: rinfo.address,
      port: rinfo.port,
      family: rinfo.family as Remote['family'],
    };
    // Requests whose NAS lookup and handler are synchronous are answered right here; only those
    // that really wait are tracked (a promise chain per request costs more than the decode).
    let pending: Promise<void> | undefined;
    try {
      pending = this.handleDatagram(data, remote, channel, port);
    } catch (e) {
      this.reportError(e);
      return;
    }
    if (pending === undefined) return;
    // What track() does, written out: this is the per-datagram path.
    const p = pending.catch((e) => this.reportError(e));
    this.inFlight.add(p);
    p.finally(() => this.inFlight.delete(p));
  }

  /**
   * receive → scan → identify the NAS → verify → policy → duplicate check → handler → reply.
   * A request is looked up and recorded as a duplicate only once it has verified and passed the
   * policy: a forged copy sent first must not make the genuine request a "duplicate" (RFC 5080
   * §2.2.2 detects retransmissions of the NAS, not of anyone).
   */
  private handleDatagram(
    data: Buffer,
    remote: Remote,
    channel: ReplyChannel,
    port: 'auth' | 'acct',
  ): Promise<void> | undefined {
    this.counters.requests++;
    let scan: PacketScan;
    try {
      scan = scanPacket(data);
    } catch (err) {
      this.count(this.nas.get(remote.address), 'malformed');
      this.drops.report(remote.address, 'malformed', { error: (err as Error).message });
      return;
    }
    const code = scan.code;
    const allowed =
      code === STATUS_SERVER || (port === 'auth' ? code === ACCESS_REQUEST : code === ACCOUNTING_REQUEST);
    if (!allowed) {
      this.count(this.nas.get(remote.address), 'dropped');
      this.drops.report(remote.address, 'unexpected_code', { code: codeName(code), port });
      return;
    }
    let r: string | Buffer | NasConfig | Promise<string | Buffer | NasConfig>;
    try {
      r = this.validateNas(remote);
    } catch (err) {
      this.unknownNas(remote, err);
      return;
    }
    if (r instanceof Promise) {
      return this.timeBox(r, 'validateNas').then(
        (config) => this.fromKnownNas(config, data, scan, remote, channel, port),
        (err: unknown) => this.unknownNas(remote, err),
      );
    }
    return this.fromKnownNas(r, data, scan, remote, channel, port);
  }

  private unknownNas(remote: Remote, err: unknown): undefined {
    this.count(undefined, 'unknownNas');
    const refused = err instanceof RadiusResponseError;
    this.drops.report(remote.address, refused ? 'unknown_nas' : 'nas_lookup_failed', {
      error: err instanceof Error ? err.message : String(err),
    });
    this.reportError(err);
    return undefined;
  }

  /** The rest of the pipeline once validateNas has given the NAS's secret. */
  private fromKnownNas(
    config: string | Buffer | NasConfig,
    data: Buffer,
    scan: PacketScan,
    remote: Remote,
    channel: ReplyChannel,
    port: 'auth' | 'acct',
  ): Promise<void> | undefined {
    const nas = this.nasCountersFor(remote.address);
    nas.requests++;
    const secret = this.secretOf(config);
    let request: Packet;
    try {
      // dgram hands each datagram over in a buffer of its own: attributes can wait until read.
      request = decodeRequest(secret, data, { scan, dictionary: this.dictionary, deferAttributes: true });
    } catch (err) {
      const bad = err instanceof AuthenticatorError;
      this.count(nas, bad ? 'badAuthenticators' : 'malformed');
      this.drops.report(remote.address, bad ? 'bad_authenticator' : 'malformed', {
        error: (err as Error).message,
      });
      return undefined;
    }
    const hasMA = scan.maOffset >= 0;
    if (scan.code === ACCESS_REQUEST) {
      if (hasMA) {
        // 'auto' learns from verified Access-Requests only: Status-Server must carry one anyway
        // (RFC 5997 §3) and accounting may, so neither says whether this NAS signs its requests.
        if (this.signingNases.size < MAX_SIGNING_NASES) this.signingNases.add(remote.address);
      } else if (this.refusedByPolicy(config, scan, remote, nas)) return undefined;
    }
    const duplicates = this.duplicates;
    const now = Date.now();
    const seen = duplicates.find(remote.address, remote.port, data, now);
    if (seen >= 0) {
      this.count(nas, 'duplicates');
      // RFC 5080 §2.2.2: answer a retransmission from the cache; drop one still being handled.
      const reply = duplicates.isDone(seen) ? duplicates.replyAt(seen) : undefined;
      if (reply) channel.send(reply, remote);
      return undefined;
    }
    const ticket = duplicates.begin(now);
    let out: Buffer | undefined | Promise<Buffer | undefined>;
    try {
      out = this.respond(request, secret, scan, remote, port, nas);
    } catch (err) {
      duplicates.finish(ticket, undefined, Date.now());
      throw err;
    }
    if (out instanceof Promise) {
      // The handler may wait: the entry is finished by its key, which outlives evictions meanwhile.
      const key = duplicates.keyOf(ticket);
      return out.then(
        (reply) => {
          duplicates.finishKey(key, reply, Date.now());
          if (reply) channel.send(reply, remote);
        },
        (err: unknown) => {
          duplicates.finishKey(key, undefined, Date.now());
          throw err;
        },
      );
    }
    duplicates.finish(ticket, out, Date.now());
    if (out) channel.send(out, remote);
    return undefined;
  }

  /** BlastRADIUS: whether an Access-Request without Message-Authenticator is dropped (and counts it). */
  private refusedByPolicy(
    config: string | Buffer | NasConfig,
    scan: PacketScan,
    remote: Remote,
    nas: ServerCounters,
  ): boolean {
    const nasConfig = typeof config === 'string' || Buffer.isBuffer(config) ? undefined : config;
    const policy = nasConfig?.requireMessageAuthenticator ?? this.options.requireMessageAuthenticator;
    if (policy === true || (policy === 'auto' && this.signingNases.has(remote.address))) {
      this.count(nas, 'dropped');
      this.drops.report(remote.address, 'blastradius', { policy });
      return true;
    }
    if (scan.hasProxyState && (nasConfig?.limitProxyState ?? this.options.limitProxyState)) {
      this.count(nas, 'dropped');
      this.drops.report(remote.address, 'proxy_state');
      return true;
    }
    return false;
  }

  /** The secret bytes of what validateNas returned. */
  private secretOf(config: string | Buffer | NasConfig): Buffer {
    if (typeof config === 'string') return this.secretBytes(config);
    if (Buffer.isBuffer(config)) return config;
    return typeof config.secret === 'string' ? this.secretBytes(config.secret) : config.secret;
  }

  private lastSecretText: string | undefined;
  private lastSecretBytes: Buffer = Buffer.alloc(0);

  // validateNas usually returns the same string every time: encode it once, not per request.
  private secretBytes(text: string): Buffer {
    if (text !== this.lastSecretText) {
      this.lastSecretBytes = Buffer.from(text, 'utf8');
      this.lastSecretText = text;
    }
    return this.lastSecretBytes;
  }

  /**
   * Answers a verified request that passed the policy: Status-Server here, the rest by the handler.
   * Returns the reply bytes or undefined (drop), or a promise of them for an asynchronous handler.
   */
  private respond(
    request: Packet,
    secret: Buffer,
    scan: PacketScan,
    remote: Remote,
    port: 'auth' | 'acct',
    nas: ServerCounters,
  ): Buffer | undefined | Promise<Buffer | undefined> {
    if (scan.code === STATUS_SERVER) {
      // RFC 5997 §3: answered by the server itself, never passed to handlers.
      this.count(nas, 'statusServer');
      return encodeReply(request, port === 'auth' ? ACCESS_ACCEPT : ACCOUNTING_RESPONSE);
    }
    const context: RequestContext = { remote, packet: request, secret, port };
    const isAuth = scan.code === ACCESS_REQUEST;
    // Per-request counters are named, not passed by name to count(): a property name in a variable
    // makes every increment a generic keyed access.
    if (isAuth) {
      this.counters.accessRequests++;
      nas.accessRequests++;
    } else {
      this.counters.accountingRequests++;
      nas.accountingRequests++;
    }
    let r: unknown;
    try {
      const handler = (isAuth ? this.handleAuthPacket : this.handleAccPacket) as AnyHandler;
      r = handler.call(this, request.attributes, context);
    } catch (err) {
      return this.handlerFailed(nas, err, remote);
    }
    if (r instanceof Promise) {
      return this.timeBox(r).then(
        (result) => this.answer(request, nas, isAuth, result, remote),
        (err: unknown) => this.handlerFailed(nas, err, remote),
      );
    }
    return this.answer(request, nas, isAuth, r, remote);
  }

  private handlerFailed(nas: ServerCounters, err: unknown, remote: Remote): undefined {
    this.count(nas, 'handlerErrors');
    this.count(nas, 'dropped');
    this.drops.report(remote.address, 'handler_failed', {
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
    const result = r as HandlerResult<number | null>;
    if (!Array.isArray(result) || result.length !== 2) {
      return this.handlerFailed(
        nas,
        new RadiusError('a handler must return [attributes, code]', 'ERR_RADIUS_HANDLER_RESULT'),
        remote,
      );
    }
    const [attrs, code] = result;
    let replyCode: number;
    if (isAuth) {
      if (code !== ACCESS_ACCEPT && code !== ACCESS_REJECT && code !== ACCESS_CHALLENGE) {
        this.count(nas, 'handlerErrors');
        this.reportError(
          new RadiusError(`handleAuthPacket returned code ${code}`, 'ERR_RADIUS_HANDLER_RESULT'),
        );
        return undefined;
      }
      replyCode = code;
    } else replyCode = ACCOUNTING_RESPONSE;
    try {
      const bytes = encodeReply(request, replyCode, attrs);
      countReply(this.counters, replyCode);
      countReply(nas, replyCode);
      return bytes;
    } catch (err) {
      this.count(nas, 'handlerErrors');
      this.reportError(err);
      return undefined;
    }
  }

  /**
   * Sends a CoA-Request or Disconnect-Request to a NAS (the server's Dynamic Authorization client,
   * RFC 5176) and resolves with its ACK or NAK and the response time.
   */
  sendToDas(
    request: CoARequest | DisconnectRequest,
    host: string,
    port = 3799,
    options?: DasSendOptions,
  ): Promise<[Packet, number]> {
    return sendToDas(request, host, port, options);
  }
}

/** Counts a reply sent, by its code. */
function countReply(counters: ServerCounters, code: number): void {
  if (code === ACCESS_ACCEPT) counters.accepts++;
  else if (code === ACCESS_REJECT) counters.rejects++;
  else if (code === ACCESS_CHALLENGE) counters.challenges++;
  else counters.accountingResponses++;
}
