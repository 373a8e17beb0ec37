// State several instances share through Redis (`sharedState: redis://…`): duplicate detection
// across instances (and, through `command`, the EAP state of redis-eap-state.ts). Redis being down never stops the server: it answers as a lone instance would,
// and says so once in the log, and once more when Redis is back.
import { RadiusError } from '../errors.js';
import type { Logger } from '../server/logger.js';
import type { DuplicateClaim, SharedDuplicateStore } from './store.js';
import { checkStoreUrl, storeOpenFailed } from './store-url.js';

/** Options of the Redis shared state. */
export interface RedisSharedStateOptions {
  /** Prefix of every key (default "aioradius:"), so that one Redis can serve several deployments. */
  prefix?: string;
  /** Milliseconds a command may take before the instance goes on without it (default 250). */
  commandTimeoutMs?: number;
  /** Where outages and recoveries are logged. */
  logger?: Logger;
}

/** The store's name in errors. */
const STORE_NAME = 'Redis';
const PENDING = 'p';
const NO_REPLY = 'n';

/** The Redis commands the shared stores use (a subset of the redis package's client). */
export interface RedisCommands {
  set(key: string, value: string, options?: object): Promise<string | null>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  sAdd(key: string, member: string): Promise<number>;
  sIsMember(key: string, member: string): Promise<number>;
}

interface RedisLike extends RedisCommands {
  close(): Promise<void>;
  destroy(): void;
}

/**
 * Duplicate detection shared through Redis: `SET NX PX` claims a request, and its reply (base64)
 * replaces the claim once sent. When Redis is unreachable or slow, requests are handled as new:
 * retransmissions that reach the same instance are still found by its own table, and accounting
 * records are stored once by the database anyway.
 */
export class RedisSharedState implements SharedDuplicateStore {
  /** Prefix of every key. */
  readonly prefix: string;
  private readonly timeoutMs: number;
  private down = false;
  private resolveReady: () => void = () => undefined;
  /** Resolves once the connection is first ready (never, while Redis stays unreachable). */
  readonly ready: Promise<void> = new Promise((resolve) => {
    this.resolveReady = resolve;
  });
  /** Why Redis refused our credentials (WRONGPASS, NOAUTH), once it has: a setting to fix, not an outage. */
  refusal: Error | undefined;
  /** Whether the connection has had an outcome yet (ready, refused, or failed). */
  private heard = false;

  private constructor(
    private readonly client: RedisLike,
    private readonly logger: Logger | undefined,
    options: RedisSharedStateOptions,
  ) {
    this.prefix = options.prefix ?? 'aioradius:';
    this.timeoutMs = options.commandTimeoutMs ?? 250;
  }

  /**
   * Connects to `url` (redis://…) in the background and returns at once: an instance starts, and
   * works alone, while Redis is down. Rejects with StoreOpenError only for a URL that is not
   * redis:// or rediss://, or that the client cannot use.
   */
  static async open(url: string, options: RedisSharedStateOptions = {}): Promise<RedisSharedState> {
    checkStoreUrl(STORE_NAME, url, ['redis', 'rediss']);
    let redis: typeof import('redis');
    try {
      redis = await import('redis');
    } catch (err) {
      throw new RadiusError(
        `the Redis shared state needs the redis package (npm install redis): ${(err as Error).message.split('\n')[0]}`,
        'ERR_RADIUS_DEPENDENCY',
      );
    }
    let client: ReturnType<typeof redis.createClient>;
    try {
      client = redis.createClient({
        url,
        // Commands fail at once while disconnected, instead of queueing until Redis is back.
        disableOfflineQueue: true,
        socket: {
          connectTimeout: 2000,
          reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
        },
      });
    } catch (err) {
      throw storeOpenFailed(STORE_NAME, url, err);
    }
    const state = new RedisSharedState(client as unknown as RedisLike, options.logger, options);
    client.on('error', (err: Error) => state.unavailable(err));
    client.on('ready', () => state.available());
    client.connect().catch((err: unknown) => state.unavailable(err as Error));
    return state;
  }

  /** True while Redis cannot be reached. */
  get degraded(): boolean {
    return this.down;
  }

  private unavailable(err: Error): void {
    this.heard = true;
    if (isAuthRefusal(err) && this.refusal === undefined) {
      this.refusal = err;
      this.logger?.error(
        { err: err.message },
        'shared state (Redis) refused the credentials of sharedState: check its user and password; until then each instance works alone',
      );
      this.down = true;
      return;
    }
    if (this.down) return;
    this.down = true;
    this.logger?.error(
      { err: err.message },
      'shared state (Redis) unavailable: duplicates are detected, and EAP sessions kept, per instance until it is back',
    );
  }

  /**
   * Waits up to `ms` for the first connection: resolves with the refusal when Redis refused the
   * credentials, else undefined (ready, or not there yet: an instance starts without it).
   */
  async refusedWithin(ms: number): Promise<Error | undefined> {
    const deadline = Date.now() + ms;
    while (!this.heard && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.refusal;
  }

  private available(): void {
    this.heard = true;
    this.refusal = undefined;
    this.resolveReady();
    if (!this.down) return;
    this.down = false;
    this.logger?.info('shared state (Redis) reachable again');
  }

  /** Claims a request, or finds who has it; rejects when Redis cannot answer in time. */
  async claim(key: string, ttlMs: number): Promise<DuplicateClaim> {
    const k = this.prefix + key;
    const set = await this.timed(
      this.client.set(k, PENDING, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
    );
    if (set === 'OK') return { state: 'new' };
    const v = await this.timed(this.client.get(k));
    if (v === null) return { state: 'new' }; // expired between the two commands
    if (v === PENDING) return { state: 'pending' };
    return { state: 'done', reply: v === NO_REPLY ? undefined : Buffer.from(v, 'base64') };
  }

  /** Replaces the claim with the reply, kept `ttlMs`. */
  async complete(key: string, reply: Buffer | undefined, ttlMs: number): Promise<void> {
    const value = reply ? reply.toString('base64') : NO_REPLY;
    await this.timed(this.client.set(this.prefix + key, value, { expiration: { type: 'PX', value: ttlMs } }));
  }

  /**
   * Runs commands of another shared store (EAP sessions, TLS sessions...) on this connection under
   * the same time limit, an outage reported the same way (one log line); rejects when Redis cannot
   * answer in time.
   */
  command<T>(run: (redis: RedisCommands) => Promise<T>): Promise<T> {
    return this.timed(run(this.client));
  }

  /** {@link RedisSharedState.command} for one key of this store's prefix (BlastRADIUS state...). */
  run<T>(key: string, command: (client: RedisCommands, key: string) => Promise<T>): Promise<T> {
    return this.command((client) => command(client, this.prefix + key));
  }

  /** Disconnects. */
  async close(): Promise<void> {
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }

  private timed<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new Error(`Redis did not answer within ${this.timeoutMs} ms`);
        this.unavailable(err);
        reject(err);
      }, this.timeoutMs);
      p.then(
        (v) => {
          clearTimeout(timer);
          // Redis answers again after a stall: the connection never dropped, so no 'ready' says so.
          if (this.down) this.available();
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          this.unavailable(err as Error);
          reject(err);
        },
      );
    });
  }
}

/** Redis's answers to credentials it does not take (RESP errors, RFC-less but stable wording). */
function isAuthRefusal(err: Error): boolean {
  return /\b(WRONGPASS|NOAUTH)\b|invalid username-password/i.test(err.message);
}
