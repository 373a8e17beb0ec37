/**
 * TLS sessions in worker threads: full handshakes and their record encryption, the CPU of a
 * TLS-based EAP login, run on every core while RADIUS and EAP stay in the EapServer's thread. A
 * conversation's TLS goes to the next worker in turn, unless its ClientHello offers a session this
 * thread holds: a resumption costs little TLS work, less than crossing to a worker and back each
 * round, so it runs here. Workers keep no sessions: they tell this thread each one they make, and
 * it keeps them (and shares them with other instances, when a store is given). A worker asks this
 * thread for an offered session it lacks, which only the shared store can then hold.
 */

import { Worker } from 'node:worker_threads';
import { offeredSessionIds } from './client-hello.js';
import type { TlsEndpointKind, TlsEndpointOptions } from './tls-config.js';
import type { PeerCertificate } from 'node:tls';
import {
  exportMethodKeying,
  type MethodKeying,
  type TlsChannel,
  type TlsEndpoint,
  TlsEngine,
  type TlsFacts,
} from './tls-engine.js';
import { withIdentity } from './tls-session-record.js';
import {
  asBuffer,
  exactBytes,
  type FromWorker,
  type OpenSession,
  type ToWorker,
} from './tls-worker-messages.js';

const WORKER_URL = new URL('./tls-worker.js', import.meta.url);

/** What answers a call. */
type Answer = Extract<FromWorker, { seq: number }>;
type Waiter = (m: Answer) => void;

/** One worker thread and the answers it owes. */
class TlsWorker {
  readonly thread: Worker;
  readonly waiting = new Map<number, Waiter>();
  /** Why the thread is gone, once it is. */
  gone: Error | undefined;
  /** Whether the thread started (one that dies before is not replaced: it would die again). */
  started = false;

  constructor(
    private readonly pool: TlsWorkerPool,
    options: WorkerOptions,
  ) {
    this.thread = new Worker(WORKER_URL, { workerData: options });
    this.thread.on('message', (m: FromWorker) => this.message(m));
    this.thread.on('error', (err) => this.end(err));
    this.thread.on('exit', (code) => this.end(new Error(`TLS worker exited (${code})`)));
    // A worker keeps the process alive only while an answer is owed (see call()). After the
    // listeners: adding a 'message' listener refs the worker's port again.
    this.thread.unref();
  }

  private message(m: FromWorker): void {
    if (m.op === 'ready') {
      this.started = true;
      return;
    }
    if (m.op === 'keylog') {
      this.pool.keyLog?.(asBuffer(m.line));
      return;
    }
    if (m.op === 'lookup') {
      this.pool.lookupSession(this, m);
      return;
    }
    const waiter = this.waiting.get(m.seq);
    this.waiting.delete(m.seq);
    if (this.waiting.size === 0) this.thread.unref();
    waiter?.(m);
  }

  private end(err: Error): void {
    this.gone ??= err;
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    this.thread.unref();
    for (const w of waiters) w({ op: 'exported', seq: -1, error: err.message });
    this.pool.replace(this);
  }

  call(message: ToWorker & { seq: number }): Promise<Answer> {
    if (this.gone) return Promise.resolve({ op: 'exported', seq: message.seq, error: this.gone.message });
    return new Promise((resolve) => {
      if (this.waiting.size === 0) this.thread.ref();
      this.waiting.set(message.seq, resolve);
      this.thread.postMessage(message);
    });
  }

  send(message: ToWorker): void {
    if (!this.gone) this.thread.postMessage(message);
  }

  /** Sessions ended this turn of the event loop: told in one message. */
  private closing: number[] = [];

  close(id: number): void {
    this.closing.push(id);
    if (this.closing.length === 1) setImmediate(() => this.flushCloses());
  }

  private flushCloses(): void {
    const ids = this.closing;
    this.closing = [];
    this.send({ op: 'close', ids });
  }
}

