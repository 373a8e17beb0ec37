import { defaultDictionary, type Dictionary } from '../dictionary/dictionary.js';
import { InvalidValueError, RadiusError } from '../errors.js';
import type { AttributesSet, ReplyAttributes } from '../protocol/attributes.js';
import {
  COA_ACK,
  COA_NAK,
  COA_REQUEST,
  DISCONNECT_ACK,
  DISCONNECT_NAK,
  DISCONNECT_REQUEST,
} from '../protocol/codes.js';
import type { DecodeOptions, Packet } from '../protocol/packet.js';
import { ClientCounterTable } from '../pipeline/client-counters.js';
import { type ListenerSpec, RequestPipeline } from '../pipeline/request-pipeline.js';
import { isThenable } from '../pipeline/thenable.js';
import type { DropReason } from '../pipeline/drop-log.js';
import { DEFAULT_DUPLICATE_CACHE_SIZE } from '../pipeline/duplicate-table.js';
import type { Logger } from '../server/logger.js';
import { RadiusServerBase } from '../server/server-base.js';
import { udpPort } from '../server/udp-port.js';
import type { Remote, ReplyChannel } from '../transport/remote.js';
import type { TcpListenerOptions, TlsListenerOptions } from '../transport/stream-listener.js';
import { familyOf, UdpEndpoint } from '../transport/udp.js';
import { type DynauthCounters, newDynauthCounters } from './dynauth-counters.js';
import { ERROR_CAUSE, errorCauseRefusal, errorCauses } from './error-cause.js';
import { eventTimestampWindowOf, isEventTimestampCurrent } from './event-timestamp.js';
import { AUTHORIZE_ONLY, isAuthorizeOnly, type SessionRuleOptions, SessionRules } from './session-rules.js';

const STATE = 24;
const SERVICE_TYPE = 6;
const EVENT_TIMESTAMP = 55;
const ERROR_CAUSE_ATTR = 101;
const ZERO_COUNTERS = newDynauthCounters();

/** What `validateNas` may return for a Dynamic Authorization Client: its secret, or the secret with options. */
export interface DacConfig {
  secret: string | Buffer;
  /** Drop this client's requests that carry no Message-Authenticator (RFC 5176 §3.4 makes it optional). */
  requireMessageAuthenticator?: boolean;
  /** A name for logs. */
  name?: string;
}

/** Everything a CoA/Disconnect handler may need beyond the attributes. */
export interface DynauthRequestContext {
  remote: Remote;
  /** The decoded, verified request. */
  packet: Packet;
  secret: Buffer;
  kind: 'coa' | 'disconnect';
  /**
   * A CoA-Request with Service-Type Authorize-Only (RFC 5176 §3.2): the handler starts the
   * Access-Request and returns COA_ACK, which the server turns into the CoA-NAK with Error-Cause
   * 507 (Request Initiated) that §3.2 requires; COA_NAK refuses it.
   */
  authorizeOnly: boolean;
}

/** A handler's answer as documented: reply attributes and COA_ACK / COA_NAK (or DISCONNECT_ACK / DISCONNECT_NAK). */
export type DynauthHandlerTuple = readonly [ReplyAttributes, number];

/**
 * What a handler may return: {@link DynauthHandlerTuple}, or the array TypeScript makes of a literal
 * returned without `as const` or a return type (`[[], COA_ACK]` becomes `(number | never[])[]`), which
 * the server checks at run time like any result: two elements, the attributes then the code.
 */
export type DynauthHandlerResult = DynauthHandlerTuple | readonly (ReplyAttributes | number)[];

