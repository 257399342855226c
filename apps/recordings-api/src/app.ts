import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArchiveFormat } from '@recording-vault/archive-index';
import { duration } from '@recording-vault/config';
import { metricsEndpoint, withinTime } from '@recording-vault/lifecycle';
import { StorageError } from '@recording-vault/storage';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import {
  archivedResource,
  archivedTranscriptions,
  findRecording,
  type MediaAnswer,
  type MediaRequest,
  openMedia,
  type ReadDeps,
  recordingPath,
  recordingsPage,
} from './archive-reads.ts';
import { type AuthThrottleSettings, authThrottle, defaultAuthThrottle } from './auth-throttle.ts';
import { linkPathPrefix, signLink, verifyLink } from './links.ts';
import { LIST_PARAMS, parseListQuery } from './list-query.ts';
import type { RecordingsApiMetrics } from './metrics.ts';
import { type AccountCredentials, type AuthOutcome, twilioCredentialsCheck } from './twilio-auth.ts';
import { ApiRefusal, errorBody, refusals } from './twilio-errors.ts';
import { BodyMismatchError } from './verified-body.ts';

export interface RecordingsApiDeps extends ReadDeps {
  metrics: RecordingsApiMetrics;
  /** The accounts served, with the credentials their callers authenticate with. */
  accounts: readonly AccountCredentials[];
  /** RECORDINGS_LINK_SECRET: signs and checks playback links. */
  linkSecret: string;
  /** Redis and storage answer: `/healthz` says 503 otherwise. */
  isReady(): Promise<boolean>;
  /** How long `/healthz` waits for `isReady` (default 1 s). */
  healthTimeoutMs?: number;
  /** Whether Redis is connected now: a failure while it is not is answered 503, not 500. */
  isRedisConnected(): boolean;
  /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
  /** Express `trust proxy`: which proxies may name the client, which failed authentications are counted by. */
  trustProxy?: false | number | string;
  authThrottle?: AuthThrottleSettings;
  /** Milliseconds since the epoch; links expire by it. */
  clock?: () => number;
}

/** The longest a playback link may live: a link is a bearer credential for one recording. */
export const MAX_LINK_TTL_MS = 7 * 86_400_000;
const DEFAULT_LINK_TTL = '1h';
const ACCOUNT = /^AC[0-9a-f]{32}$/;
const RECORDING_FILE = /^(RE[0-9a-f]{32})(?:\.(json|wav|mp3))?$/;
const LINK_FILE = /^(RE[0-9a-f]{32})\.(wav|mp3)$/;
const RECORDING_SID = /^RE[0-9a-f]{32}$/;
const TRANSCRIPTION_FILE = /^(TR[0-9a-f]{32})\.json$/;
/** A recording's transcriptions come in one page; Twilio's paging parameters are taken and ignored. */
const TRANSCRIPTION_LIST_PARAMS: ReadonlySet<string> = new Set(['PageSize', 'Page', 'PageToken']);
/** Media query parameters Twilio defines; the archive serves the file it stored, whatever they ask. */
const MEDIA_PARAMS: ReadonlySet<string> = new Set(['RequestedChannels']);

/** What one media read or link issued leaves in its request's log line. Never a secret. */
interface Access {
  account: string;
  recording: string;
  credential: string;
  range?: string | null;
  bytes?: number;
  outcome: string;
  expiresAt?: string;
}

