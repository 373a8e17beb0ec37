// `serve`'s cluster: the link on which instances (and the workers of `--workers N`) hand each
// other the EAP rounds of conversations they own, and how they find each other: the config's
// `cluster.peers`, the Redis of `sharedState` (each instance registers its address there), and,
// between the workers of one primary, the primary itself (over node:cluster's IPC channel).
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { ClusterLink, type PeerDirectory } from '../cluster/cluster-link.js';
import { routeEapRound } from '../cluster/eap-routing.js';
import { hostSiblingTlsSessions, SiblingTlsSessions } from '../cluster/sibling-tls-sessions.js';
import type { EapServer } from '../eap/eap-server.js';
import type { HandlerTuple, RequestContext } from '../server/abstract-server.js';
import type { Logger } from '../server/logger.js';
import { RedisPeerRegistry } from '../store/redis-eap-state.js';
import type { RedisSharedState } from '../store/redis-shared-state.js';
import type { ServeConfig } from './config.js';
import { isServeWorker } from './serve-workers.js';

/** The cluster key the primary gives its workers when the config names none. */
const KEY_ENV = 'AIORADIUS_CLUSTER_KEY';
const REGISTRATION_TTL_MS = 30_000;
const REGISTRATION_EVERY_MS = 10_000;

interface PeerMessage {
  aioradiusClusterPeers?: string[];
  aioradiusClusterLink?: string;
}

/** Instances known from the config, from the primary, and from Redis (looked up, then cached briefly). */
class ServePeers implements PeerDirectory {
  /** The workers of this primary (sent by it). */
  siblings = new Set<string>();
  private readonly cache = new Map<string, { ok: boolean; until: number }>();

  constructor(
    private readonly configured: ReadonlySet<string>,
    private readonly registry: RedisPeerRegistry | undefined,
  ) {}

  async isPeer(address: string): Promise<boolean> {
    if (this.configured.has(address) || this.siblings.has(address)) return true;
    if (!this.registry) return false;
    const now = Date.now();
    const cached = this.cache.get(address);
    if (cached && cached.until > now) return cached.ok;
    let ok: boolean;
    try {
      ok = await this.registry.has(address);
    } catch {
      // Redis down: an instance known before the outage stays known.
      return cached?.ok ?? false;
    }
    if (this.cache.size > 1024) this.cache.clear();
    this.cache.set(address, { ok, until: now + (ok ? REGISTRATION_EVERY_MS : 1000) });
    return ok;
  }
}

/** This instance's part of the cluster. */
export class ServeCluster {
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onMessage: ((m: unknown) => void) | undefined;
  /**
   * In a worker of `--workers N`: the TLS sessions of all the workers, kept by the primary, so that
   * a peer resumes whichever worker its next login reaches (Redis, when configured, does this too).
   */
  readonly tlsSessions: SiblingTlsSessions | undefined;

  private constructor(
    readonly link: ClusterLink,
    private readonly peers: ServePeers,
    private readonly registry: RedisPeerRegistry | undefined,
    private readonly logger: Logger,
    shared: RedisSharedState | undefined,
  ) {
    if (registry && shared) {
      const register = () => registry.register(link.address, REGISTRATION_TTL_MS).catch(() => undefined);
      // Registered as soon as Redis is there, then renewed: an instance that stops is forgotten.
      void shared.ready.then(register);
      this.timer = setInterval(register, REGISTRATION_EVERY_MS);
      this.timer.unref();
    }
    if (isServeWorker()) {
      this.onMessage = (m: unknown) => {
        const list = (m as PeerMessage | null)?.aioradiusClusterPeers;
        if (Array.isArray(list)) this.peers.siblings = new Set(list);
      };
      process.on('message', this.onMessage);
      process.send?.({ aioradiusClusterLink: link.address } satisfies PeerMessage);
      this.tlsSessions = new SiblingTlsSessions();
    }
  }

  /**
   * Opens the link when this process needs one: EAP is on, and a `cluster` section or the primary
   * of `--workers` says there are other instances. Undefined otherwise.
   */
  static async open(
    config: ServeConfig,
    shared: RedisSharedState | undefined,
    logger: Logger,
  ): Promise<ServeCluster | undefined> {
    const worker = isServeWorker();
    if (config.cluster && !config.eap) logger.warn('cluster: no eap section, so no EAP round to hand over');
    if (!config.eap || (!config.cluster && !worker)) return undefined;
    const keyText = config.cluster?.key ?? process.env[KEY_ENV];
    if (!keyText) return undefined;
    let listen = config.cluster?.listen ?? '127.0.0.1:0';
    // Workers of one primary share the config: each takes a port of its own.
    if (worker) listen = listen.replace(/:\d+$/, ':0');
    const registry = shared ? new RedisPeerRegistry(shared) : undefined;
    const peers = new ServePeers(new Set(config.cluster?.peers ?? []), registry);
    const link = await ClusterLink.open({ key: Buffer.from(keyText, 'utf8'), listen, peers, logger });
    logger.info(
      { cluster: link.address, peers: config.cluster?.peers.length ?? 0 },
      'cluster link listening',
    );
    return new ServeCluster(link, peers, registry, logger, shared);
  }

  /** The owner's answer when this round belongs to another instance (see routeEapRound). */
  async route(eap: EapServer, context: RequestContext): Promise<HandlerTuple<number> | undefined> {
    const before = this.link.counters.forwarded;
    const result = await routeEapRound(this.link, eap, context);
    if (this.link.counters.forwarded !== before)
      this.logger.debug({ nas: context.remote.address }, 'EAP round answered by the instance that owns it');
    return result;
  }

  /** Leaves the cluster: unregistered, link closed. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.onMessage) process.off('message', this.onMessage);
    this.tlsSessions?.close();
    await this.registry?.unregister(this.link.address).catch(() => undefined);
    await this.link.close();
  }
}

/**
 * In the primary, before it forks: gives the workers a cluster key of this run (through their
 * environment, unless the config names one), tells every worker the cluster addresses of all
 * of them, each time one opens its link or dies, and keeps their TLS sessions.
 */
export function prepareWorkerCluster(): void {
  process.env[KEY_ENV] ??= randomBytes(32).toString('base64');
  hostSiblingTlsSessions();
  const links = new Map<number, string>();
  const broadcast = () => {
    const peers = [...links.values()];
    for (const w of Object.values(cluster.workers ?? {})) {
      if (w?.isConnected()) w.send({ aioradiusClusterPeers: peers } satisfies PeerMessage);
    }
  };
  cluster.on('message', (worker: Worker, message: unknown) => {
    const address = (message as PeerMessage | null)?.aioradiusClusterLink;
    if (typeof address !== 'string') return;
    links.set(worker.id, address);
    broadcast();
  });
  cluster.on('exit', (worker: Worker) => {
    if (links.delete(worker.id)) broadcast();
  });
}
