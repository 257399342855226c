import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hasBearerToken } from '@recording-vault/lifecycle';
import type { WindowState } from '@recording-vault/twilio';
import type { Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;

export function createWorkerMetrics(queues: Queue[] = []) {
  const registry = new Registry();
  /** Where the accounts' request windows are read from, once they exist. */
  const windows: { read?: () => Promise<WindowState[]> } = {};
  // The three window gauges are collected one after another at a scrape: one read of Redis serves them.
  let lastRead: { at: number; states: Promise<WindowState[]> } | undefined;
  const readWindows = (): Promise<WindowState[]> => {
    if (!windows.read) return Promise.resolve([]);
    if (!lastRead || Date.now() - lastRead.at > 1_000) lastRead = { at: Date.now(), states: windows.read() };
    return lastRead.states;
  };
  const windowGauge = (name: string, help: string, value: (state: WindowState) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['account'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const state of await readWindows()) {
          const measured = value(state);
          if (measured !== null) this.set({ account: state.accountSid }, measured);
        }
      },
    });
  windowGauge(
    'rv_worker_twilio_window',
    'Twilio requests an account may have in flight now, across every worker (its adaptive window).',
    (state) => state.window,
  );
  windowGauge(
    'rv_worker_twilio_in_flight',
    'Twilio requests of an account in flight now, across every worker.',
    (state) => state.inFlight,
  );
  windowGauge(
    'rv_worker_twilio_limit',
    'The concurrency limit Twilio last showed for an account with a 429 (absent until one).',
    (state) => state.limit,
  );
  collectDefaultMetrics({ register: registry, prefix: 'rv_worker_' });
  const registers = [registry];
  const queueJobs = new Gauge({
    name: 'rv_worker_queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'failed',
          'completed',
          'prioritized',
        );
        for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
      }
    },
  });
  const oldestWaiting = new Gauge({
    name: 'rv_worker_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in each queue (0 when none waits).',
    labelNames: ['queue'] as const,
    registers,
    async collect() {
      for (const queue of queues) {
        const [oldest] = await queue.getWaiting(-1, -1);
        this.set({ queue: queue.name }, oldest ? (Date.now() - oldest.timestamp) / 1000 : 0);
      }
    },
  });
  return {
    registry,
    windows,
    /** Queues whose depth is reported; filled in once the workers exist. */
    queues,
    queueJobs,
    oldestWaiting,
    recordings: new Counter({
      name: 'rv_worker_recordings_total',
      help: 'Recordings finished by this worker, by outcome (archived, already-archived, skipped, failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    failures: new Counter({
      name: 'rv_worker_failures_total',
      help: 'Failed attempts, by what was decided (retry, fail, rate-limit, later) and the error type.',
      labelNames: ['action', 'error'] as const,
      registers,
    }),
    bytes: new Counter({ name: 'rv_worker_archived_bytes_total', help: 'Bytes stored.', registers }),
    steps: new Histogram({
      name: 'rv_worker_step_duration_seconds',
      help: 'Time spent in each step of the archive pipeline.',
      labelNames: ['step'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600],
      registers,
    }),
    copyProofs: new Counter({
      name: 'rv_worker_copy_proofs_total',
      help: 'Stored copies proved before a delete at Twilio, by how (etag: a HEAD showed the digest the storage server computed; read-back) and outcome.',
      labelNames: ['method', 'outcome'] as const,
      registers,
    }),
    readBackBytes: new Counter({
      name: 'rv_worker_read_back_bytes_total',
      help: 'Bytes read back from storage to prove copies (none when the ETag proves them).',
      registers,
    }),
    scrubChecked: new Counter({
      name: 'rv_worker_scrub_checked_total',
      help: 'Archived copies the scheduled scrub read back and checked against their record.',
      registers,
    }),
    scrubProblems: new Counter({
      name: 'rv_worker_scrub_problems_total',
      help: 'Archived copies the scheduled scrub found missing, corrupt, unreadable or without sidecar, by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    twilioLimited: new Counter({
      name: 'rv_worker_twilio_rate_limited_total',
      help: 'Twilio requests of this worker answered 429 (the account at its concurrency limit), by account.',
      labelNames: ['account'] as const,
      registers,
    }),
    twilioResponses: new Counter({
      name: 'rv_worker_twilio_responses_total',
      help: 'Responses from Twilio by request kind and HTTP status (error: no response).',
      labelNames: ['kind', 'status'] as const,
      registers,
    }),
  };
}

/**
 * /metrics for Prometheus and /healthz for the orchestrator, on their own small server. With a `token`,
 * /metrics requires `Authorization: Bearer <token>`; /healthz stays open for the orchestrator.
 */
export function serveMetrics(
  metrics: WorkerMetrics,
  isHealthy: () => boolean,
  { token }: { token?: string | undefined } = {},
): Server {
  return createServer(async (req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      if (token !== undefined && !hasBearerToken(req.headers.authorization, token)) {
        res.writeHead(401, {
          'content-type': 'application/json',
          'www-authenticate': 'Bearer realm="metrics"',
        });
        res.end('{"error":"bearer token required"}');
        return;
      }
      try {
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
      } catch {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('metrics unavailable: redis unreachable\n');
      }
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      const healthy = isHealthy();
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: healthy ? 'ok' : 'stopping' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  });
}

/**
 * Several workers on one host with the same environment all run: when WORKER_METRICS_PORT is taken (most
 * likely by another worker), this one serves /metrics and /healthz on a free port and says which, once.
 */
export async function listenForMetrics(
  server: Server,
  port: number,
  host: string,
  log: { warn(details: object, message: string): void },
): Promise<void> {
  try {
    await listen(server, port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    await listen(server, 0, host);
    const instead = (server.address() as AddressInfo).port;
    log.warn(
      { port, instead },
      `WORKER_METRICS_PORT ${port} is in use (another worker on this host?): metrics and /healthz on port ${instead} instead`,
    );
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