/** Options of a DynamicAuthorizationServer. */
export interface DynamicAuthorizationServerOptions extends SessionRuleOptions {
  /**
   * UDP port; 0 picks a free one; null: no UDP listener. Default 3799 (RFC 5176 §2.3), or none when
   * `tcp` or `tls` is given (a NAS reached over RadSec only).
   */
  port?: number | null;
  /** Take CoA/Disconnect over TCP (RFC 6613). */
  tcp?: TcpListenerOptions;
  /** Take CoA/Disconnect over TLS (RFC 6614 §2.1 carries them like any other packet). */
  tls?: TlsListenerOptions;
  dictionary?: Dictionary;
  logger?: Logger;
  /**
   * Seconds an Event-Timestamp may differ from the local clock, either way. RFC 5176 §6.3: a present
   * Event-Timestamp MUST be checked, and a request outside the window is silently discarded (no NAK,
   * no Error-Cause). Default 300, the window §6.3 suggests; 0 or false turns the check off.
   */
  eventTimestampWindow?: number | false;
  /** Discard requests without Event-Timestamp (RFC 5176 §6.3 asks for the option). Default false. */
  requireEventTimestamp?: boolean;
  /**
   * Seconds a reply is kept for retransmissions, default 5; never less than the Event-Timestamp
   * window (§6.3 wants one window for both), so 300 while that check is on by default.
   */
  duplicateTtl?: number;
  /** Largest number of requests remembered for duplicate detection; default 262144. */
  duplicateCacheSize?: number;
  /** Error-Cause added to a handler's NAK that has none; default 503 (Session Context Not Found), null for none. */
  defaultErrorCause?: number | null;
  /** Seconds a handler may take before the request is abandoned (no reply); default 30. */
  handlerTimeout?: number;
  /** Seconds `close()` waits for handlers in flight; default 5. */
  closeTimeout?: number;
}

/** The ports bound, once listening. */
export interface DynauthListeningInfo {
  host: string;
  address: string;
  /** The UDP port; undefined when no UDP listener was opened. */
  port?: number;
  /** The RADIUS/TCP port, when `tcp` was given. */
  tcpPort?: number;
  /** The RADIUS/TLS port, when `tls` was given. */
  tlsPort?: number;
}

/** The options in effect (defaults applied), as `server.options`. */
export type ResolvedDynauthOptions = Readonly<{
  /** null: no UDP listener. */
  port: number | null;
  tcp?: TcpListenerOptions;
  tls?: TlsListenerOptions;
  /** Seconds; undefined when Event-Timestamp is not checked. */
  eventTimestampWindow: number | undefined;
  requireEventTimestamp: boolean;
  duplicateTtl: number;
  duplicateCacheSize: number;
  defaultErrorCause: number | null;
  handlerTimeout: number;
  closeTimeout: number;
}>;

type AnyHandler = (attributes: AttributesSet, context: DynauthRequestContext) => unknown;

const REQUIRE_MA: DecodeOptions = { requireMessageAuthenticator: true };
const NO_OPTIONS: DecodeOptions = {};

/** The one listener of a Dynamic Authorization Server: CoA-Request and Disconnect-Request (RFC 5176 §2.3). */
const COA_LISTENER: ListenerSpec<'coa'> = {
  kind: 'coa',
  accepts: (code) => code === COA_REQUEST || code === DISCONNECT_REQUEST,
};

/**
 * The receiving side of RFC 5176 (a NAS, or a proxy in front of one): subclass it, implement
 * `validateNas` (which checks the Dynamic Authorization Client's address), and override
 * `handleCoaPacket` and/or `handleDisconnectPacket`. The server verifies, applies the RFC 5176 §3
 * attribute rules (answering a NAK with the right Error-Cause), detects duplicates and replays, and
 * builds the replies; handlers only decide.
 */
export abstract class DynamicAuthorizationServer extends RadiusServerBase<DynauthListeningInfo> {
  readonly options: ResolvedDynauthOptions;
  readonly dictionary: Dictionary;
  /** Totals over every client. */
  readonly counters: DynauthCounters = newDynauthCounters();

  private readonly rules: SessionRules;
  private readonly clients = new ClientCounterTable<DynauthCounters>(newDynauthCounters);
  private readonly pipeline: RequestPipeline<DacConfig, 'coa'>;

