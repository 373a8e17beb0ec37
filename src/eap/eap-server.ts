/**
 * The EAP authenticator behind RADIUS (RFC 3748 §7, RFC 3579): Identity, method choice and NAK,
 * one method state machine per conversation, EAP-Success/Failure, and Access-Challenge rounds tied
 * together by the State attribute.
 */

import { tryUsableCredentials, type UsableCredentials } from '../auth/credentials.js';
import { EapDiscardError, InvalidValueError, UnusableCredentialsError } from '../errors.js';
import type { ReplyAttributePair } from '../protocol/attributes.js';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, ACCESS_REJECT } from '../protocol/codes.js';
import type { Packet } from '../protocol/packet.js';
import type { HandlerTuple } from '../server/abstract-server.js';
import { type Logger, silentLogger } from '../server/logger.js';
import {
  EAP_FAILURE,
  EAP_METHOD_NAMES,
  EAP_REQUEST,
  EAP_RESPONSE,
  EAP_SUCCESS,
  EAP_TYPE,
  type EapMethodName,
  type EapMethodSpelling,
  eapMethodName,
} from './codes.js';
import type { CredentialsLookup, EapMethod, MethodContext, MethodInstance, MethodStep } from './method.js';
import { gtcMethod } from './methods/gtc.js';
import { md5Method } from './methods/md5.js';
import { msChapV2Method } from './methods/mschapv2.js';
import { peapMethod } from './methods/peap.js';
import { tlsMethod } from './methods/tls.js';
import { ttlsMethod } from './methods/ttls.js';
import { decodeEap, type EapPacket, encodeEap, encodeEapResult } from './packet.js';
import { type EapSessionStore, MemorySessionStore, type StoredSession } from '../store/session-store.js';
import type { JsonValue, SessionData, SharedSessionStore } from '../store/store.js';
import { type EapTlsOptions, type TlsEngineConfig, tlsEngineConfig } from './tls-config.js';
import { MethodMemory } from './method-memory.js';
import { randomOctets } from './random-octets.js';

/** The methods by name. */
const METHODS: Record<EapMethodName, EapMethod> = {
  md5: md5Method,
  gtc: gtcMethod,
  mschapv2: msChapV2Method,
  tls: tlsMethod,
  peap: peapMethod,
  ttls: ttlsMethod,
};

const TLS_BASED = new Set<number>([EAP_TYPE.TLS, EAP_TYPE.PEAP, EAP_TYPE.TTLS]);

/** EAP methods by name (see {@link EapMethodSpelling}) or as method objects, or one name alone. */
export type EapMethodList = ReadonlyArray<EapMethodSpelling | EapMethod> | EapMethodSpelling;

/** Options of `new EapServer()`. */
export interface EapServerOptions {
  /**
   * Methods offered, most preferred first (default: every method the configuration allows); names in
   * any case, with or without `EAP-` ('PEAP', 'EAP-TLS'); one name alone is a list of one.
   */
  methods?: EapMethodList;
  /** Methods run inside PEAP and TTLS's EAP (default mschapv2, gtc, md5); named as `methods`. */
  innerMethods?: EapMethodList;
  /** Certificates and TLS versions, needed by tls, peap and ttls. */
  tls?: EapTlsOptions;
  /** A user's credentials (`{ password }` or `{ ntHash }`), or nothing for an unknown user. */
  getCredentials: CredentialsLookup;
  /** Largest TLS payload in one EAP-Request (default 1024, RFC 5216 §2.1.5). */
  fragmentSize?: number;
  /** The name in MS-CHAPv2 challenges (default "aioradius"). */
  serverName?: string;
  /** Where conversations wait between rounds (default: in memory). */
  store?: EapSessionStore<EapSession>;
  /** Bound of the default store (default 10,000 conversations). */
  maxSessions?: number;
  /** Seconds a conversation may wait for its next round (default 60). */
  sessionLifetime?: number;
  /**
   * Identities whose last successful method is offered first next time, sparing a peer that
   * wants another method than our first the NAK round (default 10,000; 0 turns this off).
   */
  rememberMethods?: number;
  /**
   * Where conversations of methods whose state is plain data (MD5, GTC, MSCHAPv2) wait, so that
   * their rounds may reach any instance (e.g. RedisSessionStore). TLS-based conversations stay in
   * `store`; when this store cannot be reached, so do the others.
   */
  sharedStore?: SharedSessionStore;
  /**
   * Octets every State this server issues starts with, naming the instance that owns the
   * conversation (a cluster's {@link ClusterLink.stateTag}); at most 64.
   */
  statePrefix?: Buffer;
  logger?: Logger;
}

