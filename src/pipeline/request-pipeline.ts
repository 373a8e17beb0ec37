import type { Dictionary } from '../dictionary/dictionary.js';
import { AuthenticatorError, NasSecretError, RadiusResponseError } from '../errors.js';
import { ACCESS_REQUEST, codeName, STATUS_SERVER } from '../protocol/codes.js';
import {
  type DecodeOptions,
  decodeRequest,
  type Packet,
  type PacketScan,
  scanPacket,
} from '../protocol/packet.js';
import { DuplicateTable } from './duplicate-table.js';
import { isThenable } from './thenable.js';
import type { DropLog, DropReason } from './drop-log.js';
import type { DuplicateClaim, SharedDuplicateStore } from '../store/store.js';
import type { Remote, ReplyChannel } from '../transport/remote.js';

/** What every receiver counts, in total and per client; receivers add their own counters. */
export interface PipelineCounters {
  /** Requests received (per client: those from a known client). */
  requests: number;
  malformed: number;
  badAuthenticators: number;
  /** Retransmissions recognised (RFC 5080 §2.2.2), answered from the cache or not. */
  duplicates: number;
  /** Of those, the ones not answered: the first copy was still being handled, or got no reply. */
  duplicatesUnanswered: number;
  /** Dropped for policy or for a code the listener does not take. */
  dropped: number;
  unknownNas: number;
  handlerErrors: number;
}

/** What `identify` may return: the shared secret, or an object holding it with per-client options. */
export type ClientLookup<C> = string | Buffer | C;

/** A listener's view of the pipeline: which codes it takes, and its name for logs and handlers. */
export interface ListenerSpec<K extends string> {
  /** 'auth', 'acct', 'coa'... handed to the receiver with each request. */
  readonly kind: K;
  /** Whether a request of this code is taken on this listener (others are dropped and counted). */
  accepts(code: number): boolean;
}

/**
 * What a receiver (the RADIUS server, the CoA/Disconnect server) decides: the pipeline does the
 * rest. `C` is the receiver's per-client configuration, `K` its listener kinds. `identify` passes
 * on what user code returned (any thenable); `admit` and `respond` return native promises, the
 * receiver having turned its handlers' thenables into them.
 */
export interface Receiver<C extends { secret: string | Buffer }, K extends string> {
  /** Totals over every client. */
  readonly counters: PipelineCounters;
  /**
   * Where a request another instance handed over (`remote.forwardedBy`) is counted instead of the
   * totals and its client's counters: the instance the NAS sent it to counts it, request and reply
   * (summed metrics would count it twice). Its values are never reported.
   */
  readonly uncounted?: PipelineCounters;
  /** The counters of the client at `address`, made on first use when `create` is set. */
  clientCounters(address: string, create: boolean): PipelineCounters | undefined;
  /** The counters of a source `identify` refused (bounded: spoofed sources cost a sender nothing). */
  refusedCounters(address: string): PipelineCounters;
  /**
   * The client's secret or configuration, or a promise (any thenable) of it; throws RadiusResponseError
   * to ignore the client.
   */
  identify(remote: Remote): ClientLookup<C> | PromiseLike<ClientLookup<C>>;
  /** How this client's requests are verified beyond the authenticators. */
  decodeOptions(config: ClientLookup<C>): DecodeOptions;
  /**
   * Checks a verified request before duplicate detection (BlastRADIUS policy, Event-Timestamp): a
   * reason to drop it, or undefined; a promise of it when shared state must be asked. The receiver
   * counts what it drops.
   */
  admit(
    request: Packet,
    scan: PacketScan,
    config: ClientLookup<C>,
    remote: Remote,
    counters: PipelineCounters,
  ): DropReason | undefined | Promise<DropReason | undefined>;
  /** Answers a new request: reply bytes, undefined for none, or a promise of them. */
  respond(
    request: Packet,
    secret: Buffer,
    remote: Remote,
    listener: ListenerSpec<K>,
    counters: PipelineCounters,
  ): Buffer | undefined | Promise<Buffer | undefined>;
}