/** What a worker thread builds its endpoints from: functions stay in this thread. */
export type WorkerOptions = Omit<TlsEndpointOptions, 'keyLog' | 'onSession' | 'lookupSession'> & {
  keyLog: boolean;
  /** Whether offered sessions the worker lacks are asked of this thread (a shared store). */
  lookup: boolean;
};

/** Worker threads running the TLS sessions of one EapServer. */
export class TlsWorkerPool {
  private readonly workers: TlsWorker[] = [];
  private readonly options: WorkerOptions;
  readonly keyLog: ((line: Buffer) => void) | undefined;
  private readonly onSession: TlsEndpointOptions['onSession'];
  private readonly lookup: TlsEndpointOptions['lookupSession'];
  /** This thread's endpoints: they keep every session, and resume them. */
  readonly local: Record<TlsEndpointKind, TlsEndpoint>;
  private next = 0;
  private ids = 0;
  private seq = 0;
  private closed = false;

  /** `local`: endpoints in this thread built from the same options (tlsEndpoints). */
  constructor(count: number, options: TlsEndpointOptions, local: Record<TlsEndpointKind, TlsEndpoint>) {
    const { keyLog, onSession, lookupSession, ...rest } = options;
    this.keyLog = keyLog;
    this.onSession = onSession;
    this.lookup = lookupSession;
    this.local = local;
    this.options = {
      ...rest,
      keyLog: keyLog !== undefined,
      lookup: lookupSession !== undefined,
      keepSessions: false,
    };
    for (let i = 0; i < count; i++) this.workers.push(new TlsWorker(this, this.options));
  }

  /** A TLS session, here or in a worker: chosen when its first message (the ClientHello) arrives. */
  open(
    kind: TlsEndpointKind,
    resumable: boolean,
    keying?: MethodKeying,
    authenticatedOnly = false,
  ): TlsChannel {
    return new PooledTlsChannel(this, kind, resumable, keying, authenticatedOnly);
  }

  /** @internal A channel for the conversation whose first TLS message is `hello`. */
  channelFor(
    hello: Buffer,
    kind: TlsEndpointKind,
    resumable: boolean,
    keying: MethodKeying | undefined,
    authenticatedOnly: boolean,
  ): TlsChannel {
    if (resumable && this.holds(kind, offeredSessionIds(hello), authenticatedOnly)) {
      return new TlsEngine(this.local[kind], resumable, keying, authenticatedOnly);
    }
    const worker = this.workers[this.next++ % this.workers.length];
    return new RemoteTlsEngine(this, worker, ++this.ids, kind, resumable, keying, authenticatedOnly);
  }

  /** Whether this thread holds a session among `ids` that the conversation may resume. */
  private holds(kind: TlsEndpointKind, ids: Buffer[], authenticatedOnly: boolean): boolean {
    const { sessions, identities } = this.local[kind];
    if (!sessions || ids.length === 0) return false;
    if (!authenticatedOnly) return sessions.find(ids) !== undefined;
    return ids.some((id) => identities?.find([id]) !== undefined && sessions.find([id]) !== undefined);
  }

  /** @internal */
  nextSeq(): number {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    return this.seq;
  }

  /** @internal A worker made a session: kept here to be resumed here, and shared with other instances. */
  madeSession(kind: TlsEndpointKind, sid: Buffer, data: Buffer): void {
    this.local[kind].sessions?.set(sid, data);
    this.onSession?.(kind, sid, data);
  }

  /**
   * @internal A method authenticated `identity` over a tunnel a worker holds: the sessions it made
   * now stand for that identity, here and (their records with it) in the shared store.
   */
  authenticated(
    kind: TlsEndpointKind,
    made: ReadonlyArray<{ sid: Buffer; data: Buffer }>,
    identity: string,
  ): void {
    const { identities, requestCert } = this.local[kind];
    // EAP-TLS sessions stand for their certificate (as TlsEngine.authenticated).
    if (requestCert) return;
    for (const { sid, data } of made) {
      identities?.set(sid, identity);
      const record = this.onSession && withIdentity(data, identity);
      if (record) this.onSession?.(kind, sid, record);
    }
  }