/** One EAP conversation, between rounds. */
export class EapSession implements StoredSession {
  identity = '';
  /** Identifier of the Request the peer must answer next (-1: none yet). */
  requestId = -1;
  method: MethodInstance | undefined;
  methodType = 0;
  /** Whether the peer answered the method (a NAK is then too late, RFC 3748 §5.3.1). */
  methodAnswered = false;
  readonly offered = new Set<number>();
  /** The last Response handled and our answer to it, for retransmissions. */
  lastResponseId = -1;
  lastAnswer: HandlerTuple<number> | undefined;
  /** The answer being computed, when a retransmission arrives meanwhile. */
  pending: { id: number; answer: Promise<HandlerTuple<number>> } | undefined;
  finished = false;
  /** The NAS's Framed-MTU, when it sent one (RFC 3579 §2.4). */
  framedMtu: number | undefined;
  /** Whether its method ran in this process (TLS): then it stays here to the end. */
  pinned = false;
  /** Whether the shared store holds a copy (to be removed once the session is pinned here). */
  inSharedStore = false;

  constructor(readonly state: Buffer) {}

  dispose(): void {
    this.method?.dispose();
    this.method = undefined;
  }

  /** The session as data, or undefined when its method lives in this process only (TLS). */
  save(): SessionData | undefined {
    if (this.pinned) return undefined;
    let method: SessionData | null | undefined = null;
    if (this.method?.save) method = this.method.save();
    // A TLS-based method holds nothing before the peer's first TLS message (its Start is fixed):
    // until then it starts afresh anywhere (a peer that NAKs PEAP for MSCHAPv2 is not pinned).
    else if (this.method)
      method = !this.methodAnswered && TLS_BASED.has(this.methodType) ? { start: true } : undefined;
    if (method === undefined) {
      // Its answers (MPPE keys included) never leave this process either.
      this.pinned = true;
      return undefined;
    }
    return {
      identity: this.identity,
      requestId: this.requestId,
      methodType: this.methodType,
      methodAnswered: this.methodAnswered,
      offered: [...this.offered],
      lastResponseId: this.lastResponseId,
      lastAnswer: this.lastAnswer ? saveAnswer(this.lastAnswer) : null,
      finished: this.finished,
      framedMtu: this.framedMtu ?? null,
      method,
    };
  }

  /** A session again from {@link save}'s data; `restore` makes its method's conversation. */
  static restore(
    state: Buffer,
    data: SessionData,
    restore: (
      type: number,
      identity: string,
      framedMtu: number | undefined,
      method: SessionData,
    ) => MethodInstance,
  ): EapSession {
    const s = new EapSession(state);
    s.identity = String(data.identity);
    s.requestId = Number(data.requestId);
    s.methodType = Number(data.methodType);
    s.methodAnswered = data.methodAnswered === true;
    for (const t of data.offered as number[]) s.offered.add(t);
    s.lastResponseId = Number(data.lastResponseId);
    s.lastAnswer = data.lastAnswer ? restoreAnswer(data.lastAnswer as JsonValue[]) : undefined;
    s.finished = data.finished === true;
    s.framedMtu = typeof data.framedMtu === 'number' ? data.framedMtu : undefined;
    s.inSharedStore = true;
    if (data.method !== null && s.methodType !== 0) {
      s.method = restore(s.methodType, s.identity, s.framedMtu, data.method as SessionData);
    }
    return s;
  }
}

/** An answer kept for retransmissions, as JSON: octet values in base64. */
function saveAnswer(answer: HandlerTuple<number>): JsonValue[] {
  const pairs: JsonValue[] = [];
  for (const pair of answer[0]) {
    const [name, value] = pair as readonly [string, unknown];
    pairs.push(Buffer.isBuffer(value) ? [name, 'b', value.toString('base64')] : [name, 's', String(value)]);
  }
  return [pairs, answer[1]];
}

function restoreAnswer(data: JsonValue[]): HandlerTuple<number> {
  const pairs = (data[0] as string[][]).map(
    ([name, kind, value]) => [name, kind === 'b' ? Buffer.from(value, 'base64') : value] as const,
  );
  return [pairs, Number(data[1])];
}

