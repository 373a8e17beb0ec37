import type { ServiceKind } from '../client/destination.js';
import { ConfigError } from '../errors.js';

/**
 * How a pool picks the first home server of a request:
 * - `failover`: the first live server in the list, the others as backups;
 * - `round-robin`: the next live server in turn;
 * - `keyed`: a hash of an attribute (default Calling-Station-Id), so one device stays on one server;
 * - `client`: a hash of the NAS's address, so one NAS stays on one server.
 * Whatever the first choice, a request that gets no answer moves on to the pool's other live servers.
 */
export type BalanceMethod = 'failover' | 'round-robin' | 'keyed' | 'client';

/** A pool of home servers. */
export interface PoolConfig {
  name: string;
  /** Names of home servers, in failover order. */
  servers: readonly string[];
  /** Default 'failover'. */
  balance?: BalanceMethod;
  /** The attribute hashed by `keyed` balancing; default Calling-Station-Id. */
  key?: string;
  /** A pool tried when none of this pool's servers is alive. */
  fallback?: string;
}

const BALANCES: readonly string[] = ['failover', 'round-robin', 'keyed', 'client'];

/** FNV-1a of a string: cheap, stable across processes, spreads short keys well enough. */
export function hashKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Tells whether a home server is alive on the port of a kind of request. */
export type HealthCheck = (server: string, kind: ServiceKind) => boolean;

/** One pool: picks the order in which a request tries its home servers. */
export class HomePool {
  readonly name: string;
  readonly servers: readonly string[];
  readonly balance: BalanceMethod;
  readonly key: string;
  readonly fallback: string | undefined;
  private turn = 0;

  constructor(config: PoolConfig, known: ReadonlySet<string>, index: number, file: string) {
    const at = `pools[${index}]`;
    if (typeof config?.name !== 'string' || config.name === '')
      throw new ConfigError(file, `${at}.name`, 'a pool name is required');
    if (!Array.isArray(config.servers) || config.servers.length === 0)
      throw new ConfigError(file, `${at}.servers`, 'a list of home server names is required');
    config.servers.forEach((s, i) => {
      if (!known.has(s))
        throw new ConfigError(file, `${at}.servers[${i}]`, `no home server named ${String(s)}`);
    });
    const balance = config.balance ?? 'failover';
    if (!BALANCES.includes(balance))
      throw new ConfigError(file, `${at}.balance`, `${String(balance)} is not one of ${BALANCES.join(', ')}`);
    this.name = config.name;
    this.servers = [...config.servers];
    this.balance = balance;
    this.key = config.key ?? 'Calling-Station-Id';
    this.fallback = config.fallback;
  }

  /**
   * The live servers a request tries, in order: the balance method's choice first, then the
   * others following it in the list (wrapping).
   */
  order(kind: ServiceKind, alive: HealthCheck, keyValue: string | undefined, nas: string): string[] {
    const list = this.servers;
    const n = list.length;
    let start = 0;
    if (this.balance === 'round-robin') {
      start = this.turn;
      this.turn = (this.turn + 1) % n;
    } else if (this.balance === 'keyed') {
      // Hashed over the whole list, not the live part: a device keeps its server while others fail.
      start = keyValue === undefined ? 0 : hashKey(keyValue) % n;
    } else if (this.balance === 'client') start = hashKey(nas) % n;
    const out: string[] = [];
    for (let k = 0; k < n; k++) {
      const s = list[(start + k) % n];
      if (alive(s, kind)) out.push(s);
    }
    return out;
  }
}

/**
 * The first chain of fallbacks that comes back to the pool it started from, as the pool's index and
 * the names along the ring (`['p', 'q', 'p']`); such a ring only hands requests round, so it is refused.
 */
export function fallbackCycle(
  pools: ReadonlyArray<{ name: string; fallback?: string }>,
): { index: number; chain: string[] } | undefined {
  const fallbackOf = new Map(pools.map((p) => [p.name, p.fallback]));
  for (const [index, p] of pools.entries()) {
    const chain = [p.name];
    let next = p.fallback;
    while (next !== undefined && !chain.includes(next)) {
      chain.push(next);
      next = fallbackOf.get(next);
    }
    if (next === p.name) return { index, chain: [...chain, next] };
  }
  return undefined;
}