  /** @internal A worker's ClientHello offers a session it lacks: asked of the shared store here. */
  lookupSession(from: TlsWorker, m: FromWorker & { op: 'lookup' }): void {
    const lookup = this.lookup ?? (() => Promise.resolve(undefined));
    lookup(m.ids.map(asBuffer)).then(
      (data) => from.send({ op: 'found', lookup: m.lookup, data }),
      // The store cannot answer: the worker makes a full handshake.
      () => from.send({ op: 'found', lookup: m.lookup }),
    );
  }

  /** @internal A worker died: its sessions fail, a new one takes its place. */
  replace(dead: TlsWorker): void {
    const at = this.workers.indexOf(dead);
    if (at < 0 || this.closed || !dead.started) return;
    this.workers[at] = new TlsWorker(this, this.options);
  }

  /** Stops the workers, drops the sessions. */
  close(): void {
    this.closed = true;
    for (const w of this.workers) void w.thread.terminate();
    for (const endpoint of Object.values(this.local)) {
      endpoint.sessions?.clear();
      endpoint.identities?.clear();
    }
  }
}

/**
 * A conversation's TLS session: made when its first message arrives, in this thread (a resumption
 * of a session held here) or in a worker (RemoteTlsEngine).
 */
class PooledTlsChannel implements TlsChannel {
  private inner: TlsChannel | undefined;

  constructor(
    private readonly pool: TlsWorkerPool,
    private readonly kind: TlsEndpointKind,
    readonly resumable: boolean,
    private readonly keying: MethodKeying | undefined,
    private readonly authenticatedOnly: boolean,
  ) {}

  get established(): boolean {
    return this.inner?.established ?? false;
  }

  get error(): Error | undefined {
    return this.inner?.error;
  }

  get facts(): TlsFacts | undefined {
    return this.inner?.facts;
  }

  receive(bytes: Buffer, finish?: Buffer): Promise<void> {
    const { pool, kind, resumable, keying, authenticatedOnly } = this;
    this.inner ??= pool.channelFor(bytes, kind, resumable, keying, authenticatedOnly);
    return this.inner.receive(bytes, finish);
  }

  write(data: Buffer): Promise<void> {
    return this.inner?.write(data) ?? Promise.resolve();
  }

  takeOutput(): Buffer {
    return this.inner?.takeOutput() ?? Buffer.alloc(0);
  }

  takeAppData(): Buffer {
    return this.inner?.takeAppData() ?? Buffer.alloc(0);
  }

  exportKeyingMaterial(length: number, label: string, context?: Buffer): Promise<Buffer> {
    if (!this.inner) return Promise.reject(new Error('TLS export before the handshake'));
    return this.inner.exportKeyingMaterial(length, label, context);
  }

  methodKeyingMaterial(): Promise<Buffer> {
    if (!this.inner) return Promise.reject(new Error('TLS keying material before the handshake'));
    return this.inner.methodKeyingMaterial();
  }

  authenticated(identity: string): void {
    this.inner?.authenticated(identity);
  }

  refuse(description: number): Promise<Buffer> {
    return this.inner?.refuse(description) ?? Promise.resolve(Buffer.alloc(0));
  }

  destroy(): void {
    this.inner?.destroy();
  }
}

/** A TLS session held by a worker thread. */
class RemoteTlsEngine implements TlsChannel {
  established = false;
  error: Error | undefined;
  facts: TlsFacts | undefined;
  private output: Buffer[] = [];
  private appData: Buffer[] = [];
  /** The method's keying material, as the worker sent it once established. */
  private keyingMaterial: Buffer | undefined;
  /** What the worker makes the session from: sent with the first message (one crossing less). */
  private opening: OpenSession | undefined;
  /** The sessions it made (the worker reports them with its answers). */
  private readonly made: Array<{ sid: Buffer; data: Buffer }> = [];