function resolveMethods(list: EapMethodList, what: string): EapMethod[] {
  // One name alone, as a YAML or JSON habit writes it, is a list of one.
  const items: unknown = typeof list === 'string' ? [list] : list;
  if (!Array.isArray(items)) {
    throw new InvalidValueError(what, 'expected a list of EAP method names, e.g. ["peap", "ttls"]');
  }
  const methods: EapMethod[] = [];
  for (const m of items as unknown[]) {
    let method: EapMethod;
    if (typeof m === 'string') {
      const name = eapMethodName(m);
      if (!name)
        throw new InvalidValueError(
          what,
          `unknown EAP method ${m} (${Object.keys(EAP_METHOD_NAMES).join(', ')})`,
        );
      method = METHODS[name];
    } else if (typeof (m as EapMethod | null)?.create === 'function') method = m as EapMethod;
    else throw new InvalidValueError(what, `expected EAP method names, not a ${typeof m}`);
    // Two spellings of one method ('PEAP', 'peap') offer it once, in its first place.
    if (!methods.some((x) => x.type === method.type)) methods.push(method);
  }
  return methods;
}

/**
 * An EAP server for any RADIUS server's handler: `return eap.handle(context.packet)` answers an
 * Access-Request carrying EAP-Message with Access-Challenge, Access-Accept (with MS-MPPE keys) or
 * Access-Reject.
 */
export class EapServer {
  readonly methods: readonly EapMethod[];
  readonly innerMethods: readonly EapMethod[];
  readonly store: EapSessionStore<EapSession>;
  private readonly tls: TlsEngineConfig | undefined;
  /** Worker threads running the TLS sessions (`tls.workers`, 'auto' resolved); 0: this thread. */
  get tlsWorkers(): number {
    return this.tls?.workers ?? 0;
  }
  private readonly getCredentials: CredentialsLookup;
  private readonly fragmentSize: number;
  private readonly serverName: string;
  private readonly logger: Logger;
  private readonly sharedStore: SharedSessionStore | undefined;
  private readonly statePrefix: Buffer;
  private readonly sessionTtlMs: number;
  private readonly memory: MethodMemory | undefined;

  constructor(options: EapServerOptions) {
    if (typeof options?.getCredentials !== 'function') {
      throw new InvalidValueError('getCredentials', 'expected a function');
    }
    this.tls = options.tls ? tlsEngineConfig(options.tls) : undefined;
    const defaults: EapMethodName[] = this.tls
      ? ['peap', 'ttls', 'tls', 'mschapv2', 'gtc', 'md5']
      : ['mschapv2', 'gtc', 'md5'];
    this.methods = resolveMethods(options.methods ?? defaults, 'methods');
    if (this.methods.length === 0) throw new InvalidValueError('methods', 'at least one EAP method');
    for (const m of this.methods) {
      if (TLS_BASED.has(m.type) && !this.tls) {
        throw new InvalidValueError('methods', `${m.name} needs tls: { cert, key }`);
      }
    }
    this.innerMethods = resolveMethods(options.innerMethods ?? ['mschapv2', 'gtc', 'md5'], 'innerMethods');
    this.getCredentials = options.getCredentials;
    this.fragmentSize = options.fragmentSize ?? 1024;
    if (!Number.isInteger(this.fragmentSize) || this.fragmentSize < 64 || this.fragmentSize > 4000) {
      throw new InvalidValueError('fragmentSize', 'expected an integer from 64 to 4000');
    }
    this.serverName = options.serverName ?? 'aioradius';
    this.logger = options.logger ?? silentLogger;
    this.store =
      options.store ??
      new MemorySessionStore<EapSession>({
        maxSessions: options.maxSessions,
        idleLifetime: options.sessionLifetime,
      });
    this.sharedStore = options.sharedStore;
    this.statePrefix = options.statePrefix ?? Buffer.alloc(0);
    if (this.statePrefix.length > 64) throw new InvalidValueError('statePrefix', 'at most 64 octets');
    this.sessionTtlMs = (options.sessionLifetime ?? 60) * 1000;
    const remember = options.rememberMethods ?? 10_000;
    if (!Number.isInteger(remember) || remember < 0) {
      throw new InvalidValueError('rememberMethods', 'expected a count of identities (0: off)');
    }
    this.memory = remember > 0 && this.methods.length > 1 ? new MethodMemory(remember) : undefined;
  }

