import { randomUUID } from 'node:crypto';
import { metricsEndpoint, withinTime } from '@recording-vault/lifecycle';
import type { Logger } from '@recording-vault/logger';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { EnqueueArchive } from './archive-enqueuer.ts';
import type { IngestMetrics } from './metrics.ts';
import { type CallbackOutcome, createRecordingStatusHandler } from './recording-status-handler.ts';

export const callbackPath = '/twilio/recording-status';

export interface IngestDeps {
  logger: Logger;
  metrics: IngestMetrics;
  /** The origin (and any path prefix) Twilio calls; signatures are checked against it, never the Host header. */
  publicBaseUrl: string;
  /** Accepted auth tokens per configured account. */
  tokensByAccount: ReadonlyMap<string, readonly string[]>;
  enqueueArchive: EnqueueArchive;
  isQueueReady(): Promise<boolean>;
  /** How long /readyz waits for `isQueueReady` before answering 503 (default 800 ms, inside a 1 s probe). */
  readyTimeoutMs?: number;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`; unset leaves it open. */
  metricsToken?: string | undefined;
  /** Express `trust proxy`: only affects the client address in logs. */
  trustProxy?: boolean | number | string;
}

const maxBodyBytes = 64 * 1024;

export function createIngestApp(deps: IngestDeps): express.Express {
  const { logger, metrics } = deps;
  const handleRecordingStatus = createRecordingStatusHandler(deps);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? 'loopback');

  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Method, path and address only: headers carry the signature, bodies carry nothing logs need.
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url, remoteAddress: req.remoteAddress }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      // One line per callback: the request line carries what became of it (see `callbackFacts`).
      customSuccessObject: (_req, res, value) => ({ ...value, ...(res as express.Response).locals.callback }),
    }),
  );

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    // A stalled Redis keeps the connection open and never answers the PING: the probe must answer anyway.
    const ready = await withinTime(deps.isQueueReady(), deps.readyTimeoutMs ?? 800);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'redis unavailable' });
  });

  app.get('/metrics', metricsEndpoint(deps.metrics.registry, deps.metricsToken));

  const formOnly: RequestHandler = (req, res, next) => {
    if (!req.is('application/x-www-form-urlencoded')) {
      res.status(415).json({ error: 'expected application/x-www-form-urlencoded' });
      return;
    }
    next();
  };

  app.post(
    callbackPath,
    formOnly,
    express.urlencoded({ extended: false, limit: maxBodyBytes, parameterLimit: 200 }),
    async (req, res) => {
      const params: Record<string, unknown> = req.body ?? {};
      const outcome = await handleRecordingStatus({
        params,
        signature: req.get('x-twilio-signature'),
        url: deps.publicBaseUrl + req.originalUrl,
        log: req.log,
      });
      const status =
        typeof params.RecordingStatus === 'string' ? params.RecordingStatus.slice(0, 32) : 'unknown';
      answerCallback(outcome, status, req.log, res);
    },
  );

  /** The outcome as an HTTP answer, a metric and (with pino-http's request line) a log line. */
  function answerCallback(
    outcome: CallbackOutcome,
    status: string,
    log: Logger,
    res: express.Response,
  ): void {
    switch (outcome.kind) {
      case 'refused':
        // One answer whatever the cause, so that a prober cannot tell which account SIDs are configured.
        metrics.callbacks.inc({ status: 'unknown', outcome: 'forbidden' });
        log.warn({ accountSid: outcome.accountSid, reason: outcome.cause }, 'callback refused');
        res.status(403).json({ error: 'signature check failed' });
        return;
      case 'invalid':
        metrics.callbacks.inc({ status: 'unknown', outcome: 'invalid' });
        log.warn({ field: outcome.field, reason: outcome.reason }, 'callback invalid');
        res.status(400).json({ error: 'invalid callback', field: outcome.field, reason: outcome.reason });
        return;
      case 'ignored':
        metrics.callbacks.inc({ status, outcome: 'ignored' });
        res.locals.callback = { ...outcome.facts, outcome: 'ignored: nothing to archive' };
        res.status(204).end();
        return;
      case 'unavailable':
        metrics.callbacks.inc({ status, outcome: 'unavailable' });
        log.error({ ...outcome.facts, err: outcome.error }, 'callback not acknowledged: queue unavailable');
        res.status(503).set('Retry-After', '5').json({ error: 'queue unavailable, try again' });
        return;
      case 'unreplicated':
        metrics.callbacks.inc({ status, outcome: 'unreplicated' });
        log.error(
          { ...outcome.facts, reason: outcome.error.message },
          'callback not acknowledged: its job has not reached the replicas required',
        );
        res.status(503).set('Retry-After', '5').json({ error: 'job not replicated yet, try again' });
        return;
      case 'enqueued':
        metrics.enqueueSeconds.observe(outcome.enqueueSeconds);
        metrics.callbacks.inc({ status, outcome: 'enqueued' });
        res.locals.callback = { ...outcome.facts, outcome: 'archive job enqueued' };
        res.status(204).end();
        return;
    }
  }

  app.all(callbackPath, methodNotAllowed('POST'));
  for (const path of ['/healthz', '/readyz', '/metrics']) app.all(path, methodNotAllowed('GET'));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  const answerErrors: ErrorRequestHandler = (error, req, res, _next) => {
    const status =
      typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    const known: Record<string, string> = {
      'entity.too.large': `body over ${maxBodyBytes} bytes`,
      'parameters.too.many': 'too many parameters',
      'charset.unsupported': 'unsupported charset',
      'encoding.unsupported': 'unsupported content encoding',
      'entity.parse.failed': 'malformed body',
      'request.aborted': 'request aborted',
      'request.size.invalid': 'body size does not match Content-Length',
    };
    const reason = known[error?.type] ?? (status === 500 ? 'internal error' : 'bad request');
    if (status === 500) req.log.error({ err: error }, 'unhandled error');
    metrics.callbacks.inc({ status: 'unknown', outcome: 'invalid' });
    if (res.headersSent) return;
    res.status(status === 400 && reason === 'too many parameters' ? 413 : status).json({ error: reason });
  };
  app.use(answerErrors);

  return app;
}

function methodNotAllowed(allowed: string): RequestHandler {
  return (_req, res) => {
    res
      .status(405)
      .set('Allow', allowed)
      .json({ error: `method not allowed; use ${allowed}` });
  };
}