/** What the pipeline uses of the server that owns it. */
export interface PipelineHost {
  readonly drops: DropLog;
  /** Rejects once the handler time limit has passed; `what` names the waiting code. */
  timeBox<T>(p: Promise<T>, what?: string): Promise<T>;
  reportError(error: unknown): void;
}

/** Options of a pipeline. */
export interface PipelineOptions {
  dictionary: Dictionary;
  /** Milliseconds a reply is kept for retransmissions (RFC 5080 §2.2.2). */
  duplicateTtlMs: number;
  duplicateCacheSize: number;
  /**
   * Duplicate detection shared with other instances (Redis), asked about requests new to this
   * one. When it fails the request is handled as new: duplicates are then found per instance.
   */
  sharedDuplicates?: SharedDuplicateStore;
}

/**
 * The one request path every receiver and transport uses: scan → listener check → identify the
 * client → verify → admit (policy) → duplicate check → respond → send. A request is recorded for
 * duplicate detection only once it has verified and been admitted: a forged copy sent first must
 * not make the client's genuine request a "duplicate" (RFC 5080 §2.2.2 detects retransmissions of
 * the client, not of anyone). Requests whose lookup and handler are synchronous are answered
 * without a promise; `receive` returns one only for those that wait.
 */
export class RequestPipeline<C extends { secret: string | Buffer }, K extends string> {
  readonly dictionary: Dictionary;
  private readonly duplicates: DuplicateTable;
  private readonly shared: SharedDuplicateStore | undefined;
  private readonly duplicateTtlMs: number;
  private lastSecretText: string | undefined;
  private lastSecretBytes: Buffer = Buffer.alloc(0);

  constructor(
    private readonly receiver: Receiver<C, K>,
    private readonly host: PipelineHost,
    options: PipelineOptions,
  ) {
    this.dictionary = options.dictionary;
    this.duplicates = new DuplicateTable(options.duplicateTtlMs, options.duplicateCacheSize);
    this.shared = options.sharedDuplicates;
    this.duplicateTtlMs = options.duplicateTtlMs;
  }

  /** Forgets the requests remembered for duplicate detection (the server closed). */
  clear(): void {
    this.duplicates.clear();
  }

  /** Handles one request's bytes from `remote`; replies go through `channel`. */
  receive(
    data: Buffer,
    remote: Remote,
    channel: ReplyChannel,
    listener: ListenerSpec<K>,
  ): Promise<void> | undefined {
    const receiver = this.receiver;
    if (remote.forwardedBy === undefined) receiver.counters.requests++;
    let scan: PacketScan;
    try {
      scan = scanPacket(data);
    } catch (err) {
      this.count(receiver.clientCounters(remote.address, false), 'malformed');
      this.host.drops.report(remote.address, 'malformed', { error: (err as Error).message });
      channel.abandon?.();
      return undefined;
    }
    if (!listener.accepts(scan.code)) {
      this.count(receiver.clientCounters(remote.address, false), 'dropped');
      this.host.drops.report(remote.address, 'unexpected_code', {
        code: codeName(scan.code),
        listener: listener.kind,
      });
      return undefined;
    }
    let r: ClientLookup<C> | PromiseLike<ClientLookup<C>>;
    try {
      r = receiver.identify(remote);
    } catch (err) {
      this.unknownClient(remote, channel, err);
      return undefined;
    }
    if (isThenable(r)) {
      return this.host.timeBox(Promise.resolve(r), 'validateNas').then(
        (config) => this.fromKnownClient(config, data, scan, remote, channel, listener),
        (err: unknown) => this.unknownClient(remote, channel, err),
      );
    }
    return this.fromKnownClient(r, data, scan, remote, channel, listener);
  }

