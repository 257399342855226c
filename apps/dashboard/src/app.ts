import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { allQueueNames, type QueueName } from '@recording-vault/contract';
import { withinTime } from '@recording-vault/lifecycle';
import type { Logger } from '@recording-vault/logger';
import type { Queue } from 'bullmq';
import express from 'express';
import { type ArchivePageDeps, archiveRouter } from './archive-routes.ts';
import { basicAuth, type DashboardCredentials } from './basic-auth.ts';
import { defaultLoginThrottle, type LoginThrottleSettings } from './login-throttle.ts';
import { sameOriginWrites } from './same-origin.ts';

export interface DashboardDeps {
  /** One queue per name of the contract: a queue added there without a board entry is a compile error. */
  queues: Readonly<Record<QueueName, Queue>>;
  /** `off` only on a trusted network: the board can retry and remove jobs. */
  auth: DashboardCredentials | 'off';
  logger: Logger;
  /** Whether Redis answers now (a PING on the queues' connection); `/healthz` says 503 otherwise. */
  isRedisReady(): Promise<boolean>;
  /** How long `/healthz` waits for that answer before it says 503. */
  healthTimeoutMs?: number;
  /** Failed logins per client and window before it is answered 429; 10 per minute unless set. */
  loginThrottle?: LoginThrottleSettings;
  /**
   * Express `trust proxy`: which proxies may name the client in X-Forwarded-For, which is what failed logins
   * are counted by. Off unless set: trusting any sender would let a guesser pick a new address per guess.
   */
  trustProxy?: false | number | string;
  /** The archive pages at `/archive` (search, totals, a recording's player and signed links); none unless set. */
  archive?: ArchivePageDeps;
}

/**
 * What the board may do to each queue. A purge job deletes a recording at Twilio, which cannot be undone:
 * such a delete is started by the worker after it verified the copy, never by a click, so the purge queue
 * is read-only (Bull Board then answers 405 to every write, not just hides the buttons). Retrying a failed
 * archive job is the operator's everyday remedy; the pipeline re-verifies before any delete. A queue added
 * to the contract does not compile until it has a line here.
 */
const boardPolicy: Readonly<Record<QueueName, { readOnlyMode: boolean; description: string }>> = {
  archive: {
    readOnlyMode: false,
    description: 'One job per recording: download, store, verify, then delete at Twilio.',
  },
  purge: {
    readOnlyMode: true,
    description: 'Deletes at Twilio after PURGE_DELAY, verifying the copy again first. Read-only here.',
  },
  // These only list recordings at Twilio and enqueue archive jobs (ids from the recording SID, so a
  // rerun adds nothing twice): retrying them is safe.
  backfill: {
    readOnlyMode: false,
    description: "Lists one account's recordings of one day at Twilio and enqueues an archive job for each.",
  },
  reconcile: {
    readOnlyMode: false,
    description: 'Lists recent recordings at Twilio and enqueues those no callback brought.',
  },
  // Reads stored copies back and reports; it changes nothing, so running it again is safe.
  scrub: {
    readOnlyMode: false,
    description: "Reads archived copies back and checks them against the archive's record (SCRUB_EVERY).",
  },
};

export function createDashboardApp(deps: DashboardDeps): express.Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  // The board has write actions: no framing by other sites, and no board URL leaking in a Referer.
  app.use((_req, res, next) => {
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });

  // Before authentication: compose's healthcheck has no credentials, and the answer reveals nothing.
  app.get('/healthz', async (_req, res) => {
    const up = await withinTime(deps.isRedisReady(), deps.healthTimeoutMs ?? 1_000);
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'redis unavailable' });
  });

  if (deps.auth !== 'off') app.use(basicAuth(deps.auth, logger, deps.loginThrottle ?? defaultLoginThrottle));
  // A browser attaches the operator's basic-auth credentials to another site's request as well: every
  // write must show that it comes from the board's own pages (with auth off just as much).
  app.use(sameOriginWrites());

  // Behind the same authentication and write check as the board: the link button is a write.
  if (deps.archive) app.use(archiveRouter(deps.archive));

  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  createBullBoard({
    queues: allQueueNames.map(
      (name) =>
        new BullMQAdapter(deps.queues[name], {
          readOnlyMode: boardPolicy[name].readOnlyMode,
          allowRetries: !boardPolicy[name].readOnlyMode,
          description: boardPolicy[name].description,
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Recording Vault' } },
  });
  const board: express.Express = serverAdapter.getRouter();
  // The adapter is an Express app of its own, which would announce itself again.
  board.disable('x-powered-by');
  app.use('/', board);
  return app;
}
