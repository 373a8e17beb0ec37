// Prometheus metrics of `aioradius serve`, read from the server's counters at scrape time.
import http from 'node:http';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { AbstractRadiusServer } from '../server/abstract-server.js';
import type { CounterName } from '../server/counters.js';

/** Counters that are requests dropped without a reply, by reason label. */
const DROP_REASONS: Partial<Record<CounterName, string>> = {
  malformed: 'malformed',
  badAuthenticators: 'bad_authenticator',
  unknownNas: 'unknown_nas',
  duplicates: 'duplicate',
  dropped: 'policy',
  handlerErrors: 'handler_error',
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
  'malformed',
  'badAuthenticators',
  'dropped',
  'unknownNas',
  'handlerErrors',
];

/** The metrics of one server: a registry, a latency histogram to feed, and an HTTP endpoint. */
export class ServeMetrics {
  readonly registry = new Registry();
  /** Handler time in seconds, by request type (auth, acct), including the commit of accounting. */
  readonly latency: Histogram<'type'>;
  private httpServer: http.Server | undefined;

  constructor(server: AbstractRadiusServer, nasName: (address: string) => string | undefined) {
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
        for (const [k, reason] of Object.entries(DROP_REASONS)) {
          this.inc({ reason }, server.counters[k as CounterName]);
        }
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
    this.latency = new Histogram({
      name: 'radius_handler_seconds',
      help: 'Time to decide a request (accounting: until the record is committed)',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  /** Serves `/metrics` on host:port; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const srv = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    this.httpServer = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, host, () => {
        srv.off('error', reject);
        const addr = srv.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
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
