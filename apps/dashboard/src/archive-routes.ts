import type { ArchiveIndex, IndexedRecording } from '@recording-vault/archive-index';
import type { Logger } from '@recording-vault/logger';
import { signLink } from '@recording-vault/recordings-api/links';
import type { ObjectStore } from '@recording-vault/storage';
import express, { type ErrorRequestHandler, type Response } from 'express';
import type { Cluster, Redis } from 'ioredis';
import {
  archivePage,
  archivePath,
  archiveStylesheet,
  type IssuedLink,
  messagePage,
  type RecordingPageModel,
  recordingPage,
  recordingPath,
  stylesheetPath,
} from './archive-pages.ts';
import { type ArchiveQuery, parseArchiveQuery, type SearchForm, searchArchive } from './archive-search.ts';
import { archiveTotals, defaultTotalsSettings, type TotalsSettings } from './archive-totals.ts';
import type { DashboardPlayback } from './config.ts';
import { readSidecarFacts } from './recording-sidecar.ts';

export interface ArchivePageDeps {
  index: ArchiveIndex;
  /** The connection the index reads through; the accounts and their sizes are read from it as well. */
  redis: Redis | Cluster;
  /** Where the sidecars are; without it the recording page leaves out what only they hold (the source). */
  store?: ObjectStore | undefined;
  playback: DashboardPlayback;
  logger: Logger;
  /** Milliseconds; links expire by it. */
  clock?: () => number;
  totals?: Partial<TotalsSettings>;
  sidecarTimeoutMs?: number;
  /** Recordings per page of results; 50 unless set. */
  pageSize?: number;
}

/** The player's own link: long enough to listen, short enough not to outlive a forgotten tab by much. */
export const PLAYER_LINK_MS = 60 * 60_000;
/** What the signed-link button offers; the recordings API issues links of up to 7 days as well. */
export const linkLifetimes: Readonly<Record<string, number>> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};
const DEFAULT_LIFETIME = '1h';
const RECORDING_SID = /^RE[0-9a-f]{32}$/;

/**
 * The archive pages: `GET /archive` (search, recent archives, totals per account), `GET
 * /archive/recordings/:sid` (metadata, player, link form) and `POST /archive/recordings/:sid/link` (issues a
 * signed link). Mount it behind the board's authentication and its same-origin check for writes: the POST is
 * a write like any other. Pages are rendered on the server, run no script, and carry a CSP that allows the
 * dashboard's stylesheet, its own forms, and media from the recordings API alone.
 */