  constructor(host: string, options: DynamicAuthorizationServerOptions = {}) {
    super(host, 'dynamic authorization server', options.logger);
    const window = eventTimestampWindowOf(options.eventTimestampWindow);
    const defaultErrorCause =
      options.defaultErrorCause === undefined
        ? ERROR_CAUSE.SESSION_CONTEXT_NOT_FOUND
        : options.defaultErrorCause;
    if (defaultErrorCause !== null) {
      const refusal =
        errorCauseRefusal(COA_NAK, defaultErrorCause) ?? errorCauseRefusal(DISCONNECT_NAK, defaultErrorCause);
      if (refusal) throw new InvalidValueError('defaultErrorCause', `${refusal} (it must suit both NAKs)`);
    }
    // As the RADIUS server: with a stream listener, UDP only when a port is given, so that a
    // RadSec-only NAS neither takes 3799 nor fails to start because something else holds it.
    const streams = options.tcp !== undefined || options.tls !== undefined;
    this.options = {
      port: udpPort(options.port, streams ? null : 3799, 'dynamic authorization server options', 'port'),
      tcp: options.tcp,
      tls: options.tls,
      eventTimestampWindow: window,
      requireEventTimestamp: options.requireEventTimestamp ?? false,
      // RFC 5176 §6.3: the duplicate window must be the Event-Timestamp window.
      duplicateTtl: Math.max(options.duplicateTtl ?? 5, window ?? 0),
      duplicateCacheSize: options.duplicateCacheSize ?? DEFAULT_DUPLICATE_CACHE_SIZE,
      defaultErrorCause,
      handlerTimeout: options.handlerTimeout ?? 30,
      closeTimeout: options.closeTimeout ?? 5,
    };
    this.rules = new SessionRules(options);
    this.dictionary = options.dictionary ?? defaultDictionary;
    this.pipeline = new RequestPipeline<DacConfig, 'coa'>(
      {
        counters: this.counters,
        clientCounters: (address, create) =>
          create ? this.clients.client(address) : this.clients.peek(address),
        refusedCounters: (address) => this.clients.refusedSource(address),
        identify: (remote) => this.validateNas(remote),
        // RFC 5176 §3.4: Message-Authenticator is optional unless this client is told to send it.
        decodeOptions: (config) =>
          typeof config === 'object' && !Buffer.isBuffer(config) && config.requireMessageAuthenticator
            ? REQUIRE_MA
            : NO_OPTIONS,
        admit: (request, _scan, _config, _remote, counters) =>
          this.admit(request, counters as DynauthCounters),
        respond: (request, secret, remote, _listener, counters) =>
          this.answer(request, secret, counters as DynauthCounters, remote),
      },
      this.pipelineHost(),
      {
        dictionary: this.dictionary,
        // RFC 5176 §2.3: duplicates by source address, port and Identifier (and Request Authenticator,
        // RFC 5080 §2.2.2), looked up once the request has verified.
        duplicateTtlMs: this.options.duplicateTtl * 1000,
        duplicateCacheSize: this.options.duplicateCacheSize,
      },
    );
  }

  /**
   * Returns the shared secret of the Dynamic Authorization Client at `remote` (or a DacConfig, or a
   * promise of either: any PromiseLike), or throws RadiusResponseError to discard its requests
   * (RFC 5176 §6.1: untrusted sources).
   */
  abstract validateNas(
    remote: Remote,
  ): string | Buffer | DacConfig | PromiseLike<string | Buffer | DacConfig>;

  /**
   * Decides a CoA-Request: `[replyAttributes, COA_ACK | COA_NAK]`, or a promise of it (any
   * PromiseLike). Not overridden: every CoA-Request gets a CoA-NAK with Error-Cause 406
   * (Unsupported Extension).
   */
  handleCoaPacket(
    attributes: AttributesSet,
    context: DynauthRequestContext,
  ): DynauthHandlerResult | PromiseLike<DynauthHandlerResult> {
    void attributes;
    void context;
    return [[['Error-Cause', ERROR_CAUSE.UNSUPPORTED_EXTENSION]], COA_NAK] as const;
  }

  /**
   * Decides a Disconnect-Request: `[replyAttributes, DISCONNECT_ACK | DISCONNECT_NAK]`, or a promise
   * of it (any PromiseLike). Not overridden: every Disconnect-Request gets a Disconnect-NAK with
   * Error-Cause 406.
   */
  handleDisconnectPacket(
    attributes: AttributesSet,
    context: DynauthRequestContext,
  ): DynauthHandlerResult | PromiseLike<DynauthHandlerResult> {
    void attributes;
    void context;
    return [[['Error-Cause', ERROR_CAUSE.UNSUPPORTED_EXTENSION]], DISCONNECT_NAK] as const;
  }

  /**
   * Counters of one address (zeros if never seen): a client's, or a source `validateNas` refused (its
   * `unknownNas`; the last 1,024 such sources are kept).
   */
  dacCounters(address: string): Readonly<DynauthCounters> {
    return this.clients.peek(address) ?? ZERO_COUNTERS;
  }

  /**
   * Every client seen (10,000 at the most, the first seen goes first), with its counters. Sources
   * `validateNas` refused are not listed: ask `dacCounters(address)`.
   */
  dacList(): Array<{ address: string; counters: Readonly<DynauthCounters> }> {
    return [...this.clients.clients()].map(([address, counters]) => ({ address, counters }));
  }

  private overrides(name: 'handleCoaPacket' | 'handleDisconnectPacket'): boolean {
    return this[name] !== DynamicAuthorizationServer.prototype[name];
  }

