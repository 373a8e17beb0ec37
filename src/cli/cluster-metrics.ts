// `/metrics` of `serve --workers N`: the primary asks every worker for its metrics and sums them.
// A counter must never go down (Prometheus reads a decrease as a restart from zero, and rate()
// then jumps by the whole total): the counters and histograms of a worker that stopped are kept,
// as it last reported them, and added to the sum of the live workers.
import cluster, { type Worker } from 'node:cluster';
import { PendingReplies } from '../cluster/pending-replies.js';
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

interface MetricsMessage {
  aioradiusMetricsRequest?: number;
  aioradiusMetrics?: number;
  metrics?: Metrics;
}

/** A worker that does not answer in this time is summed as it last answered. */
const ANSWER_TIMEOUT_MS = 3000;

/** In a worker: answers the primary's requests with `registry`'s metrics. */
export function answerMetricsRequests(registry: Registry): void {
  process.on('message', (m: unknown) => {
    const n = (m as MetricsMessage | null)?.aioradiusMetricsRequest;
    if (typeof n !== 'number') return;
    registry.getMetricsAsJSON().then(
      (metrics) => process.send?.({ aioradiusMetrics: n, metrics } satisfies MetricsMessage),
      () => process.send?.({ aioradiusMetrics: n } satisfies MetricsMessage),
    );
  });
}

/** In the primary: the metrics of all the workers, summed. */
export class ClusterMetrics {
  private readonly waiting = new PendingReplies<Metrics>();
  /** Each live worker's last answer. */
  private readonly last = new Map<number, Metrics>();
  /** The counters and histograms of the workers that stopped, summed. */
  private departed: Metrics = [];
  private readonly onMessage = (_worker: Worker, m: unknown): void => {
    const message = m as MetricsMessage | null;
    const n = message?.aioradiusMetrics;
    if (typeof n !== 'number') return;
    this.waiting.settle(n, message?.metrics);
  };
  private readonly onExit = (worker: Worker): void => {
    const last = this.last.get(worker.id);
    this.last.delete(worker.id);
    if (!last) return;
    // The type is a string at run time ('counter'), whatever prom-client's declarations say.
    const cumulative = last.filter((m) => ['counter', 'histogram'].includes(m.type as unknown as string));
    this.departed = aggregated([this.departed, cumulative]);
  };

  constructor() {
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
  }

  readonly contentType = new AggregatorRegistry().contentType;

  /** The exposition text: the live workers' metrics (asked now) and the stopped workers' counters. */
  async text(): Promise<string> {
    // Taken first: a worker that answers and then stops meanwhile is in the answers, not in both.
    const departed = this.departed;
    const workers = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => w?.isConnected() === true,
    );
    const answers = await Promise.all(workers.map((w) => this.ask(w)));
    const all = answers.filter((m): m is Metrics => m !== undefined);
    if (departed.length > 0) all.push(departed);
    return AggregatorRegistry.aggregate(all).metrics();
  }

  /** Stops listening. */
  close(): void {
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
    this.waiting.clear();
  }

  /** A worker's metrics now; its last answer if it gives none in time. */
  private async ask(worker: Worker): Promise<Metrics | undefined> {
    const { n, reply } = this.waiting.open(ANSWER_TIMEOUT_MS);
    try {
      worker.send({ aioradiusMetricsRequest: n } satisfies MetricsMessage);
    } catch {
      this.waiting.settle(n, undefined);
    }
    const metrics = await reply;
    if (metrics) this.last.set(worker.id, metrics);
    return metrics ?? this.last.get(worker.id);
  }
}

/** Several sets of metrics as one (each metric summed, or as its `aggregator` says). */
function aggregated(sets: Metrics[]): Metrics {
  // aggregate() returns a registry of plain objects whose get() is synchronous.
  const registry = AggregatorRegistry.aggregate(sets);
  return registry.getMetricsAsArray().map((m) => (m as unknown as { get(): Metrics[number] }).get());
}
