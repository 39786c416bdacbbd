import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Live and deleted documents per collection, counted when the metrics are read. */
export type DocumentCounter = () => Promise<readonly { collection: string; deleted: boolean; count: number }[]>;

/**
 * The server's Prometheus metrics, on a registry of its own so that several servers in one
 * process (tests, or an app embedding two) never clash. `countDocuments` feeds the
 * `brain_store_documents` gauge (what `brain-store status` shows) at each scrape.
 */
export function createServerMetrics(countDocuments?: DocumentCounter) {
  const registry = new Registry();
  const registers = [registry];
  // The process's own figures (CPU, memory, event-loop lag, handles, GC) beside brain-store's.
  collectDefaultMetrics({ register: registry });
  if (countDocuments) {
    new Gauge({
      name: 'brain_store_documents',
      help: 'Documents stored, per collection (state: live or deleted)',
      labelNames: ['collection', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const { collection, deleted, count } of await countDocuments()) {
          this.set({ collection, state: deleted ? 'deleted' : 'live' }, count);
        }
      },
    });
  }
  return {
    registry,
    pushes: new Counter({ name: 'brain_store_pushes_total', help: 'Push requests handled', labelNames: ['collection'], registers }),
    pushRows: new Counter({
      name: 'brain_store_push_rows_total',
      help: 'Push rows by outcome (written, unchanged, conflict, rejected)',
      labelNames: ['collection', 'outcome'],
      registers,
    }),
    pulls: new Counter({ name: 'brain_store_pulls_total', help: 'Pull requests handled', labelNames: ['collection'], registers }),
    pulledDocuments: new Counter({
      name: 'brain_store_pulled_documents_total',
      help: 'Documents returned by pulls',
      labelNames: ['collection'],
      registers,
    }),
    conflicts: new Counter({
      name: 'brain_store_conflicts_total',
      help: 'Push rows answered with a conflict',
      labelNames: ['collection'],
      registers,
    }),
    rejected: new Counter({
      name: 'brain_store_rejected_rows_total',
      help: 'Push rows refused',
      labelNames: ['collection', 'code'],
      registers,
    }),
    streamClients: new Gauge({ name: 'brain_store_stream_clients', help: 'Open change streams', registers }),
    expired: new Counter({ name: 'brain_store_expired_actions_total', help: 'Actions the server expired', registers }),
    purged: new Counter({
      name: 'brain_store_purged_documents_total',
      help: 'Documents purged by retention',
      labelNames: ['kind'],
      registers,
    }),
    latency: new Histogram({
      name: 'brain_store_http_request_duration_seconds',
      help: 'HTTP request latency (streams: time to open)',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
  };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