export function createRecordingsApp(deps: RecordingsApiDeps): express.Express {
  const { metrics, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const checkCredentials = twilioCredentialsCheck(deps.accounts);
  const ttlSchema = duration(DEFAULT_LINK_TTL);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);

  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => {
        const id = randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // The path only: a link's query carries its signature, and headers carry credentials.
      serializers: {
        req: (req) => ({
          id: req.id,
          method: req.method,
          path: String(req.url).split('?')[0],
          remoteAddress: req.remoteAddress,
        }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      // One line per request; a media read or a link issued carries its access facts on it.
      customSuccessObject: (_req, res, value) => withAccess(res as Response, value),
      customErrorObject: (_req, res, _error, value) => withAccess(res as Response, value),
    }),
  );
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  const refuse = (res: Response, refusal: ApiRefusal) => {
    metrics.refusals.inc({ status: String(refusal.status), reason: refusal.reason });
    res.locals.refusal = refusal.reason;
    const access = res.locals.access as Access | undefined;
    if (access) access.outcome = refusal.reason;
    if (res.headersSent) return;
    res.status(refusal.status).set(refusal.headers).json(errorBody(refusal));
  };

  app.get('/healthz', async (_req, res) => {
    const up = await withinTime(deps.isReady(), deps.healthTimeoutMs ?? 1_000);
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'redis or storage unavailable' });
  });

  app.get('/metrics', metricsEndpoint(metrics.registry, deps.metricsToken));

  // Authentication, as Twilio's: computed once per request, counted by the throttle when wrong.
  const authOf = (req: Request, res: Response): AuthOutcome => {
    if (res.locals.auth === undefined) {
      const accountSid = typeof req.params.accountSid === 'string' ? req.params.accountSid : undefined;
      res.locals.auth = checkCredentials(req.get('authorization'), accountSid);
    }
    return res.locals.auth as AuthOutcome;
  };
  const throttle = authThrottle(
    deps.authThrottle ?? defaultAuthThrottle,
    (req, res) => authOf(req, res).kind === 'wrong',
    (res, seconds) => refuse(res, refusals.throttled(seconds)),
    logger,
  );
  const authenticate: RequestHandler = (req, res, next) => {
    const auth = authOf(req, res);
    if (auth.kind === 'right') {
      next();
      return;
    }
    if (auth.kind === 'wrong') {
      // Never the credentials: a mistyped secret is usually most of the real one.
      req.log.warn({ path: req.path }, 'recordings API: wrong credentials');
    }
    refuse(res, refusals.unauthenticated());
  };
  const caller = (res: Response) => res.locals.auth as Extract<AuthOutcome, { kind: 'right' }>;

  /** Paths are checked before anything else: a malformed one touches neither credentials nor Redis. */
  const accountPath: RequestHandler = (req, res, next) => {
    if (!ACCOUNT.test(String(req.params.accountSid))) {
      refuse(res, refusals.badPath(safePath(req), 'AccountSid must be AC followed by 32 hex digits'));
      return;
    }
    next();
  };
  const recordingFile: RequestHandler = (req, res, next) => {
    if (!RECORDING_FILE.test(String(req.params.file))) {
      refuse(res, refusals.badPath(safePath(req), 'RecordingSid must be RE followed by 32 hex digits'));
      return;
    }
    next();
  };
  const ignoreUnknown = (req: Request, known: ReadonlySet<string>) => {
    const ignored = [...queryOf(req).keys()].filter((name) => !known.has(name));
    if (ignored.length > 0) req.log.debug({ ignored }, 'unknown query parameters ignored');
  };

  const api = '/2010-04-01/Accounts/:accountSid';
  app.get(`${api}/Recordings.json`, accountPath, throttle, authenticate, async (req, res) => {
    const accountSid = String(req.params.accountSid);
    const raw = queryOf(req);
    ignoreUnknown(req, LIST_PARAMS);
    const query = parseListQuery(raw);
    if ('error' in query) {
      refuse(res, refusals.invalidParameter(query.error));
      return;
    }
    const page = await recordingsPage(deps, accountSid, query, raw);
    metrics.reads.inc({ kind: 'list', range: 'no' });
    res.json(page);
  });

  app.get(`${api}/Recordings/:file`, accountPath, recordingFile, throttle, authenticate, async (req, res) => {
    const accountSid = String(req.params.accountSid);
    const [, recordingSid = '', extension] = RECORDING_FILE.exec(String(req.params.file)) ?? [];
    const path = safePath(req);
    const entry = await findRecording(deps, accountSid, recordingSid, path);
    if (entry instanceof ApiRefusal) {
      refuse(res, entry);
      return;
    }
    if (extension === 'json') {
      ignoreUnknown(req, new Set());
      const resource = await archivedResource(deps, entry, path);
      if (resource instanceof ApiRefusal) {
        refuse(res, resource);
        return;
      }
      metrics.reads.inc({ kind: 'resource', range: 'no' });
      res.json(resource);
      return;
    }
    ignoreUnknown(req, MEDIA_PARAMS);
    const auth = caller(res);
    res.locals.access = {
      account: accountSid,
      recording: recordingSid,
      credential: auth.credential,
      outcome: '',
    };
    await answerMedia(req, res, 'media', entry, extension === 'mp3' ? 'mp3' : 'wav', 'private, no-transform');
  });

  // A recording's transcriptions, at Twilio's paths: the list, and one by its SID.
  const transcriptionsOf = async (req: Request, res: Response) => {
    const accountSid = String(req.params.accountSid);
    const recordingSid = String(req.params.recordingSid);
    const path = safePath(req);
    if (!RECORDING_SID.test(recordingSid)) {
      refuse(res, refusals.badPath(path, 'RecordingSid must be RE followed by 32 hex digits'));
      return undefined;
    }
    const entry = await findRecording(deps, accountSid, recordingSid, path);
    const transcriptions = entry instanceof ApiRefusal ? entry : await archivedTranscriptions(deps, entry);
    if (transcriptions instanceof ApiRefusal) {
      refuse(res, transcriptions);
      return undefined;
    }
    return transcriptions;
  };
  const transcriptionsPath = `${api}/Recordings/:recordingSid/Transcriptions`;
  app.get(`${transcriptionsPath}.json`, accountPath, throttle, authenticate, async (req, res) => {
    ignoreUnknown(req, TRANSCRIPTION_LIST_PARAMS);
    const transcriptions = await transcriptionsOf(req, res);
    if (!transcriptions) return;
    metrics.reads.inc({ kind: 'transcriptions', range: 'no' });
    // A recording has a handful at most: one page, as Twilio shapes it.
    const uri = `${safePath(req)}?PageSize=50&Page=0`;
    res.json({
      transcriptions,
      first_page_uri: uri,
      next_page_uri: null,
      previous_page_uri: null,
      page: 0,
      page_size: 50,
      start: 0,
      end: Math.max(0, transcriptions.length - 1),
      uri,
    });
  });
  app.get(`${transcriptionsPath}/:file`, accountPath, throttle, authenticate, async (req, res) => {
    ignoreUnknown(req, new Set());
    const [, transcriptionSid] = TRANSCRIPTION_FILE.exec(String(req.params.file)) ?? [];
    if (!transcriptionSid) {
      refuse(res, refusals.badPath(safePath(req), 'TranscriptionSid must be TR followed by 32 hex digits'));
      return;
    }
    const transcriptions = await transcriptionsOf(req, res);
    if (!transcriptions) return;
    const found = transcriptions.find((transcription) => transcription.sid === transcriptionSid);
    if (!found) {
      refuse(res, refusals.notFound(safePath(req)));
      return;
    }
    metrics.reads.inc({ kind: 'transcription', range: 'no' });
    res.json(found);
  });

  for (const path of [
    `${api}/Recordings.json`,
    `${api}/Recordings/:file`,
    `${transcriptionsPath}.json`,
    `${transcriptionsPath}/:file`,
  ]) {
    app.all(path, (req, res) => refuse(res, refusals.methodNotAllowed(req.method, 'GET, HEAD')));
  }

  app.post(
    '/v1/links',
    throttle,
    authenticate,
    express.json({ limit: '4kb' }),
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 }),
    async (req, res) => {
      const auth = caller(res);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const recordingSid = body.RecordingSid;
      if (typeof recordingSid !== 'string' || !/^RE[0-9a-f]{32}$/.test(recordingSid)) {
        refuse(
          res,
          refusals.invalidParameter('RecordingSid must be RE followed by 32 hex digits', 'bad-body'),
        );
        return;
      }
      const ttl = ttlSchema.safeParse(typeof body.Ttl === 'string' ? body.Ttl : undefined);
      const ttlMs = ttl.success ? ttl.data : Number.NaN;
      if (!(ttlMs >= 1_000 && ttlMs <= MAX_LINK_TTL_MS)) {
        refuse(
          res,
          refusals.invalidParameter(
            'Ttl must be a duration from 1s to 7d, such as 90s, 15m or 1h',
            'bad-body',
          ),
        );
        return;
      }
      const format = body.Format;
      if (format !== undefined && format !== 'wav' && format !== 'mp3') {
        refuse(res, refusals.invalidParameter('Format must be wav or mp3', 'bad-body'));
        return;
      }
      res.locals.access = {
        account: auth.accountSid,
        recording: recordingSid,
        credential: auth.credential,
        outcome: '',
      };
      const entry = await findRecording(
        deps,
        auth.accountSid,
        recordingSid,
        recordingPath(auth.accountSid, recordingSid),
      );
      if (entry instanceof ApiRefusal) {
        refuse(res, entry);
        return;
      }
      // The other format only when it can be made: a transcoder, and no ciphertext.
      const transcodable = deps.transcoder !== undefined && !entry.encrypted;
      if (format !== undefined && format !== entry.format && !transcodable) {
        refuse(res, refusals.formatNotStored(entry.format, format, entry.encrypted));
        return;
      }
      const link = signLink(
        {
          accountSid: auth.accountSid,
          recordingSid,
          format: format ?? entry.format,
          expiresAt: clock() + ttlMs,
        },
        deps.linkSecret,
        deps.publicUrl,
      );
      metrics.linksIssued.inc();
      Object.assign(res.locals.access as Access, {
        outcome: 'link issued',
        expiresAt: link.expiresAt.toISOString(),
      });
      res.status(201).json({ url: link.url, expires_at: link.expiresAt.toISOString() });
    },
  );
  app.all('/v1/links', (req, res) => refuse(res, refusals.methodNotAllowed(req.method, 'POST')));

  // Playback links: no credentials, the signature is the credential.
  app.get(`${linkPathPrefix}/:accountSid/:file`, accountPath, async (req, res) => {
    const accountSid = String(req.params.accountSid);
    const [, recordingSid, format] = LINK_FILE.exec(String(req.params.file)) ?? [];
    if (!recordingSid || (format !== 'wav' && format !== 'mp3')) {
      refuse(res, refusals.linkTampered());
      return;
    }
    res.locals.access = { account: accountSid, recording: recordingSid, credential: 'link', outcome: '' };
    const query = queryOf(req);
    const check = verifyLink(
      {
        accountSid,
        recordingSid,
        format,
        expires: query.get('Expires') ?? undefined,
        signature: query.get('Signature') ?? undefined,
      },
      deps.linkSecret,
      clock(),
    );
    if (!check.valid) {
      refuse(res, check.why === 'expired' ? refusals.linkExpired() : refusals.linkTampered());
      return;
    }
    const entry = await findRecording(deps, accountSid, recordingSid, safePath(req));
    if (entry instanceof ApiRefusal) {
      refuse(res, entry);
      return;
    }
    // A link plays until it expires, not longer: caches must not keep what it gave.
    await answerMedia(req, res, 'link', entry, format, 'private, no-store, no-transform');
  });
  app.all(`${linkPathPrefix}/:accountSid/:file`, (req, res) =>
    refuse(res, refusals.methodNotAllowed(req.method, 'GET, HEAD')),
  );

  app.use((req, res) => {
    refuse(res, refusals.badPath(safePath(req), 'no such route'));
  });

  const answerErrors: ErrorRequestHandler = (error, req, res, _next) => {
    // A path Express could not decode (a stray %), a body that did not parse: the client's fault.
    if (error instanceof URIError || (error?.status === 400 && error?.type === undefined)) {
      refuse(res, refusals.badPath(safePath(req), 'the path is not valid'));
      return;
    }
    if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
      refuse(res, refusals.invalidParameter('The request body is not valid', 'bad-body'));
      return;
    }
    const unavailable = (error instanceof StorageError && error.retryable) || !deps.isRedisConnected();
    req.log.error({ err: error }, unavailable ? 'redis or storage unavailable' : 'unhandled error');
    refuse(res, unavailable ? refusals.unavailable() : refusals.internal());
  };
  app.use(answerErrors);

  /** Writes a media answer: the bytes streamed and counted, and what became of them in the access log. */
  async function answerMedia(
    req: Request,
    res: Response,
    kind: 'media' | 'link',
    entry: MediaRequest['entry'],
    format: ArchiveFormat,
    cacheControl: string,
  ) {
    const access = res.locals.access as Access;
    const answer = await openMedia(deps, {
      entry,
      format,
      cacheControl,
      head: req.method === 'HEAD',
      range: req.get('range'),
      ifRange: req.get('if-range'),
      ifNoneMatch: req.get('if-none-match'),
    });
    if (answer instanceof ApiRefusal) {
      refuse(res, answer);
      return;
    }
    access.range = answer.range;
    access.bytes = 0;
    access.outcome = answer.status === 304 ? 'not modified' : req.method === 'HEAD' ? 'head' : 'streaming';
    metrics.reads.inc({ kind, range: answer.range ? 'yes' : 'no' });
    res.status(answer.status).set(answer.headers);
    if (!answer.body) {
      res.end();
      return;
    }
    await streamBody(res, answer, access, entry.recordingSid);
  }

  async function streamBody(res: Response, answer: MediaAnswer, access: Access, recordingSid: string) {
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        access.bytes = (access.bytes ?? 0) + chunk.length;
        metrics.bytes.inc(chunk.length);
        done(null, chunk);
      },
    });
    const body = answer.body as NonNullable<MediaAnswer['body']>;
    // Said before the response closes, so that its log line (see `withAccess`) tells why it was cut.
    body.once('error', (error) => {
      if (error instanceof BodyMismatchError) access.outcome = 'cut: stored bytes do not match the record';
    });
    try {
      await pipeline(body, count, res);
    } catch (error) {
      // A client that went away needs no line of its own: the request's line says the response was cut.
      if (error instanceof BodyMismatchError) {
        logger.error(
          { recordingSid, err: error },
          'archived recording not served whole: its stored bytes changed',
        );
      } else if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        logger.warn({ recordingSid, err: error }, 'reading the recording from storage failed: response cut');
      }
    }
  }

  return app;
}

function withAccess(res: Response, value: Record<string, unknown>): Record<string, unknown> {
  const streamed = res.locals.access as Access | undefined;
  // Logged when the response finished or closed: whether every byte went out is known by then.
  const access =
    streamed?.outcome === 'streaming'
      ? {
          ...streamed,
          outcome: res.writableFinished ? 'sent' : 'cut: the client went away or storage failed',
        }
      : streamed;
  const refusal = res.locals.refusal as string | undefined;
  return { ...value, ...(access ? { access } : {}), ...(refusal ? { refusal } : {}) };
}

function queryOf(req: Request): URLSearchParams {
  const at = req.originalUrl.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : req.originalUrl.slice(at + 1));
}

/** The request's path as the client sent it (still encoded), safe to echo in an error message. */
function safePath(req: Request): string {
  return req.originalUrl.split('?')[0]?.slice(0, 300) ?? '/';
}
