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

interface NasState {
  counters: ServerCounters;
  /** Seen a Message-Authenticator in an Access-Request from this NAS ('auto' policy). */
  sentMessageAuthenticator: boolean;
}

type AnyHandler = (attributes: AttributesSet, context: RequestContext) => unknown;

const MAX_NAS_ENTRIES = 10000;
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

  private readonly nas = new Map<string, NasState>();
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
    return this.nas.get(address)?.counters ?? ZERO_COUNTERS;
  }

  /** Every NAS seen, with its counters. */
  nasList(): Array<{ address: string; counters: Readonly<ServerCounters> }> {
    return [...this.nas].map(([address, s]) => ({ address, counters: s.counters }));
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
        new UdpEndpoint(family, (data, rinfo) => this.onDatagram(data, rinfo, ep, which)),
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
  }

  private nasState(address: string): NasState {
    let s = this.nas.get(address);
    if (!s) {
      if (this.nas.size >= MAX_NAS_ENTRIES) this.nas.delete(this.nas.keys().next().value as string);
      s = { counters: newCounters(), sentMessageAuthenticator: false };
      this.nas.set(address, s);
    }
    return s;
  }

  private count(nas: NasState | undefined, name: keyof ServerCounters): void {
    this.counters[name]++;
    if (nas) nas.counters[name]++;
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

  private handleDatagram(
    data: Buffer,
    remote: Remote,
    channel: ReplyChannel,
    port: 'auth' | 'acct',
  ): Promise<void> | undefined {
    this.counters.requests++;
    let scan: ReturnType<typeof scanPacket>;
    try {
      scan = scanPacket(data);
    } catch (err) {
      this.count(this.nas.get(remote.address), 'malformed');
      this.logger.debug(
        { remote: remote.address, reason: (err as Error).message },
        'malformed datagram dropped',
      );
      return;
    }
    const code = scan.code;
    const allowed =
      code === STATUS_SERVER || (port === 'auth' ? code === ACCESS_REQUEST : code === ACCOUNTING_REQUEST);
    if (!allowed) {
      this.count(this.nas.get(remote.address), 'dropped');
      this.logger.debug({ remote: remote.address, code }, `${codeName(code)} on the ${port} port dropped`);
      return;
    }
    const duplicates = this.duplicates;
    const now = Date.now();
    const seen = duplicates.find(remote.address, remote.port, data, now);
    if (seen >= 0) {
      this.count(this.nas.get(remote.address), 'duplicates');
      // RFC 5080 §2.2.2: answer a retransmission from the cache; drop one still being handled.
      const reply = duplicates.isDone(seen) ? duplicates.replyAt(seen) : undefined;
      if (reply) channel.send(reply, remote);
      return;
    }
    const ticket = duplicates.begin(now);
    let out: Buffer | undefined | Promise<Buffer | undefined>;
    try {
      out = this.process(data, scan, remote, port);
    } catch (err) {
      duplicates.finish(ticket, undefined, Date.now());
      throw err;
    }
    if (out instanceof Promise) {
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
   * Verifies, routes and answers one request; returns the reply bytes or undefined (drop), or a
   * promise of them when validateNas or the handler is asynchronous.
   */
  private process(
    data: Buffer,
    scan: ReturnType<typeof scanPacket>,
    remote: Remote,
    port: 'auth' | 'acct',
  ): Buffer | undefined | Promise<Buffer | undefined> {
    let r: string | Buffer | NasConfig | Promise<string | Buffer | NasConfig>;
    try {
      r = this.validateNas(remote);
    } catch (err) {
      return this.unknownNas(remote, err);
    }
    if (r instanceof Promise) {
      return r.then(
        (config) => this.processFrom(config, data, scan, remote, port),
        (err: unknown) => this.unknownNas(remote, err),
      );
    }
    return this.processFrom(r, data, scan, remote, port);
  }

  private unknownNas(remote: Remote, err: unknown): undefined {
    this.count(undefined, 'unknownNas');
    this.logger.debug({ remote: remote.address }, 'request from unknown NAS dropped');
    this.reportError(err);
    return undefined;
  }

  /** The rest of process() once the NAS's secret is known. */
  private processFrom(
    config: string | Buffer | NasConfig,
    data: Buffer,
    scan: ReturnType<typeof scanPacket>,
    remote: Remote,
    port: 'auth' | 'acct',
  ): Buffer | undefined | Promise<Buffer | undefined> {
    const nas = this.nasState(remote.address);
    nas.counters.requests++;
    const secret = this.secretOf(config);
    let request: Packet;
    try {
      // dgram hands each datagram over in a buffer of its own: attributes can wait until read.
      request = decodeRequest(secret, data, { scan, dictionary: this.dictionary, deferAttributes: true });
    } catch (err) {
      if (err instanceof AuthenticatorError) this.count(nas, 'badAuthenticators');
      else this.count(nas, 'malformed');
      this.logger.debug({ remote: remote.address, reason: (err as Error).message }, 'request dropped');
      return undefined;
    }
    const hasMA = scan.maOffset >= 0;
    // 'auto' learns from Access-Requests only: Status-Server must carry one anyway (RFC 5997 §3)
    // and accounting may, so neither says whether this NAS signs its Access-Requests.
    if (hasMA && scan.code === ACCESS_REQUEST) nas.sentMessageAuthenticator = true;
    if (scan.code === ACCESS_REQUEST && !hasMA) {
      const nasConfig = typeof config === 'string' || Buffer.isBuffer(config) ? undefined : config;
      const policy = nasConfig?.requireMessageAuthenticator ?? this.options.requireMessageAuthenticator;
      if (policy === true || (policy === 'auto' && nas.sentMessageAuthenticator)) {
        this.count(nas, 'dropped');
        this.logger.warn(
          { remote: remote.address },
          'Access-Request without Message-Authenticator dropped (BlastRADIUS policy)',
        );
        return undefined;
      }
      if (scan.hasProxyState && (nasConfig?.limitProxyState ?? this.options.limitProxyState)) {
        this.count(nas, 'dropped');
        this.logger.warn(
          { remote: remote.address },
          'Access-Request with Proxy-State and no Message-Authenticator dropped',
        );
        return undefined;
      }
    }
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
      nas.counters.accessRequests++;
    } else {
      this.counters.accountingRequests++;
      nas.counters.accountingRequests++;
    }
    let r: unknown;
    try {
      const handler = (isAuth ? this.handleAuthPacket : this.handleAccPacket) as AnyHandler;
      r = handler.call(this, request.attributes, context);
    } catch (err) {
      return this.handlerFailed(nas, err);
    }
    if (r instanceof Promise) {
      return this.timeBox(r).then(
        (result) => this.answer(request, nas, isAuth, result),
        (err: unknown) => this.handlerFailed(nas, err),
      );
    }
    return this.answer(request, nas, isAuth, r);
  }

  private handlerFailed(nas: NasState, err: unknown): undefined {
    this.count(nas, 'handlerErrors');
    this.count(nas, 'dropped');
    this.reportError(err);
    return undefined;
  }

  /** Checks a handler's result and encodes the reply it asks for. */
  private answer(request: Packet, nas: NasState, isAuth: boolean, r: unknown): Buffer | undefined {
    const result = r as HandlerResult<number | null>;
    if (!Array.isArray(result) || result.length !== 2) {
      return this.handlerFailed(
        nas,
        new RadiusError('a handler must return [attributes, code]', 'ERR_RADIUS_HANDLER_RESULT'),
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
      countReply(nas.counters, replyCode);
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