  /**
   * Answers one Access-Request carrying EAP-Message: `[attributes, code]` as a handler returns.
   * Throws EapDiscardError for a Response that must go unanswered (the handler's throw drops it).
   */
  handle(request: Packet): Promise<HandlerTuple<number>> {
    const message = request.get('EAP-Message');
    if (!Buffer.isBuffer(message)) return Promise.resolve(reject(undefined));
    const stateValue = request.get('State');
    const state = Buffer.isBuffer(stateValue) ? stateValue : undefined;
    // RFC 3579 §2.1: an empty EAP-Message is EAP-Start, answered with an Identity Request.
    if (message.length === 0 && !state) return Promise.resolve(this.identityRequest());
    let eap: EapPacket;
    try {
      eap = decodeEap(message);
    } catch (err) {
      return Promise.reject(new EapDiscardError((err as Error).message, { malformed: true }));
    }
    if (eap.code !== EAP_RESPONSE) return Promise.reject(new EapDiscardError(`EAP code ${eap.code}`));
    let session = state ? this.store.get(state.toString('hex')) : undefined;
    if (state && !session && this.sharedStore) return this.sharedRound(state, eap, request);
    if (state && !session) {
      // RFC 3579 §2.6.1: a State we do not know (expired, or never ours) ends the conversation.
      this.logger.info({ identifier: eap.identifier }, 'EAP: unknown or expired State');
      return Promise.resolve(reject(eap.identifier));
    }
    if (!session) {
      if (eap.type !== EAP_TYPE.IDENTITY) return Promise.resolve(reject(eap.identifier));
      session = this.newSession();
      session.requestId = eap.identifier;
    }
    noteFramedMtu(session, request);
    return this.round(session, eap);
  }

  /** A round of a conversation this process does not hold: looked up in the shared store. */
  private async sharedRound(state: Buffer, eap: EapPacket, request: Packet): Promise<HandlerTuple<number>> {
    const data = await this.loadShared(state);
    if (!data) {
      this.logger.info({ identifier: eap.identifier }, 'EAP: unknown or expired State');
      return reject(eap.identifier);
    }
    const session = EapSession.restore(state, data, (type, identity, framedMtu, saved) => {
      const method = [...this.methods, ...this.innerMethods].find((m) => m.type === type);
      const context = this.methodContext(identity, framedMtu);
      if (method && saved.start === true && TLS_BASED.has(type)) return method.create(context);
      if (!method?.restore) throw new EapDiscardError(`EAP type ${type} cannot be restored`);
      return method.restore(context, saved);
    });
    noteFramedMtu(session, request);
    return this.round(session, eap);
  }

  private async loadShared(state: Buffer): Promise<SessionData | undefined> {
    try {
      return await this.sharedStore?.get(state.toString('hex'));
    } catch {
      // The store is down (it logs that once): the conversation cannot be found here.
      return undefined;
    }
  }

  /**
   * Whether any instance may take this round of a conversation: the shared store holds it, and the
   * round is not the peer's first TLS message (a TLS session lives in the process of the instance
   * the State names, so that instance takes it).
   */
  async continuesAnywhere(request: Packet): Promise<boolean> {
    const state = request.get('State');
    const message = request.get('EAP-Message');
    if (!Buffer.isBuffer(state) || !Buffer.isBuffer(message)) return false;
    const data = await this.loadShared(state);
    if (data === undefined) return false;
    // RFC 3748 §4: the Type octet follows Code, Identifier and Length (a NAK may go anywhere).
    const type = message.length > 4 ? message[4] : -1;
    return !(TLS_BASED.has(Number(data.methodType)) && type === Number(data.methodType));
  }

  /**
   * After a round: a conversation whose state is data goes to the shared store (and leaves this
   * process's memory); one that lives here (TLS), or any when the store is down, stays in memory.
   */
  private async persist(session: EapSession): Promise<void> {
    const shared = this.sharedStore;
    if (!shared) return;
    const key = session.state.toString('hex');
    const data = session.save();
    try {
      if (data) {
        await shared.set(key, data, this.sessionTtlMs);
        session.inSharedStore = true;
        if (this.store.get(key) === session) this.store.delete(key);
        return;
      }
      // Its method now lives here: a copy in the shared store would be stale.
      if (session.inSharedStore) await shared.delete(key);
      session.inSharedStore = false;
    } catch {
      // Down: the conversation goes on with this instance (the store logged the outage).
    }
    if (this.store.get(key) !== session) this.store.set(key, session);
  }