  /** Binds the UDP port (unless null) and the stream listeners (the base class starts periodic tasks). */
  protected async openEndpoints(): Promise<DynauthListeningInfo> {
    if (!this.overrides('handleCoaPacket') && !this.overrides('handleDisconnectPacket')) {
      throw new RadiusError(
        'override handleCoaPacket and/or handleDisconnectPacket: nothing to answer',
        'ERR_RADIUS_NO_HANDLER',
      );
    }
    const { port, tcp, tls } = this.options;
    if (port === null && tcp === undefined && tls === undefined) {
      throw new RadiusError(
        'no listener to open: port is null and neither tcp nor tls is given',
        'ERR_RADIUS_NO_LISTENER',
      );
    }
    const address = await this.resolveAddress();
    const info: DynauthListeningInfo = { host: this.host, address };
    if (port !== null) {
      const ep = this.addEndpoint(
        new UdpEndpoint(
          familyOf(address),
          (data, remote) => this.deliver(this.pipeline, data, remote, ep, COA_LISTENER),
          (err) => this.socketError(err),
        ),
      );
      info.port = await ep.bind(address, port);
    }
    const deliver = (data: Buffer, remote: Remote, channel: ReplyChannel) =>
      this.deliver(this.pipeline, data, remote, channel, COA_LISTENER);
    if (tcp) info.tcpPort = await this.listenTcp(address, tcp, deliver);
    if (tls) info.tlsPort = await this.listenTls(address, tls, deliver);
    return info;
  }

  protected override onClosed(): void {
    this.pipeline.clear();
    this.drops.clear();
  }

  protected override countSocketError(): void {
    this.counters.socketErrors++;
  }

  private count(client: DynauthCounters | undefined, name: keyof DynauthCounters): void {
    this.counters[name]++;
    if (client) client[name]++;
  }

  /** RFC 5176 §6.3: a request whose Event-Timestamp is not current is silently discarded. */
  private admit(request: Packet, client: DynauthCounters): DropReason | undefined {
    if (this.staleness(request) === undefined) return undefined;
    this.count(client, 'staleTimestamps');
    return 'stale_timestamp';
  }

  /** Applies the RFC 5176 §3 rules, runs the handler and encodes its reply (undefined: none). */
  private async answer(
    request: Packet,
    secret: Buffer,
    client: DynauthCounters,
    remote: Remote,
  ): Promise<Buffer | undefined> {
    const coa = request.code === COA_REQUEST;
    this.count(client, coa ? 'coaRequests' : 'disconnectRequests');
    const violation = this.rules.checkRequest(request.code, request.attributes);
    if (violation) {
      this.count(client, 'ruleViolations');
      this.logger.debug(
        { remote: remote.address, errorCause: violation.errorCause, reason: violation.reason },
        `${request.codeName} refused`,
      );
      const reply = request.createReply(coa ? COA_NAK : DISCONNECT_NAK);
      this.finishReply(request, reply);
      setErrorCause(reply, violation.errorCause);
      this.count(client, 'naks');
      return reply.encode();
    }
    const authorizeOnly = coa && isAuthorizeOnly(request.attributes);
    const context: DynauthRequestContext = {
      remote,
      packet: request,
      secret,
      kind: coa ? 'coa' : 'disconnect',
      authorizeOnly,
    };
    let result: unknown;
    try {
      const handler = (coa ? this.handleCoaPacket : this.handleDisconnectPacket) as AnyHandler;
      const r = handler.call(this, request.attributes, context);
      result = isThenable(r) ? await this.timeBox(Promise.resolve(r)) : r;
    } catch (err) {
      this.count(client, 'handlerErrors');
      this.count(client, 'dropped');
      this.drops.report(remote.address, 'handler_failed', {
        error: err instanceof Error ? err.message : String(err),
      });
      this.reportError(err);
      return undefined;
    }
    try {
      if (!isResultPair(result)) {
        throw new RadiusError('a handler must return [attributes, code]', 'ERR_RADIUS_HANDLER_RESULT');
      }
      const reply = this.buildReply(request, result, authorizeOnly);
      const bytes = reply.encode();
      this.count(client, reply.code === COA_ACK || reply.code === DISCONNECT_ACK ? 'acks' : 'naks');
      return bytes;
    } catch (err) {
      // A code or attributes the reply may not have (RFC 5176 §3): the handler's mistake.
      this.count(client, 'handlerErrors');
      this.count(client, 'dropped');
      this.drops.report(remote.address, 'bad_handler_result', {
        error: err instanceof Error ? err.message : String(err),
      });
      this.reportError(err);
      return undefined;
    }
  }

