// `serve --workers N`: the primary process forks N workers (node:cluster) that each run the
// server on the same ports (the UDP sockets are shared; the kernel hands each datagram to one
// worker), forwards SIGTERM/SIGINT/SIGHUP to them, and serves the metrics of all of them summed.
import cluster, { type Worker } from 'node:cluster';
import type http from 'node:http';
import type { Registry } from 'prom-client';
import { answerMetricsRequests, ClusterMetrics } from './cluster-metrics.js';
import { listenMetrics } from './metrics.js';
import type { Logger } from '../server/logger.js';
import { isPostgresUrl } from './config.js';

/** Set in a worker's environment, so that it runs the server rather than forking. */
export const WORKER_ENV = 'AIORADIUS_SERVE_WORKER';

/**
 * The config texts the primary gives each worker it forks: what the server started with, and the
 * last text a SIGHUP found valid. A worker starts from the first and reloads the second, as the
 * workers already running did: one that replaces a dead worker then runs what they run, whatever
 * the file holds now (an edit in progress, a section that changed and waits for a restart).
 */
export interface ConfigTexts {
  start: string;
  running: string;
}

/** A worker's request for the config texts, and the primary's answer. */
interface ConfigMessage {
  aioradiusConfigRequest?: true;
  aioradiusConfig?: ConfigTexts;
}

/** Seconds before a replacement that could not start is tried again: doubled each time, up to this. */
const MAX_RETRY_SECONDS = 30;

/**
 * In a worker: the config texts of the primary (undefined when it sends none within `timeoutMs`,
 * or this process is no worker of ours).
 */
export function configFromPrimary(timeoutMs = 10_000): Promise<ConfigTexts | undefined> {
  if (!isServeWorker() || !process.send) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const done = (texts: ConfigTexts | undefined) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(texts);
    };
    const onMessage = (m: unknown) => {
      const texts = (m as ConfigMessage | null)?.aioradiusConfig;
      if (typeof texts?.start === 'string' && typeof texts.running === 'string') done(texts);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    // Asked for, not pushed: a message that came before this listener would be lost.
    process.on('message', onMessage);
    process.send?.({ aioradiusConfigRequest: true } satisfies ConfigMessage);
  });
}

/**
 * How many processes `serve` runs when `--workers` is not given: one per core (the default),
 * except with a SQLite database. SQLite has one writer: workers would take turns on its lock, each
 * with its own group commit (measured at half the accounting rate of one process, bench/README.md),
 * so one process serves and writes; `--workers N` still forks N when asked. One core: one process.
 */
export function defaultWorkers(database: string, cores: number): { workers: number; reason: string } {
  if (cores <= 1) return { workers: 1, reason: 'one core' };
  if (!isPostgresUrl(database))
    return { workers: 1, reason: 'SQLite has one writer: one process (PostgreSQL or --workers N for more)' };
  return { workers: cores, reason: 'one per core' };
}

/** True in a worker forked by {@link runPrimary}. */
export function isServeWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_ENV] === '1';
}

/** In a worker: the registry the primary sums when it is scraped. */
export function reportMetricsTo(registry: Registry): void {
  answerMetricsRequests(registry);
}

/** What the primary does beside forking. */
export interface PrimaryOptions {
  /** The config texts each worker asks for (see ConfigTexts); none: workers read the file. */
  config?: ConfigTexts;
  /** Called on SIGHUP before it is passed on to the workers (to check the file again). */
  onHangup?: () => void;
}

/**
 * Runs the primary: forks `workers` workers with the same command line, serves the aggregated
 * metrics on `metrics` when set, and resolves with the exit code once every worker has stopped.
 * A worker that dies while the primary is not stopping is replaced. One that stops before its
 * sockets are bound stops them all while the server is starting (its exit code is returned);
 * once every worker has been ready, such a replacement is tried again later (a database that is
 * down for a while), the other workers serving meanwhile.
 */
export async function runPrimary(
  workers: number,
  metrics: { host: string; port: number } | undefined,
  logger: Logger,
  options: PrimaryOptions = {},
): Promise<number> {
  let stopping = false;
  let failed = false;
  cluster.setupPrimary({ args: process.argv.slice(2) });
  const fork = () => cluster.fork({ [WORKER_ENV]: '1' });
  const aggregator = new ClusterMetrics();
  let srv: http.Server | undefined;
  if (metrics) {
    srv = (await listenMetrics(metrics.host, metrics.port, () => aggregator.text(), aggregator.contentType))
      .server;
  }
  const onConfigRequest = (worker: Worker, m: unknown) => {
    if ((m as ConfigMessage | null)?.aioradiusConfigRequest && options.config && worker.isConnected())
      worker.send({ aioradiusConfig: options.config } satisfies ConfigMessage);
  };
  cluster.on('message', onConfigRequest);
  // Forked once the metrics port is ours: a port taken fails the start with no worker running.
  // One first, the others once it listens: a new database is then set up by one process (SQLite
  // changes its journal under an exclusive lock) and a bad config fails once.
  fork();
  let forkedAll = workers <= 1;
  let retry: NodeJS.Timeout | undefined;
  let retrySeconds = 1;
  const alive = () => Object.keys(cluster.workers ?? {}).length;
  // Resolves the wait below once stopping with no worker left.
  let stopped = () => {};
  const forward = (signal: NodeJS.Signals) => () => {
    if (signal === 'SIGHUP') options.onHangup?.();
    else {
      stopping = true;
      clearTimeout(retry);
      // No worker to wait for (the last replacement could not start, the next try is cancelled).
      if (alive() === 0) stopped();
    }
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  logger.info({ workers, metrics: metrics?.port }, 'aioradius primary started');
  // Workers whose sockets are bound: one that stops before (a database it cannot open, a port
  // taken) would only fail again if replaced, so the whole server stops with its exit code.
  const ready = new Set<number>();
  // Whether every worker of the start has been ready: from then on the server is up.
  let started = false;
  cluster.on('listening', (worker) => {
    ready.add(worker.id);
    if (!forkedAll && !stopping) {
      forkedAll = true;
      for (let i = 1; i < workers; i++) fork();
    }
    if (ready.size >= workers) started = true;
    retrySeconds = 1;
  });
  let exitCode = 0;
  await new Promise<void>((resolve) => {
    stopped = resolve;
    cluster.on('exit', (worker, code, signal) => {
      if (!stopping && started && !ready.has(worker.id)) {
        // A replacement that could not start (its log says why): the others keep serving.
        logger.error(
          { worker: worker.process.pid, code, signal, retryIn: retrySeconds },
          'a replacement worker could not start: trying again',
        );
        failed = true;
        retry = setTimeout(() => {
          if (!stopping) fork();
        }, retrySeconds * 1000);
        retrySeconds = Math.min(MAX_RETRY_SECONDS, retrySeconds * 2);
        return;
      }
      if (!stopping && !ready.has(worker.id)) {
        stopping = true;
        exitCode = code || 1;
        logger.error(
          { worker: worker.process.pid, code, signal },
          'a worker stopped before it was ready: stopping',
        );
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      } else if (!stopping) {
        failed = true;
        logger.error({ worker: worker.process.pid, code, signal }, 'worker died: starting another');
        fork();
        return;
      }
      if (alive() === 0) resolve();
    });
  });
  for (const [s, h] of handlers) process.off(s, h);
  cluster.off('message', onConfigRequest);
  aggregator.close();
  const closing = srv;
  if (closing) {
    closing.closeAllConnections();
    await new Promise((r) => closing.close(() => r(undefined)));
  }
  logger.info({ replaced: failed }, 'aioradius primary stopped');
  return exitCode;
}
