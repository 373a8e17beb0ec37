// BlastRADIUS 'auto' state shared through Redis (`sharedState: redis://…`): a NAS one instance has
// seen signing its Access-Requests is held to it by every instance.
import type { RedisSharedState } from './redis-shared-state.js';
import type { BlastRadiusState } from './store.js';

const KEY = 'blastradius:signing';

/**
 * The NASes that signed an Access-Request, as one Redis set (SADD, SISMEMBER) on the connection of
 * a {@link RedisSharedState}. Each instance keeps its own memory too and asks Redis only about an
 * unsigned request from a NAS it has not seen signing. When Redis cannot answer, that memory
 * decides (the outage is logged once by the shared state).
 */
export class RedisBlastRadiusState implements BlastRadiusState {
  constructor(private readonly redis: RedisSharedState) {}

  /** Whether any instance has recorded `address` as signing. */
  async signs(address: string): Promise<boolean> {
    return (await this.redis.run(KEY, (c, key) => c.sIsMember(key, address))) === 1;
  }

  /** Records `address` as signing, for every instance. */
  async markSigning(address: string): Promise<void> {
    await this.redis.run(KEY, (c, key) => c.sAdd(key, address));
  }
}