export function archiveRouter(deps: ArchivePageDeps): express.Router {
  const { index, logger, playback } = deps;
  const clock = deps.clock ?? Date.now;
  const totals = archiveTotals({
    index,
    redis: deps.redis,
    settings: { ...defaultTotalsSettings, ...deps.totals },
    clock,
  });
  const mediaOrigin = playback.enabled ? new URL(playback.publicUrl).origin : undefined;
  const contentSecurityPolicy = [
    "default-src 'none'",
    "style-src 'self'",
    `media-src ${mediaOrigin ?? "'none'"}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

  const router = express.Router();
  router.use(archivePath, (_req, res, next) => {
    res.setHeader('Content-Security-Policy', contentSecurityPolicy);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The pages hold signed links: neither a shared cache nor the browser's history should keep them.
    res.setHeader('Cache-Control', 'no-store');
    // Not the board's `no-referrer`: under it a browser sends `Origin: null` with a form's POST, which the
    // same-origin check rightly refuses. `same-origin` gives the link form its real Origin and still sends
    // no Referer to any other origin (the recordings API, or wherever a signed link is opened).
    res.setHeader('Referrer-Policy', 'same-origin');
    next();
  });

  router.get(stylesheetPath, (_req, res) => {
    res.type('text/css').send(archiveStylesheet);
  });

  router.get(archivePath, async (req, res) => {
    const parsed = parseArchiveQuery(req.query as Record<string, unknown>);
    const accounts = await totals.accounts();
    const query: ArchiveQuery = parsed.ok ? parsed.query : {};
    const totalsOf = query.accountSid ? [query.accountSid] : accounts;
    const accountTotals = await Promise.all(totalsOf.map((accountSid) => totals.read(accountSid)));
    const base = {
      form: parsed.form,
      accounts,
      oneAccount: query.accountSid !== undefined,
      totals: accountTotals,
    };
    if (!parsed.ok) {
      sendHtml(
        res,
        400,
        archivePage({ ...base, problems: parsed.problems, heading: '', entries: [], olderHref: undefined }),
      );
      return;
    }
    if (query.recordingSid) {
      if (await index.lookup(query.recordingSid)) {
        res.redirect(303, recordingPath(query.recordingSid));
        return;
      }
      sendHtml(
        res,
        404,
        archivePage({
          ...base,
          problems: [],
          notice: `${query.recordingSid} is not in the archive index.`,
          heading: `Recording ${query.recordingSid}`,
          entries: [],
          olderHref: undefined,
        }),
      );
      return;
    }
    const found = await searchArchive(index, totalsOf, query, deps.pageSize ?? 50);
    const olderHref = found.next
      ? `${archivePath}?${new URLSearchParams({ ...nonEmpty(parsed.form), before: found.next })}`
      : undefined;
    sendHtml(
      res,
      200,
      archivePage({ ...base, problems: [], heading: headingOf(query), entries: found.entries, olderHref }),
    );
  });

  /** The recording of `:sid`, or an answer (400, 404) already sent. */
  async function recordingOf(sid: string, res: Response): Promise<IndexedRecording | undefined> {
    if (!RECORDING_SID.test(sid)) {
      sendHtml(res, 400, messagePage('Not a recording SID', `${sid} is not RE followed by 32 hex digits.`));
      return undefined;
    }
    const entry = await index.lookup(sid);
    if (!entry) {
      sendHtml(
        res,
        404,
        messagePage('Not archived', `${sid} is not in the archive index (pnpm vault reindex rebuilds it).`),
      );
    }
    return entry;
  }

  async function pageModel(entry: IndexedRecording, ttl: string): Promise<RecordingPageModel> {
    const sidecar = deps.store
      ? await readSidecarFacts(deps.store, entry, deps.sidecarTimeoutMs ?? 5_000)
      : undefined;
    if (sidecar && !sidecar.ok) {
      logger.warn(
        { recordingSid: entry.recordingSid, reason: sidecar.reason },
        'archive page: sidecar not read',
      );
    }
    if (!playback.enabled) {
      const unavailable = `Playback and signed links need ${playback.missing.join(' and ')} in the dashboard's configuration: the recordings API's public URL and the secret it checks links with.`;
      return { entry, sidecar, player: { unavailable }, links: { unavailable } };
    }
    const links = { lifetimes: Object.keys(linkLifetimes), selected: ttl };
    if (entry.encrypted) {
      const unavailable =
        'This recording is encrypted: the archive holds ciphertext, which a browser cannot play. A signed link gives the bytes as stored.';
      return { entry, sidecar, player: { unavailable }, links };
    }
    const player = signLink(
      { ...grantOf(entry), expiresAt: clock() + PLAYER_LINK_MS },
      playback.linkSecret,
      playback.publicUrl,
    );
    return { entry, sidecar, player, links };
  }

  router.get(`${archivePath}/recordings/:sid`, async (req, res) => {
    const entry = await recordingOf(req.params.sid, res);
    if (!entry) return;
    sendHtml(res, 200, recordingPage(await pageModel(entry, DEFAULT_LIFETIME)));
  });

  router.post(
    `${archivePath}/recordings/:sid/link`,
    express.urlencoded({ extended: false, limit: '1kb', parameterLimit: 10 }),
    async (req, res) => {
      const entry = await recordingOf(req.params.sid, res);
      if (!entry) return;
      const ttl: unknown = (req.body as Record<string, unknown> | undefined)?.ttl ?? DEFAULT_LIFETIME;
      const lifetimeMs =
        typeof ttl === 'string' && Object.hasOwn(linkLifetimes, ttl) ? linkLifetimes[ttl] : undefined;
      if (lifetimeMs === undefined || typeof ttl !== 'string') {
        sendHtml(
          res,
          400,
          messagePage(
            'Not a link lifetime',
            `A link can be valid for ${Object.keys(linkLifetimes).join(', ')}.`,
          ),
        );
        return;
      }
      const model = await pageModel(entry, ttl);
      if (!playback.enabled) {
        sendHtml(res, 501, recordingPage(model));
        return;
      }
      const signed = signLink(
        { ...grantOf(entry), expiresAt: clock() + lifetimeMs },
        playback.linkSecret,
        playback.publicUrl,
      );
      const issued: IssuedLink = { url: signed.url, expiresAt: signed.expiresAt, lifetimeMs };
      // Who issued which link, never the link itself: its signature is the credential.
      logger.info(
        {
          recordingSid: entry.recordingSid,
          accountSid: entry.accountSid,
          format: entry.format,
          ttl,
          expiresAt: signed.expiresAt.toISOString(),
          client: req.ip,
        },
        'archive page: signed link issued',
      );
      sendHtml(res, 201, recordingPage({ ...model, issued }));
    },
  );

  const failed: ErrorRequestHandler = (error, req, res, next) => {
    if (res.headersSent || !req.path.startsWith(archivePath)) {
      next(error);
      return;
    }
    // The connection fails fast while Redis is away (as /healthz says 503): that is an outage, not a bug.
    const redisDown = deps.redis.status !== 'ready';
    logger.error({ err: error, path: req.path, redisDown }, 'archive page: could not read the archive');
    sendHtml(
      res,
      redisDown ? 503 : 500,
      messagePage(
        'The archive could not be read',
        redisDown
          ? 'Redis, which holds the archive index, does not answer; this page works again once it does.'
          : "Reading the archive failed; the dashboard's log says why.",
      ),
    );
  };
  router.use(failed);
  return router;
}

function grantOf(entry: IndexedRecording) {
  return { recordingSid: entry.recordingSid, accountSid: entry.accountSid, format: entry.format };
}

function sendHtml(res: Response, status: number, body: string): void {
  res.status(status).type('html').send(body);
}

function nonEmpty(form: SearchForm): Record<string, string> {
  return Object.fromEntries(Object.entries(form).filter(([, value]) => value !== ''));
}

/** What the results are, in words. */
function headingOf(query: ArchiveQuery): string {
  const { fromDay, toDay } = query;
  const dates =
    fromDay && toDay
      ? fromDay === toDay
        ? ` created on ${fromDay} (UTC)`
        : ` created from ${fromDay} to ${toDay} (UTC)`
      : fromDay
        ? ` created on or after ${fromDay} (UTC)`
        : toDay
          ? ` created on or before ${toDay} (UTC)`
          : '';
  const account = query.accountSid ? ` of account ${query.accountSid}` : '';
  const older = query.before ? ', older' : '';
  if (query.callSid) return `Recordings of call ${query.callSid}${account}${dates}${older}`;
  if (dates) return `Recordings${account}${dates}${older}`;
  return `Recent archives${account}${older}`;
}
