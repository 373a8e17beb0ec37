// `serve --workers N`: the primary process forks N workers (node:cluster) that each run the
// server on the same ports (the UDP sockets are shared; the kernel hands each datagram to one
// worker), forwards SIGTERM/SIGINT/SIGHUP to them, and serves the metrics of all of them summed.
import cluster from 'node:cluster';
import http from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../server/logger.js';
import { isPostgresUrl } from './config.js';

/** Set in a worker's environment, so that it runs the server rather than forking. */
export const WORKER_ENV = 'AIORADIUS_SERVE_WORKER';

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

/** In a worker: the registries the primary aggregates when it is scraped. */
export function reportMetricsTo(registry: Registry): void {
  // Constructing one installs prom-client's listener for the primary's requests (in a worker too).
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/**
 * Runs the primary: forks `workers` workers with the same command line, serves the aggregated
 * metrics on `metrics` when set, and resolves with the exit code once every worker has stopped.
 * A worker that dies while the primary is not stopping is replaced; one that stops before its
 * sockets are bound stops them all, and its exit code is returned.
 */
export async function runPrimary(
  workers: number,
  metrics: { host: string; port: number } | undefined,
  logger: Logger,
): Promise<number> {
  let stopping = false;
  let failed = false;
  cluster.setupPrimary({ args: process.argv.slice(2) });
  const fork = () => cluster.fork({ [WORKER_ENV]: '1' });
  const aggregator = new AggregatorRegistry();
  let srv: http.Server | undefined;
  if (metrics) {
    srv = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
        res.writeHead(404).end();
        return;
      }
      aggregator.clusterMetrics().then(
        (text) => res.writeHead(200, { 'content-type': aggregator.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    const server = srv;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(metrics.port, metrics.host, () => resolve());
    });
  }
  // Forked once the metrics port is ours: a port taken fails the start with no worker running.
  for (let i = 0; i < workers; i++) fork();
  const forward = (signal: NodeJS.Signals) => () => {
    if (signal !== 'SIGHUP') stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  const handlers = (['SIGTERM', 'SIGINT', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  logger.info({ workers, metrics: metrics?.port }, 'aioradius primary started');
  // Workers whose sockets are bound: one that stops before (a database it cannot open, a port
  // taken) would only fail again if replaced, so the whole server stops with its exit code.
  const ready = new Set<number>();
  cluster.on('listening', (worker) => ready.add(worker.id));
  let exitCode = 0;
  await new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
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
      if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
    });
  });
  for (const [s, h] of handlers) process.off(s, h);
  const closing = srv;
  if (closing) {
    closing.closeAllConnections();
    await new Promise((r) => closing.close(() => r(undefined)));
  }
  logger.info({ replaced: failed }, 'aioradius primary stopped');
  return exitCode;
}
