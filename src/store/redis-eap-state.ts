// EAP state several instances share through the Redis of `sharedState`: sessions of the methods
// whose state is plain data (EAP-MD5, GTC, MSCHAPv2), TLS resumption data, and the addresses of the instances' cluster links. Everything goes through RedisSharedState's
// connection, so an outage is logged once and every call fails fast meanwhile.
import type { RedisSharedState } from './redis-shared-state.js';
import type { SessionData, SharedSessionStore, SharedTlsSessions } from './store.js';

/** EAP conversations as JSON under `<prefix>eap:<State>`, expiring with their idle lifetime. */
export class RedisSessionStore implements SharedSessionStore {
  constructor(private readonly redis: RedisSharedState) {}

  private key(key: string): string {
    return `${this.redis.prefix}eap:${key}`;
  }

  async get(key: string): Promise<SessionData | undefined> {
    const text = await this.redis.command((r) => r.get(this.key(key)));
    return text === null ? undefined : (JSON.parse(text) as SessionData);
  }

  async set(key: string, data: SessionData, ttlMs: number): Promise<void> {
    const text = JSON.stringify(data);
    await this.redis.command((r) =>
      r.set(this.key(key), text, { expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) } }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.redis.command((r) => r.del(this.key(key)));
  }
}

/**
 * TLS sessions by session ID (or TLS 1.3 stateful ticket ID) under `<prefix>tls:<id>`, base64 (a
 * TTLS session's with the identity authenticated over it, once there is one). No ticket keys: the
 * EapServer issues no stateless tickets (SSL_OP_NO_TICKET), so an ID is all a peer brings back.
 */
export class RedisTlsSessions implements SharedTlsSessions {
  constructor(private readonly redis: RedisSharedState) {}

  async get(id: Buffer): Promise<Buffer | undefined> {
    const text = await this.redis.command((r) => r.get(`${this.redis.prefix}tls:${id.toString('hex')}`));
    return text === null ? undefined : Buffer.from(text, 'base64');
  }

  async set(id: Buffer, session: Buffer, ttlMs: number): Promise<void> {
    await this.redis.command((r) =>
      r.set(`${this.redis.prefix}tls:${id.toString('hex')}`, session.toString('base64'), {
        expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) },
      }),
    );
  }
}

/**
 * The cluster links of live instances, each under `<prefix>peer:<address>` for a short time,
 * renewed while the instance runs: an instance forwards only to addresses registered here (or
 * configured), never to whatever a State names.
 */
export class RedisPeerRegistry {
  constructor(private readonly redis: RedisSharedState) {}

  /** Registers (or renews) `address` for `ttlMs`. */
  async register(address: string, ttlMs: number): Promise<void> {
    await this.redis.command((r) =>
      r.set(`${this.redis.prefix}peer:${address}`, '1', { expiration: { type: 'PX', value: ttlMs } }),
    );
  }

  /** Removes `address` (the instance is stopping). */
  async unregister(address: string): Promise<void> {
    await this.redis.command((r) => r.del(`${this.redis.prefix}peer:${address}`));
  }

  /** Whether `address` is registered now. */
  async has(address: string): Promise<boolean> {
    return (await this.redis.command((r) => r.get(`${this.redis.prefix}peer:${address}`))) !== null;
  }
}
