/**
 * TLS sessions in worker threads: handshakes and record encryption, the CPU of a TLS-based EAP
 * login, run on every core while RADIUS and EAP stay in the EapServer's thread. A conversation's
 * TLS lives in one worker: the one holding the session its ClientHello offers to resume (this
 * thread keeps which worker made which session), else the next in turn. Sessions stay in the
 * worker that made them, never copied: N workers would otherwise each hold, and be sent, every
 * session. A shared store of other instances' sessions is reached from this thread: workers ask
 * it here for an offered session none of them holds.
 */

import { Worker } from 'node:worker_threads';
import { offeredSessionIds } from './client-hello.js';
import type { TlsEndpointKind, TlsEndpointOptions } from './tls-config.js';
import { MAX_CACHED_TLS_SESSIONS, TlsSessionCache } from './tls-session-cache.js';
import type { PeerCertificate } from 'node:tls';
import { exportMethodKeying, type MethodKeying, type TlsChannel, type TlsFacts } from './tls-engine.js';
import { asBuffer, exactBytes, type FromWorker, type ToWorker } from './tls-worker-messages.js';

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
    if (m.op === 'session') {
      this.pool.madeSession(this, m);
      return;
    }
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
}

/** What a worker thread builds its endpoints from: functions stay in this thread. */
export type WorkerOptions = Omit<TlsEndpointOptions, 'keyLog' | 'onSession' | 'lookupSession'> & {
  keyLog: boolean;
  /** Whether offered sessions the worker lacks are asked of this thread (a shared store). */
  lookup: boolean;
  /** Whether this thread wants the sessions' data (a shared store), not only their IDs. */
  share: boolean;
};

/** Worker threads running the TLS sessions of one EapServer. */
export class TlsWorkerPool {
  private readonly workers: TlsWorker[] = [];
  private readonly options: WorkerOptions;
  readonly keyLog: ((line: Buffer) => void) | undefined;
  private readonly onSession: TlsEndpointOptions['onSession'];
  private readonly lookup: TlsEndpointOptions['lookupSession'];
  /** Which worker made each resumable session, bounded as the workers' caches are. */
  private readonly owners: Record<TlsEndpointKind, TlsSessionCache<TlsWorker>> | undefined;
  private next = 0;
  private ids = 0;
  private seq = 0;
  private closed = false;

  constructor(count: number, options: TlsEndpointOptions) {
    const { keyLog, onSession, lookupSession, ...rest } = options;
    this.keyLog = keyLog;
    this.onSession = onSession;
    this.lookup = lookupSession;
    this.options = {
      ...rest,
      keyLog: keyLog !== undefined,
      lookup: lookupSession !== undefined,
      share: onSession !== undefined,
    };
    const lifetime = rest.resumptionLifetime ?? 3600;
    const owners = () => new TlsSessionCache<TlsWorker>({ maxSessions: MAX_CACHED_TLS_SESSIONS, lifetime });
    this.owners = lifetime > 0 ? { certificate: owners(), tunnel: owners() } : undefined;
    for (let i = 0; i < count; i++) this.workers.push(new TlsWorker(this, this.options));
  }

  /** A TLS session in a worker, chosen when its first message (the ClientHello) arrives. */
  open(
    kind: TlsEndpointKind,
    resumable: boolean,
    keying?: MethodKeying,
    authenticatedOnly = false,
  ): TlsChannel {
    return new RemoteTlsEngine(this, ++this.ids, kind, resumable, keying, authenticatedOnly);
  }

  /** @internal The worker holding a session `hello` offers (while it lives), else the next in turn. */
  workerFor(kind: TlsEndpointKind, hello: Buffer | undefined): TlsWorker {
    const ids = hello ? offeredSessionIds(hello) : [];
    const owner = ids.length > 0 ? this.owners?.[kind].find(ids) : undefined;
    if (owner && !owner.gone && this.workers.includes(owner)) return owner;
    return this.workers[this.next++ % this.workers.length];
  }

  /** @internal */
  nextSeq(): number {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    return this.seq;
  }

  /** @internal A worker made a session: its resumption goes to that worker (and other instances may keep it). */
  madeSession(from: TlsWorker, m: FromWorker & { op: 'session' }): void {
    const sid = asBuffer(m.sid);
    this.owners?.[m.kind].set(sid, from);
    if (m.data) this.onSession?.(m.kind, sid, asBuffer(m.data));
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

  /** Stops the workers. */
  close(): void {
    this.closed = true;
    for (const w of this.workers) void w.thread.terminate();
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
  /** The worker holding the session, once the first message chose it. */
  private held: TlsWorker | undefined;

  constructor(
    private readonly pool: TlsWorkerPool,
    private readonly id: number,
    private readonly kind: TlsEndpointKind,
    readonly resumable: boolean,
    private readonly keying?: MethodKeying,
    private readonly authenticatedOnly = false,
  ) {}

  /** The session's worker: chosen by the first message (a ClientHello offering a session or not). */
  private worker(first?: Buffer): TlsWorker {
    if (!this.held) {
      const { id, kind, resumable, keying, authenticatedOnly } = this;
      this.held = this.pool.workerFor(kind, resumable ? first : undefined);
      this.held.send({
        op: 'open',
        id,
        kind,
        resumable,
        ...(keying ? { keying } : {}),
        ...(authenticatedOnly ? { authenticatedOnly } : {}),
      });
    }
    return this.held;
  }

  private absorb(m: Answer): void {
    if (m.op === 'state') {
      if (m.output) this.output.push(asBuffer(m.output));
      if (m.appData) this.appData.push(asBuffer(m.appData));
      this.established = m.established;
      if (m.facts) this.facts = certificateAsBuffers(m.facts);
      if (m.keying) this.keyingMaterial = asBuffer(m.keying);
    }
    if (m.error) this.error ??= new Error(m.error);
  }

  async receive(bytes: Buffer, finish?: Buffer): Promise<void> {
    if (this.error) return;
    this.absorb(
      await this.worker(bytes).call({
        op: 'receive',
        id: this.id,
        seq: this.pool.nextSeq(),
        bytes: exactBytes(bytes),
        finish,
      }),
    );
  }

  async write(data: Buffer): Promise<void> {
    if (!this.established || this.error) return;
    const seq = this.pool.nextSeq();
    this.absorb(await this.worker().call({ op: 'write', id: this.id, seq, data: exactBytes(data) }));
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
    const m = await this.worker().call({ op: 'export', id: this.id, seq, length, label, context });
    if (m.op !== 'exported' || !m.material) throw new Error(`TLS export: ${m.error ?? 'no answer'}`);
    return asBuffer(m.material);
  }

  methodKeyingMaterial(): Promise<Buffer> {
    if (this.keyingMaterial) return Promise.resolve(this.keyingMaterial);
    if (!this.keying) return Promise.reject(new Error('TLS session opened without method keying'));
    return exportMethodKeying(this, this.keying);
  }

  async refuse(description: number): Promise<Buffer> {
    this.output = [];
    const seq = this.pool.nextSeq();
    this.absorb(await this.worker().call({ op: 'refuse', id: this.id, seq, description }));
    return this.takeOutput();
  }

  authenticated(identity: string): void {
    // No answer needed: the worker records it before it handles this session's next message.
    if (this.established) this.held?.send({ op: 'authenticated', id: this.id, identity });
  }

  destroy(): void {
    this.held?.send({ op: 'close', id: this.id });
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
