import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export type CallbackOutcome = 'enqueued' | 'ignored' | 'forbidden' | 'invalid' | 'unavailable';

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

export function createIngestMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rv_ingest_' });
  return {
    registry,
    callbacks: new Counter({
      name: 'rv_ingest_callbacks_total',
      help: 'Recording status callbacks received, by recording status and outcome.',
      labelNames: ['status', 'outcome'] as const,
      registers: [registry],
    }),
    enqueueSeconds: new Histogram({
      name: 'rv_ingest_enqueue_duration_seconds',
      help: 'Time for Redis to acknowledge an archive job.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}
