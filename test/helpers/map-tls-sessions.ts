// TLS sessions shared by instances (SharedTlsSessions) in a Map, as Redis would hold them, for tests
// that run two EapServers or TLS sides in one process: the lifetimes asked for are kept, and `down`
// makes every call fail as an unreachable store does.
import type { SharedTlsSessions } from '../../src/store/store.js';

export class MapTlsSessions implements SharedTlsSessions {
  readonly data = new Map<string, Buffer>();
  /** The lifetime each ID was last stored with, in milliseconds. */
  readonly ttls = new Map<string, number>();
  down = false;
  lookups = 0;

  async get(id: Buffer): Promise<Buffer | undefined> {
    this.lookups++;
    if (this.down) throw new Error('down');
    return this.data.get(id.toString('hex'));
  }

  async set(id: Buffer, session: Buffer, ttlMs: number): Promise<void> {
    if (this.down) throw new Error('down');
    this.data.set(id.toString('hex'), session);
    this.ttls.set(id.toString('hex'), ttlMs);
  }
}