  private unknownClient(remote: Remote, channel: ReplyChannel, err: unknown): undefined {
    this.receiver.counters.unknownNas++;
    this.receiver.refusedCounters(remote.address).unknownNas++;
    channel.abandon?.();
    this.host.drops.report(
      remote.address,
      err instanceof RadiusResponseError
        ? 'unknown_nas'
        : err instanceof NasSecretError
          ? 'nas_no_secret'
          : 'nas_lookup_failed',
      { error: err instanceof Error ? err.message : String(err) },
    );
    this.host.reportError(err);
    return undefined;
  }

  private fromKnownClient(
    config: ClientLookup<C>,
    data: Buffer,
    scan: PacketScan,
    remote: Remote,
    channel: ReplyChannel,
    listener: ListenerSpec<K>,
  ): Promise<void> | undefined {
    const secret = this.secretOf(config);
    // JavaScript (or a cast) lets a lookup return anything: no secret is the server's mistake.
    if (secret === undefined)
      return this.unknownClient(remote, channel, new NasSecretError(remote.address, config));
    const receiver = this.receiver;
    const counters =
      remote.forwardedBy !== undefined && receiver.uncounted
        ? receiver.uncounted
        : (receiver.clientCounters(remote.address, true) as PipelineCounters);
    counters.requests++;
    let request: Packet;
    try {
      const o = receiver.decodeOptions(config);
      // A literal of fixed shape (a spread would make a slow dictionary-mode object per request).
      request = decodeRequest(secret, data, {
        scan,
        dictionary: this.dictionary,
        deferAttributes: o.deferAttributes,
        requireMessageAuthenticator: o.requireMessageAuthenticator,
        radius11: remote.radiusVersion === '1.1',
      });
    } catch (err) {
      const bad = err instanceof AuthenticatorError;
      this.count(counters, bad ? 'badAuthenticators' : 'malformed');
      // An Access-Request or Status-Server has nothing else to verify: refused for want of a
      // Message-Authenticator, which no shared secret would fix.
      const unsigned =
        bad && scan.maOffset < 0 && (scan.code === ACCESS_REQUEST || scan.code === STATUS_SERVER);
      this.host.drops.report(
        remote.address,
        unsigned ? 'no_message_authenticator' : bad ? 'bad_authenticator' : 'malformed',
        { error: (err as Error).message },
      );
      // RFC 6613 §2.6.4: over a stream, a request that does not verify or parse ends the connection.
      channel.abandon?.();
      return undefined;
    }
    const refused = receiver.admit(request, scan, config, remote, counters);
    if (refused instanceof Promise) {
      return refused.then((reason) =>
        this.admitted(reason, request, secret, data, remote, channel, listener, counters),
      );
    }
    return this.admitted(refused, request, secret, data, remote, channel, listener, counters);
  }

