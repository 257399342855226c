import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type CallbackOutcome =
  | 'enqueued'
  | 'ignored'
  | 'forbidden'
  | 'invalid'
  | 'unavailable'
  | 'unreplicated';

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
      help: 'Time for Redis to acknowledge an archive job, including the wait for replicas when they are required.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    replicaWaits: new Counter({
      name: 'rv_ingest_replica_waits_total',
      help: 'Waits for replicas to acknowledge an archive job (WAIT), by outcome: replicated (the callback is acknowledged), timeout (fewer replicas than required in time), failed (no answer, or the connection changed).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    replicaWaitSeconds: new Histogram({
      name: 'rv_ingest_replica_wait_duration_seconds',
      help: 'Time from Redis holding an archive job to the replicas required acknowledging it (or the wait giving up): what a replicated acknowledgement adds to a callback.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    replicasRequired: new Gauge({
      name: 'rv_ingest_replicas_required',
      help: 'Replicas an archive job must reach before its callback is acknowledged (INGEST_MIN_REPLICAS, or learned from the primary when unset).',
      registers: [registry],
    }),
  };
}