  /** Why the request's Event-Timestamp makes it a replay candidate (RFC 5176 §6.3), or undefined. */
  private staleness(request: Packet): string | undefined {
    const { eventTimestampWindow: window, requireEventTimestamp } = this.options;
    if (window === undefined && !requireEventTimestamp) return undefined;
    const entry = request.attributes.entries.find(
      (e) => e.def.number === EVENT_TIMESTAMP && !e.def.parent && !e.def.vendor,
    );
    if (!entry) return requireEventTimestamp ? 'request without Event-Timestamp dropped' : undefined;
    if (window !== undefined && !isEventTimestampCurrent(entry.value, window))
      return 'request with a stale Event-Timestamp dropped';
    return undefined;
  }

  /** The reply for a handler's result, checked against RFC 5176 §3.2, §3.3, §3.5 and §3.6. */
  private buildReply(request: Packet, result: DynauthHandlerTuple, authorizeOnly: boolean): Packet {
    const [attrs, code] = result;
    const coa = request.code === COA_REQUEST;
    const ack = coa ? COA_ACK : DISCONNECT_ACK;
    const nak = coa ? COA_NAK : DISCONNECT_NAK;
    if (code !== ack && code !== nak) {
      const which = coa ? 'handleCoaPacket' : 'handleDisconnectPacket';
      throw new RadiusError(`${which} returned code ${code}`, 'ERR_RADIUS_HANDLER_RESULT');
    }
    // §3.2: an Authorize-Only request is never ACKed; the NAK with 507 says the Access-Request went out.
    const initiated = authorizeOnly && code === COA_ACK;
    const reply = request.createReply(initiated ? COA_NAK : code, attrs);
    this.finishReply(request, reply);
    if (initiated) {
      removeType(reply.attributes, SERVICE_TYPE);
      const st = reply.dictionary.attributeByCode(SERVICE_TYPE);
      if (st) reply.attributes.push(st, st.valueNames.get(AUTHORIZE_ONLY) ?? AUTHORIZE_ONLY);
      setErrorCause(reply, ERROR_CAUSE.REQUEST_INITIATED);
    } else if (reply.code === nak && errorCauses(reply.attributes).length === 0) {
      if (this.options.defaultErrorCause !== null) setErrorCause(reply, this.options.defaultErrorCause);
    }
    const problem = this.rules.checkReply(reply.code, reply.attributes);
    if (problem) throw new RadiusError(`reply not sent: ${problem}`, 'ERR_RADIUS_HANDLER_RESULT');
    return reply;
  }

  /** §3.3: State goes back unmodified; Message-Authenticator answers one (§3.4). */
  private finishReply(request: Packet, reply: Packet): void {
    if (request.code === COA_REQUEST) {
      const states = request.attributes.entries.filter(
        (e) => e.def.number === STATE && !e.def.parent && !e.def.vendor,
      );
      if (states.length) {
        removeType(reply.attributes, STATE);
        for (const s of states) reply.attributes.push(s.def, s.value);
      }
    }
    if (request.messageAuthenticator) reply.messageAuthenticator = true;
  }
}

/** Removes every top-level attribute of a type. */
/**
 * Whether a handler returned two elements, in either form of {@link DynauthHandlerResult}; the code
 * and the attributes are checked when the reply is built.
 */
function isResultPair(result: unknown): result is DynauthHandlerTuple {
  return Array.isArray(result) && result.length === 2;
}

function removeType(attributes: AttributesSet, type: number): void {
  const list = attributes.entries;
  for (let i = list.length - 1; i >= 0; i--) {
    const d = list[i].def;
    if (d.number === type && !d.parent && !d.vendor) list.splice(i, 1);
  }
}

/** Sets the reply's single Error-Cause (by number, so any dictionary works). */
function setErrorCause(reply: Packet, value: number): void {
  removeType(reply.attributes, ERROR_CAUSE_ATTR);
  const def = reply.dictionary.attributeByCode(ERROR_CAUSE_ATTR);
  if (def && def.type === 'integer') reply.attributes.push(def, def.valueNames.get(value) ?? value);
  else {
    const raw = reply.dictionary.unknownByOid(String(ERROR_CAUSE_ATTR));
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    if (raw) reply.attributes.push(raw, bytes);
  }
}