  /** After the policy: dropped, a duplicate, or handed to the receiver. */
  private admitted(
    refused: DropReason | undefined,
    request: Packet,
    secret: Buffer,
    data: Buffer,
    remote: Remote,
    channel: ReplyChannel,
    listener: ListenerSpec<K>,
    counters: PipelineCounters,
  ): Promise<void> | undefined {
    const receiver = this.receiver;
    if (refused !== undefined) {
      this.host.drops.report(remote.address, refused);
      return undefined;
    }
    const duplicates = this.duplicates;
    const now = Date.now();
    const seen = duplicates.find(remote.address, remote.port, data, now);
    if (seen >= 0) {
      this.count(counters, 'duplicates');
      // RFC 5080 §2.2.2: answer a retransmission from the cache; drop one still being handled.
      const reply = duplicates.isDone(seen) ? duplicates.replyAt(seen) : undefined;
      if (reply) channel.send(reply, remote);
      else this.count(counters, 'duplicatesUnanswered');
      return undefined;
    }
    const ticket = duplicates.begin(now);
    // A request another instance handed over: that instance claimed it in the shared store.
    if (this.shared && remote.forwardedBy === undefined)
      return this.claimShared(ticket, request, secret, data, remote, channel, listener, counters);
    let out: Buffer | undefined | Promise<Buffer | undefined>;
    try {
      out = receiver.respond(request, secret, remote, listener, counters);
    } catch (err) {
      duplicates.finish(ticket, undefined, Date.now());
      throw err;
    }
    if (out instanceof Promise) {
      // The handler waits: the entry is finished by its key, which outlives evictions meanwhile.
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

  /**
   * A request new to this instance, when instances share duplicate detection: claimed in the
   * shared store first. The key leaves the source port out: a balancer sends each datagram from a
   * port of its own. Identifier and Request Authenticator tell a retransmission (RFC 5080 §2.2.2).
   */
  private async claimShared(
    ticket: number,
    request: Packet,
    secret: Buffer,
    data: Buffer,
    remote: Remote,
    channel: ReplyChannel,
    listener: ListenerSpec<K>,
    counters: PipelineCounters,
  ): Promise<void> {
    const shared = this.shared as SharedDuplicateStore;
    const duplicates = this.duplicates;
    const key = duplicates.keyOf(ticket);
    const sharedKey = `${remote.address}/${data.toString('hex', 0, 2)}${data.toString('hex', 4, 20)}`;
    const ttl = this.duplicateTtlMs;
    let claim: DuplicateClaim = { state: 'new' };
    try {
      claim = await shared.claim(sharedKey, ttl);
    } catch {
      // Degraded: handled as new. The store logs its outage once (not a line per request here).
    }
    if (claim.state === 'pending') {
      this.count(counters, 'duplicates');
      this.count(counters, 'duplicatesUnanswered');
      // Dropped, not remembered as answered: the next copy asks the shared store again and gets
      // the other instance's reply once it is there (RFC 5080 §2.2.2).
      duplicates.forgetKey(key);
      return;
    }
    if (claim.state === 'done') {
      this.count(counters, 'duplicates');
      duplicates.finishKey(key, claim.reply, Date.now());
      if (claim.reply) channel.send(claim.reply, remote);
      else this.count(counters, 'duplicatesUnanswered');
      return;
    }
    let reply: Buffer | undefined;
    try {
      reply = await this.receiver.respond(request, secret, remote, listener, counters);
    } catch (err) {
      duplicates.finishKey(key, undefined, Date.now());
      // No reply: the claim expires with its ttl, and a retransmission is then handled anew.
      throw err;
    }
    duplicates.finishKey(key, reply, Date.now());
    // The reply is sent first; other instances learn it a moment later.
    if (reply) channel.send(reply, remote);
    // A failure is the store's outage, which it logs once.
    shared.complete(sharedKey, reply, ttl).catch(() => {});
  }

  private count(client: PipelineCounters | undefined, name: keyof PipelineCounters): void {
    if (client === undefined || client !== this.receiver.uncounted) this.receiver.counters[name]++;
    if (client) client[name]++;
  }

  /** The secret bytes of what `identify` returned; undefined when it holds no non-empty secret. */
  private secretOf(config: ClientLookup<C>): Buffer | undefined {
    if (typeof config === 'string') return config.length > 0 ? this.secretBytes(config) : undefined;
    if (Buffer.isBuffer(config)) return config.length > 0 ? config : undefined;
    if (typeof config !== 'object' || config === null) return undefined;
    const secret: unknown = config.secret;
    if (typeof secret === 'string') return secret.length > 0 ? this.secretBytes(secret) : undefined;
    return Buffer.isBuffer(secret) && secret.length > 0 ? secret : undefined;
  }

  // identify usually returns the same string every time: encode it once, not per request.
  private secretBytes(text: string): Buffer {
    if (text !== this.lastSecretText) {
      this.lastSecretBytes = Buffer.from(text, 'utf8');
      this.lastSecretText = text;
    }
    return this.lastSecretBytes;
  }
}