  constructor(
    private readonly pool: TlsWorkerPool,
    private readonly held: TlsWorker,
    private readonly id: number,
    private readonly kind: TlsEndpointKind,
    readonly resumable: boolean,
    private readonly keying?: MethodKeying,
    authenticatedOnly = false,
  ) {
    this.opening = {
      kind,
      resumable,
      ...(keying ? { keying } : {}),
      ...(authenticatedOnly ? { authenticatedOnly } : {}),
    };
  }

  private absorb(m: Answer): void {
    if (m.op === 'state') {
      if (m.output) this.output.push(asBuffer(m.output));
      if (m.appData) this.appData.push(asBuffer(m.appData));
      this.established = m.established;
      if (m.facts) this.facts = certificateAsBuffers(m.facts);
      if (m.keying) this.keyingMaterial = asBuffer(m.keying);
      // Kept before the method goes on: a resumption it starts next finds them here.
      for (const made of m.sessions ?? []) {
        const sid = asBuffer(made.sid);
        const data = asBuffer(made.data);
        this.made.push({ sid, data });
        this.pool.madeSession(made.kind, sid, data);
      }
    }
    if (m.error) this.error ??= new Error(m.error);
  }

  async receive(bytes: Buffer, finish?: Buffer): Promise<void> {
    if (this.error) return;
    const open = this.opening;
    this.opening = undefined;
    this.absorb(
      await this.held.call({
        op: 'receive',
        id: this.id,
        seq: this.pool.nextSeq(),
        bytes: exactBytes(bytes),
        finish,
        ...(open ? { open } : {}),
      }),
    );
  }

  async write(data: Buffer): Promise<void> {
    if (!this.established || this.error) return;
    const seq = this.pool.nextSeq();
    this.absorb(await this.held.call({ op: 'write', id: this.id, seq, data: exactBytes(data) }));
  }

  takeOutput(): Buffer {
    const out = this.output.length === 1 ? this.output[0] : Buffer.concat(this.output);
    this.output = [];
    return out;
  }

  takeAppData(): Buffer {
    const data = this.appData.length === 1 ? this.appData[0] : Buffer.concat(this.appData);
    this.appData = [];
    return data;
  }

  async exportKeyingMaterial(length: number, label: string, context?: Buffer): Promise<Buffer> {
    const seq = this.pool.nextSeq();
    const m = await this.held.call({ op: 'export', id: this.id, seq, length, label, context });
    if (m.op !== 'exported' || !m.material) throw new Error(`TLS export: ${m.error ?? 'no answer'}`);
    return asBuffer(m.material);
  }

  methodKeyingMaterial(): Promise<Buffer> {
    if (this.keyingMaterial) return Promise.resolve(this.keyingMaterial);
    if (!this.keying) return Promise.reject(new Error('TLS session opened without method keying'));
    return exportMethodKeying(this, this.keying);
  }

  authenticated(identity: string): void {
    // The sessions are kept here: nothing to tell the worker.
    if (this.established) this.pool.authenticated(this.kind, this.made, identity);
  }

  async refuse(description: number): Promise<Buffer> {
    this.output = [];
    const seq = this.pool.nextSeq();
    this.absorb(await this.held.call({ op: 'refuse', id: this.id, seq, description }));
    return this.takeOutput();
  }

  destroy(): void {
    // A session never opened there (no message went) needs no close.
    if (!this.opening) this.held.close(this.id);
    this.keyingMaterial = undefined;
    this.output = [];
    this.appData = [];
  }
}

/** The certificate's byte fields arrive as Uint8Array: Buffers again, as node:tls gives them. */
function certificateAsBuffers(facts: TlsFacts): TlsFacts {
  const cert = facts.peerCertificate;
  if (!cert) return facts;
  return {
    ...facts,
    peerCertificate: {
      ...cert,
      raw: asBuffer(cert.raw) as PeerCertificate['raw'],
      ...(cert.pubkey ? { pubkey: asBuffer(cert.pubkey) as PeerCertificate['raw'] } : {}),
    },
  };
}