  /** Drops every conversation and closes the TLS servers' state. */
  close(): void {
    this.store.clear();
    this.memory?.clear();
    this.tls?.close();
  }

  private newSession(): EapSession {
    const state =
      this.statePrefix.length > 0 ? Buffer.concat([this.statePrefix, randomOctets(16)]) : randomOctets(16);
    const session = new EapSession(state);
    this.store.set(session.state.toString('hex'), session);
    return session;
  }

  private identityRequest(): HandlerTuple<number> | Promise<HandlerTuple<number>> {
    const session = this.newSession();
    session.requestId = randomOctets(1)[0];
    const result: HandlerTuple<number> = [
      [
        ['EAP-Message', encodeEap(EAP_REQUEST, session.requestId, EAP_TYPE.IDENTITY, Buffer.alloc(0))],
        ['State', session.state],
      ],
      ACCESS_CHALLENGE,
    ];
    return this.sharedStore ? this.persist(session).then(() => result) : result;
  }

  private round(session: EapSession, eap: EapPacket): Promise<HandlerTuple<number>> {
    // A retransmitted Response (same State, same Identifier) gets the same answer (RFC 3748 §4.1).
    if (session.pending) {
      if (session.pending.id === eap.identifier) return session.pending.answer;
      return Promise.reject(new EapDiscardError('a round is in progress'));
    }
    if (eap.identifier === session.lastResponseId && session.lastAnswer) {
      return Promise.resolve(session.lastAnswer);
    }
    if (session.finished) return Promise.reject(new EapDiscardError('conversation finished'));
    if (eap.identifier !== session.requestId) {
      return Promise.reject(
        new EapDiscardError(`Identifier ${eap.identifier}, expected ${session.requestId}`),
      );
    }
    const answer = this.advance(session, eap).then(
      async (result) => {
        session.pending = undefined;
        session.lastResponseId = eap.identifier;
        session.lastAnswer = result;
        // The next round may reach another instance: the conversation is stored before the answer goes.
        await this.persist(session);
        return result;
      },
      (err: unknown) => {
        session.pending = undefined;
        throw err;
      },
    );
    session.pending = { id: eap.identifier, answer };
    return answer;
  }

  private async advance(session: EapSession, eap: EapPacket): Promise<HandlerTuple<number>> {
    let step: MethodStep;
    try {
      step = await this.step(session, eap);
    } catch (err) {
      // Credentials no method can use end this login (credentialsOf warned), not the request.
      if (!(err instanceof UnusableCredentialsError)) throw err;
      step = { kind: 'failure', reason: err.message };
    }
    return this.answer(session, step, eap.identifier);
  }

  /** The method's move for one Response: Identity and NAK pick a method, the rest go to it. */
  private async step(session: EapSession, eap: EapPacket): Promise<MethodStep> {
    const type = eap.type as number;
    if (!session.method && type === EAP_TYPE.IDENTITY) {
      // RFC 3748 §5.1: the identity selects nothing by itself; it is who the methods check.
      session.identity = eap.data.toString('utf8');
      return this.startMethod(session, this.firstMethod(session.identity), eap.identifier);
    }
    if (session.method && type === EAP_TYPE.NAK && !session.methodAnswered) {
      // RFC 3748 §5.3.1: the peer lists the types it wants; take our first one it accepts.
      const wanted = new Set(eap.data);
      const next = this.methods.find((m) => wanted.has(m.type) && !session.offered.has(m.type));
      if (next) return this.startMethod(session, next, eap.identifier);
      this.logger.info({ identity: session.identity, wanted: [...wanted] }, 'EAP: no common method');
      return { kind: 'failure', reason: 'no common method' };
    }
    if (session.method && type === session.methodType) {
      session.methodAnswered = true;
      return session.method.process(eap.data, eap.identifier);
    }
    return { kind: 'discard', reason: `unexpected EAP type ${type}` };
  }

