// Prometheus metrics of `aioradius serve`, read from the server's counters at scrape time.
import http from 'node:http';
import type { HomeServerState, HomeServerStatus } from '../proxy/home-health.js';
import type { ClusterLinkCounters } from '../cluster/cluster-link.js';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricType,
  type MetricValueWithName,
  Registry,
} from 'prom-client';
import { bindFailureReason, RadiusError } from '../errors.js';
import type { AbstractRadiusServer } from '../server/abstract-server.js';
import type { CounterName } from '../server/counters.js';

/** Counters that are requests dropped without a reply, by reason label. */
const DROP_REASONS: Partial<Record<CounterName, string>> = {
  malformed: 'malformed',
  badAuthenticators: 'bad_authenticator',
  unknownNas: 'unknown_nas',
  // A retransmission answered from the cache is not a drop (RFC 5080 §2.2.2).
  duplicatesUnanswered: 'duplicate',
  dropped: 'policy',
  handlerErrors: 'handler_error',
  connectionErrors: 'connection_error',
};

const REPLY_CODES: Partial<Record<CounterName, string>> = {
  accepts: 'Access-Accept',
  rejects: 'Access-Reject',
  challenges: 'Access-Challenge',
  accountingResponses: 'Accounting-Response',
};

const ALL_COUNTERS: CounterName[] = [
  'requests',
  'accessRequests',
  'accountingRequests',
  'statusServer',
  'accepts',
  'rejects',
  'challenges',
  'accountingResponses',
  'duplicates',
  'duplicatesUnanswered',
  'malformed',
  'badAuthenticators',
  'dropped',
  'unknownNas',
  'handlerErrors',
  'connectionErrors',
];

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const LATENCY_TYPES = ['auth', 'acct'] as const;
const LATENCY_NAME = 'radius_handler_seconds';
const LATENCY_HELP = 'Time to decide a request (accounting: until the record is committed)';

/**
 * `radius_handler_seconds`, a Prometheus histogram by request type, counted in typed arrays: a
 * request costs a bucket search and three additions (prom-client's own observe() validates and
 * hashes its labels on every call, a cost per request a busy server feels). prom-client still
 * formats and serves it: get() hands it the series as its own histograms do.
 */
export class HandlerHistogram extends Histogram<'type'> {
  // Per type: a count per bucket (the last one is +Inf), then the sum and the count.
  private readonly counts = LATENCY_TYPES.map(() => new Float64Array(LATENCY_BUCKETS.length + 1));
  private readonly sums = new Float64Array(LATENCY_TYPES.length);

  constructor(registry: Registry) {
    super({
      name: LATENCY_NAME,
      help: LATENCY_HELP,
      labelNames: ['type'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  /** Records one request's handler time. */
  record(type: 'auth' | 'acct', seconds: number): void {
    const t = type === 'auth' ? 0 : 1;
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]) b++;
    this.counts[t][b]++;
    this.sums[t] += seconds;
  }

  /**
   * The series in the shape prom-client's histograms hand its registry (its get() and the
   * registry's printer read this; test/cli/metrics-histogram.test.ts checks the output is the same).
   */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: Array<MetricValueWithName<string> & { sharedLabels: { type: string } }> = [];
    LATENCY_TYPES.forEach((type, t) => {
      const counts = this.counts[t];
      let total = 0;
      for (let b = 0; b < counts.length; b++) total += counts[b];
      if (total === 0) return;
      const sharedLabels = { type };
      let cumulative = 0;
      for (let b = 0; b < counts.length; b++) {
        cumulative += counts[b];
        const le = b < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[b] : '+Inf';
        const labels = { le };
        values.push({ labels, sharedLabels, value: cumulative, metricName: `${LATENCY_NAME}_bucket` });
      }
      values.push({ labels: {}, sharedLabels, value: this.sums[t], metricName: `${LATENCY_NAME}_sum` });
      values.push({ labels: {}, sharedLabels, value: total, metricName: `${LATENCY_NAME}_count` });
    });
    return {
      name: LATENCY_NAME,
      help: LATENCY_HELP,
      // The typings declare a numeric enum; prom-client itself uses this string.
      type: 'histogram' as unknown as MetricType,
      values,
      aggregator: 'sum',
      collect: () => {},
    };
  }
}

/** What a server's metrics read besides the server's own counters; each is optional. */
export interface MetricSources {
  /** Depth of the proxy's accounting queue. */
  queueDepth?: () => number | undefined;
  /** The proxy's home servers. */
  homeServers?: () => readonly HomeServerStatus[];
  /** The cluster link's counters. */
  cluster?: () => ClusterLinkCounters;
}

const HOME_STATES: readonly HomeServerState[] = ['alive', 'zombie', 'dead'];

/** The metrics of one server: a registry, a latency histogram to feed, and an HTTP endpoint. */
export class ServeMetrics {
  readonly registry = new Registry();
  /** Handler time in seconds, by request type (auth, acct), including the commit of accounting. */
  readonly latency: HandlerHistogram;
  private httpServer: http.Server | undefined;

