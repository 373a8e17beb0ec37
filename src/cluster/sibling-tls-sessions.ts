// TLS resumption data shared by the workers of one `serve --workers N` primary, without Redis.
// Each EAP conversation lives in the worker its first round reached, so a peer's next login, which
// offers the session of its last one, lands on any worker: the primary keeps every worker's
// sessions and answers their lookups over node:cluster's IPC channel.
import cluster, { type Worker } from 'node:cluster';
import { MAX_CACHED_TLS_SESSIONS, TlsSessionCache } from '../eap/tls-session-cache.js';
import type { SharedTlsSessions } from '../store/store.js';
import { PendingReplies } from './pending-replies.js';

/** A worker's message to the primary: a session to keep, or one to look up (answered by `n`). */
type ToPrimary =
  | { aioradiusTlsSession: 'set'; id: string; data: string; ttl: number }
  | { aioradiusTlsSession: 'get'; id: string; n: number };

/** The primary's answer to a lookup: the session's data, base64, if it holds it. */
interface ToWorker {
  aioradiusTlsSessionFound: number;
  data?: string;
}

/** The IPC channel of a worker process (`process` there). */
export interface SiblingChannel {
  send?(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A lookup the primary has not answered by then is a miss (the login does a full handshake). */
const LOOKUP_TIMEOUT_MS = 1000;
/** Most lookups waiting for the primary; past it a lookup misses at once. */
const MAX_PENDING = 10_000;

/** A worker's view of the sessions the primary keeps for all of them. */
export class SiblingTlsSessions implements SharedTlsSessions {
  private readonly pending = new PendingReplies<Buffer>();
  private readonly onMessage = (m: unknown): void => {
    const n = (m as ToWorker | null)?.aioradiusTlsSessionFound;
    if (typeof n !== 'number') return;
    const data = (m as ToWorker).data;
    this.pending.settle(n, typeof data === 'string' ? Buffer.from(data, 'base64') : undefined);
  };

  constructor(private readonly channel: SiblingChannel = process) {
    channel.on('message', this.onMessage);
  }

  get(id: Buffer): Promise<Buffer | undefined> {
    if (!this.channel.send || this.pending.size >= MAX_PENDING) return Promise.resolve(undefined);
    const { n, reply } = this.pending.open(LOOKUP_TIMEOUT_MS);
    if (!this.send({ aioradiusTlsSession: 'get', id: id.toString('hex'), n }))
      this.pending.settle(n, undefined);
    return reply;
  }

  async set(id: Buffer, session: Buffer, ttlMs: number): Promise<void> {
    this.send({
      aioradiusTlsSession: 'set',
      id: id.toString('hex'),
      data: session.toString('base64'),
      ttl: Math.max(1, Math.round(ttlMs)),
    });
  }

  /** Stops listening; lookups still waiting miss. */
  close(): void {
    this.channel.off('message', this.onMessage);
    this.pending.clear();
  }

  /** False when the channel is gone (the primary stopped): the caller then misses. */
  private send(message: ToPrimary): boolean {
    try {
      return this.channel.send?.(message) ?? false;
    } catch {
      return false;
    }
  }
}

/**
 * The primary's store of its workers' TLS sessions: bounded (the oldest goes first) and expiring
 * with the lifetime each was stored with. Returns the function that stops it.
 */
export function hostSiblingTlsSessions(maxSessions = 2 * MAX_CACHED_TLS_SESSIONS): () => void {
  // Each session carries its own lifetime (the workers' config); this one is never used.
  const sessions = new TlsSessionCache<string>({ maxSessions, lifetime: 3600 });
  const onMessage = (worker: Worker, m: unknown): void => {
    const message = m as ToPrimary | null;
    const op = message?.aioradiusTlsSession;
    if (op === undefined || typeof message?.id !== 'string') return;
    const id = Buffer.from(message.id, 'hex');
    if (op === 'set') {
      // Stored again (a tunnel's session once it stands for an identity): replaced, made newest.
      if (typeof message.data === 'string' && typeof message.ttl === 'number')
        sessions.set(id, message.data, message.ttl);
      return;
    }
    if (op !== 'get' || typeof message.n !== 'number') return;
    const answer: ToWorker = { aioradiusTlsSessionFound: message.n, data: sessions.find([id]) };
    if (worker.isConnected()) worker.send(answer);
  };
  cluster.on('message', onMessage);
  return () => {
    cluster.off('message', onMessage);
    sessions.clear();
  };
}