  /** `identity`'s credentials as the methods use them; ones no method can use are warned of and thrown. */
  private async credentialsOf(identity: string): Promise<UsableCredentials | undefined> {
    const given = await this.getCredentials(identity);
    if (given === undefined || given === null) return undefined;
    const usable = tryUsableCredentials(given);
    if (usable instanceof UnusableCredentialsError) {
      this.logger.warn(
        { identity, reason: usable.message },
        'EAP: getCredentials gave credentials no method can use',
      );
      throw usable;
    }
    return usable;
  }

  /** The method to offer first: the one this identity last succeeded with, else our first. */
  private firstMethod(identity: string): EapMethod {
    const type = this.memory?.get(identity);
    if (type !== undefined) {
      const method = this.methods.find((m) => m.type === type);
      if (method) return method;
    }
    return this.methods[0];
  }

  private async startMethod(session: EapSession, method: EapMethod, responseId: number): Promise<MethodStep> {
    session.method?.dispose();
    session.offered.add(method.type);
    session.methodType = method.type;
    session.methodAnswered = false;
    session.method = method.create(this.methodContext(session.identity, session.framedMtu));
    return session.method.start((responseId + 1) & 0xff);
  }

  /** The context of a method conversation for `identity` (also used by tunnels for inner methods). */
  methodContext(identity: string, framedMtu?: number): MethodContext {
    // RFC 3579 §2.4: an EAP packet must fit the NAS's link MTU; the EAP and EAPOL headers and the
    // TLS flags and length take 14 of its octets.
    const fragmentSize =
      framedMtu !== undefined && framedMtu >= 64 + 14
        ? Math.min(this.fragmentSize, framedMtu - 14)
        : this.fragmentSize;
    return {
      identity,
      getCredentials: (identity) => this.credentialsOf(identity),
      serverName: this.serverName,
      tls: this.tls,
      fragmentSize,
      innerMethods: this.innerMethods,
      log: (message, fields) => this.logger.info({ identity, ...fields }, `EAP: ${message}`),
    };
  }

  private answer(session: EapSession, step: MethodStep, responseId: number): HandlerTuple<number> {
    switch (step.kind) {
      case 'request': {
        const id = (responseId + 1) & 0xff;
        session.requestId = id;
        return [
          [
            ['EAP-Message', encodeEap(EAP_REQUEST, id, session.methodType, step.data)],
            ['State', session.state],
          ],
          ACCESS_CHALLENGE,
        ];
      }
      case 'success': {
        session.finished = true;
        session.dispose();
        this.memory?.remember(session.identity, session.methodType);
        const attributes: ReplyAttributePair[] = [['EAP-Message', encodeEapResult(EAP_SUCCESS, responseId)]];
        if (step.keys) {
          // RFC 2548 §2.4.2-2.4.3: the codec salts and hides both with the request's authenticator.
          attributes.push(['MS-MPPE-Recv-Key', step.keys.recvKey], ['MS-MPPE-Send-Key', step.keys.sendKey]);
        }
        // RFC 2865 §5.1: one User-Name of 1..253 octets; a peer's longer identity is not echoed.
        const identity = step.identity ?? session.identity;
        const octets = Buffer.byteLength(identity);
        if (octets > 0 && octets <= 253) attributes.push(['User-Name', identity]);
        return [attributes, ACCESS_ACCEPT];
      }
      case 'failure': {
        // The tunnel's identity is the one that failed; the outer one is often "anonymous".
        const inner = session.method?.innerIdentity;
        session.finished = true;
        session.dispose();
        this.logger.info(
          { identity: session.identity, ...(inner !== undefined ? { inner } : {}), reason: step.reason },
          'EAP: authentication failed',
        );
        return reject(responseId);
      }
      case 'discard':
        throw new EapDiscardError(step.reason);
    }
  }
}

/** More than one Framed-MTU: the smallest is the one every hop can carry (RFC 3579 §2.4). */
function noteFramedMtu(session: EapSession, request: Packet): void {
  for (const mtu of request.getAll('Framed-MTU')) {
    if (typeof mtu === 'number') session.framedMtu = Math.min(mtu, session.framedMtu ?? mtu);
  }
}

/** Access-Reject with EAP-Failure (RFC 3579 §2.6.3), or without when there was no EAP to answer. */
function reject(identifier: number | undefined): HandlerTuple<number> {
  if (identifier === undefined) return [[], ACCESS_REJECT];
  return [[['EAP-Message', encodeEapResult(EAP_FAILURE, identifier)]], ACCESS_REJECT];
}