  constructor(
    server: AbstractRadiusServer,
    nasName: (address: string) => string | undefined,
    sources: MetricSources = {},
  ) {
    const { queueDepth, homeServers, cluster } = sources;
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });
    // Server counters are totals kept by the server: each scrape copies them.
    new Counter({
      name: 'radius_requests_total',
      help: 'RADIUS requests received, by type',
      labelNames: ['type'],
      registers: [registry],
      collect() {
        const c = server.counters;
        this.reset();
        this.inc({ type: 'all' }, c.requests);
        this.inc({ type: 'access' }, c.accessRequests);
        this.inc({ type: 'accounting' }, c.accountingRequests);
        this.inc({ type: 'status' }, c.statusServer);
      },
    });
    new Counter({
      name: 'radius_replies_total',
      help: 'RADIUS replies sent, by code',
      labelNames: ['code'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [k, code] of Object.entries(REPLY_CODES)) {
          this.inc({ code }, server.counters[k as CounterName]);
        }
      },
    });
    new Counter({
      name: 'radius_drops_total',
      help: 'RADIUS requests not answered, by reason',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        const c = server.counters;
        for (const [k, reason] of Object.entries(DROP_REASONS)) {
          // The server's `dropped` includes failed handlers, which have a reason of their own.
          const n = k === 'dropped' ? c.dropped - c.handlerErrors : c[k as CounterName];
          this.inc({ reason }, Math.max(0, n));
        }
      },
    });
    new Counter({
      name: 'radius_socket_errors_total',
      help: "Errors on the server's sockets after binding",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(server.counters.socketErrors);
      },
    });
    new Counter({
      name: 'radius_nas_counter_total',
      help: 'Per-NAS server counters (counter label: requests, accepts, rejects, ...)',
      labelNames: ['nas', 'name', 'counter'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { address, counters } of server.nasList()) {
          const name = nasName(address) ?? '';
          for (const counter of ALL_COUNTERS) {
            if (counters[counter] > 0) this.inc({ nas: address, name, counter }, counters[counter]);
          }
        }
      },
    });
    if (queueDepth !== undefined)
      new Gauge({
        name: 'radius_proxy_accounting_queue_depth',
        help: 'Accounting-Requests acknowledged to NASes and not yet acknowledged by a home server',
        registers: [registry],
        collect() {
          this.set(queueDepth() ?? 0);
        },
      });
    if (homeServers !== undefined) {
      // One series per state, 1 for the current one (the Prometheus way of showing an enum).
      new Gauge({
        name: 'radius_proxy_home_server_state',
        help: "Home servers' state per port: alive, zombie (stopped answering, probed) or dead",
        labelNames: ['server', 'kind', 'state'],
        registers: [registry],
        collect() {
          this.reset();
          for (const s of homeServers())
            for (const state of HOME_STATES)
              this.set({ server: s.name, kind: s.kind, state }, s.state === state ? 1 : 0);
        },
      });
      new Gauge({
        name: 'radius_proxy_home_server_in_flight',
        help: 'Requests forwarded to a home server and not answered yet (its window is the most)',
        labelNames: ['server'],
        registers: [registry],
        collect() {
          this.reset();
          for (const s of homeServers()) if (s.kind === 'auth') this.set({ server: s.name }, s.inFlight);
        },
      });
      new Counter({
        name: 'radius_proxy_home_server_invalid_replies_total',
        help: 'Replies from a home server dropped because they failed verification (a shared secret not the same on both sides?)',
        labelNames: ['server', 'kind'],
        registers: [registry],
        collect() {
          this.reset();
          for (const s of homeServers()) this.inc({ server: s.name, kind: s.kind }, s.invalidReplies);
        },
      });
    }
    if (cluster !== undefined)
      new Counter({
        name: 'radius_cluster_requests_total',
        help: 'Requests between instances (EAP rounds to the instance that owns them), by event',
        labelNames: ['event'],
        registers: [registry],
        collect() {
          const c = cluster();
          this.reset();
          this.inc({ event: 'forwarded' }, c.forwarded);
          this.inc({ event: 'answered' }, c.answered);
          this.inc({ event: 'timed_out' }, c.timedOut);
          this.inc({ event: 'received' }, c.received);
          this.inc({ event: 'refused' }, c.refused);
        },
      });
    this.latency = new HandlerHistogram(registry);
  }

  /** Serves `/metrics` on host:port; resolves with the bound port. */
  async listen(host: string, port: number): Promise<number> {
    const registry = this.registry;
    const { server, port: bound } = await listenMetrics(
      host,
      port,
      () => registry.metrics(),
      registry.contentType,
    );
    this.httpServer = server;
    return bound;
  }

  /** Stops the HTTP endpoint. */
  close(): Promise<void> {
    const srv = this.httpServer;
    this.httpServer = undefined;
    if (!srv) return Promise.resolve();
    srv.closeAllConnections();
    return new Promise((resolve) => srv.close(() => resolve()));
  }
}

/**
 * An HTTP server answering GET /metrics (and /) with `text()`, listening on host:port; a port it
 * cannot take rejects with an error that says it is the metrics endpoint's.
 */
export function listenMetrics(
  host: string,
  port: number,
  text: () => Promise<string>,
  contentType: string,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404).end();
      return;
    }
    text().then(
      (body) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const failed = (err: unknown) =>
      reject(
        new RadiusError(
          `metrics: cannot listen on HTTP ${where}: ${bindFailureReason(err)}`,
          'ERR_RADIUS_BIND',
          {
            cause: err,
          },
        ),
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : port });
    });
  });
}
