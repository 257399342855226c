import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { listenOn } from '../free-port.ts';
import { type ApiRoute, matchApiRoute } from './api-route.ts';
import { authenticate } from './basic-auth.ts';
import { type ConcurrencyStats, createConcurrencyCap } from './concurrency-cap.ts';
import {
  createFaultRegistry,
  type Fault,
  type FaultDecision,
  type FaultRoute,
  type FaultSpec,
  faultTargets,
  isBodyFault,
  isMediaFault,
  type MediaLie,
} from './faults.ts';
import { parseListQuery } from './list-query.ts';
import {
  type MediaFormat,
  type MediaSpec,
  mediaByteLength,
  mediaChunks,
  mediaContentType,
  WAV_HEADER_BYTES,
  wavHeader,
} from './media-generator.ts';
import { buildRecordingPage } from './recording-page.ts';
import { type RecordingResource, toRecordingResource } from './recording-resource.ts';
import {
  type AccountInput,
  createRecordingStore,
  type EmulatorAccount,
  type RecordingCounts,
  type RecordingInput,
  type StoredRecording,
} from './recording-store.ts';
import { createRequestLog, type RequestLogEntry } from './request-log.ts';
import { sendBody, sendJson } from './response-writer.ts';
import { type SeedRecordingsInput, seedRecordingInputs } from './seed.ts';
import { seededRandom } from './seeded-random.ts';
import { makeSid } from './sid.ts';
import { type SignedMediaGrant, signMediaUrl, verifySignedMediaUrl } from './signed-media-url.ts';
import {
  type TranscriptionResource,
  toTranscriptionResource,
  transcriptionListPage,
} from './transcription-resource.ts';
import {
  authenticationError,
  invalidParameterError,
  methodNotAllowedError,
  monoAsDualChannelError,
  notFoundError,
  rateLimitError,
  serverError,
  type TwilioErrorBody,
  twilioError,
} from './twilio-error.ts';

export interface TwilioEmulatorOptions {
  /** API port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Port of the second origin that serves signed media URLs (default: a free one). */
  mediaPort?: number;
  host?: string;
  accounts?: AccountInput[];
  /** Media requests answer 302 to a signed URL on the second origin (per recording: `signedMedia`). */
  signedMedia?: boolean;
  /** Lifetime of signed media URLs (default 600 s). */
  signedMediaTtlSeconds?: number;
  /** Seeds fault probabilities and `seedRecordings` (default 'emulator'). */
  seed?: string;
  /** Time source for dates, `completeAt` and URL expiry (default Date.now). */
  clock?: () => number;
  /**
   * Twilio's per-account concurrency limit: an API request arriving while this many of the same account's
   * are in flight is answered 429 (20429). Default: none. Signed media (another host) does not count.
   */
  concurrencyLimit?: number;
}

export interface MediaRequestOptions {
  format?: MediaFormat;
  /** Channels of the file: 1 (a dual-channel recording's mono mix) or 2 (`RequestedChannels=2`). */
  channels?: 1 | 2;
}

export interface ExpectedMedia {
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
}

export interface TwilioEmulator {
  /** What TWILIO_API_BASE_URL is set to, e.g. `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  /** The second origin that serves redirected, signed media. */
  readonly mediaBaseUrl: string;
  addAccount(input?: AccountInput): EmulatorAccount;
  addRecording(input: RecordingInput): RecordingResource;
  /** Many recordings over a date range, deterministic from `seed`. */
  seedRecordings(input: SeedRecordingsInput): RecordingResource[];
  /** The resource as `IncludeSoftDeleted=true` shows it (status `deleted` once deleted). */
  recording(sid: string): RecordingResource | undefined;
  isDeleted(sid: string): boolean;
  /** Deletes as the API would; false when unknown or already deleted. */
  deleteRecording(sid: string): boolean;
  /** Moves a `processing` recording to `completed` now. */
  completeRecording(sid: string): void;
  /** A recording's transcriptions as the API shows them, deleted ones included (see `isTranscriptionDeleted`). */
  transcriptions(recordingSid: string): TranscriptionResource[];
  isTranscriptionDeleted(sid: string): boolean;
  /** Moves an `in-progress` transcription to `completed` now. */
  completeTranscription(sid: string): void;
  counts(accountSid?: string): RecordingCounts;
  /** URL of the media on the API origin (what `media_url` says, plus the extension and channels). */
  mediaUrl(sid: string, options?: MediaRequestOptions): string;
  mediaSize(sid: string, options?: MediaRequestOptions): number;
  /** Size and SHA-256 of the media the emulator serves, computed by streaming the generator; cached. */
  expectedMedia(sid: string, options?: MediaRequestOptions): Promise<ExpectedMedia>;
  /** A signed URL on the second origin, e.g. one that has already expired. */
  signMediaUrl(sid: string, options?: MediaRequestOptions & { expiresAt?: Date | number }): string;
  /** Sets (or, with undefined, lifts) the per-account concurrency limit. */
  setConcurrencyLimit(limit: number | undefined): void;
  /** How many of an account's requests were in flight, on average and at most, and how many were refused. */
  concurrency(accountSid: string): ConcurrencyStats;
  /** Starts those figures again from now. */
  resetConcurrency(): void;
  injectFault(spec: FaultSpec): Fault;
  clearFaults(): void;
  /** Every request to either origin, in arrival order. */
  readonly requests: readonly RequestLogEntry[];
  resetLog(): void;
  close(): Promise<void>;
}

export async function startTwilioEmulator(options: TwilioEmulatorOptions = {}): Promise<TwilioEmulator> {
  const clock = options.clock ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const store = createRecordingStore(clock);
  const random = seededRandom(options.seed ?? 'emulator');
  const faults = createFaultRegistry(random.next);
  const log = createRequestLog();
  const signingSecret = randomBytes(32).toString('hex');
  const ttlSeconds = options.signedMediaTtlSeconds ?? 600;
  const expectedCache = new Map<string, Promise<ExpectedMedia>>();
  // Real elapsed time even under a test clock: the average in flight is a measure of the client.
  const cap = createConcurrencyCap(() => performance.now(), options.concurrencyLimit);
  let baseUrl = '';
  let mediaBaseUrl = '';

  for (const account of options.accounts ?? []) store.addAccount(account);

  const resource = (recording: StoredRecording): RecordingResource => toRecordingResource(recording, baseUrl);

  const mediaSpec = (sid: string, request: MediaRequestOptions) => {
    const recording = store.get(sid);
    if (!recording) throw new Error(`unknown recording ${sid}`);
    const channels = request.channels ?? 1;
    if (channels === 2 && recording.channels === 1)
      throw new Error(`recording ${sid} is mono: no dual-channel file`);
    return {
      recordingSid: sid,
      format: request.format ?? 'wav',
      channels,
      recordingChannels: recording.channels,
      durationSeconds: recording.duration,
      encrypted: recording.encryptionDetails !== null,
    } as const;
  };

  const grantUrl = (grant: SignedMediaGrant): string => signMediaUrl(mediaBaseUrl, grant, signingSecret);

  const applyDecision = async (decision: FaultDecision, entry: RequestLogEntry): Promise<void> => {
    if (decision.latencyMs > 0) {
      entry.latencyMs = decision.latencyMs;
      entry.fault = 'latency';
      await sleep(decision.latencyMs);
    }
    if (decision.terminal) entry.fault = decision.terminal.kind;
  };

  /** Answers a status or rate-limit fault; true when the request ended there. */
  const answeredByFault = async (
    decision: FaultDecision,
    sendError: (status: number, body: TwilioErrorBody, headers?: Record<string, string>) => Promise<void>,
  ): Promise<boolean> => {
    const fault = decision.terminal;
    if (fault?.kind === 'status') {
      const status = fault.status ?? 500;
      await sendError(status, serverError(status));
      return true;
    }
    if (fault?.kind === 'rateLimit') {
      const headers: Record<string, string> = {};
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
      await sendError(429, rateLimitError(), headers);
      return true;
    }
    return false;
  };

  const handleApi = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const matched = matchApiRoute(url.pathname);
    // Fetch and delete share a path; the method tells them apart.
    const route: ApiRoute =
      matched.route === 'fetch' && method === 'DELETE'
        ? { ...matched, route: 'delete' }
        : matched.route === 'transcription' && method === 'DELETE'
          ? { ...matched, route: 'delete-transcription' }
          : matched;
    const foundTranscription = route.transcriptionSid
      ? store.transcription(route.transcriptionSid)
      : undefined;
    const transcription =
      foundTranscription && foundTranscription.accountSid === route.accountSid
        ? foundTranscription
        : undefined;
    // A transcription's requests are logged (and targeted by faults) under its recording too.
    const recordingSid = route.recordingSid ?? transcription?.recordingSid ?? null;
    const auth = authenticate(req.headers.authorization, store);
    const entry = log.start({
      at: clock(),
      method,
      host: req.headers.host ?? '',
      route: route.route,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      accountSid: route.accountSid,
      recordingSid,
      ...(route.transcriptionSid ? { transcriptionSid: route.transcriptionSid } : {}),
      auth: auth.kind,
    });
    const headers = { 'Twilio-Request-Id': makeSid('RQ') };
    const sendError = (status: number, body: TwilioErrorBody, extra: Record<string, string> = {}) =>
      sendJson(res, entry, status, body, { headers: { ...headers, ...extra } });

    if (route.accountSid === null) return sendError(404, notFoundError(url.pathname));
    if (auth.accountSid === null || auth.accountSid !== route.accountSid) {
      return sendError(401, authenticationError(), { 'WWW-Authenticate': 'Basic realm="Twilio API"' });
    }
    const admitted = cap.admit(route.accountSid);
    if (!admitted) return sendError(429, rateLimitError());
    res.once('close', admitted);
    if (route.route === 'unknown' || route.route === 'signed-media')
      return sendError(404, notFoundError(url.pathname));

    const allowed =
      route.route === 'delete' || route.route === 'delete-transcription'
        ? ['DELETE']
        : route.route === 'media'
          ? ['GET', 'HEAD']
          : ['GET'];
    if (!allowed.includes(method)) return sendError(405, methodNotAllowedError(method));

    const faultRoute: FaultRoute = route.route;
    const found = route.recordingSid ? store.get(route.recordingSid) : undefined;
    const recording = found && found.accountSid === route.accountSid ? found : undefined;
    const redirects = faultRoute === 'media' && (recording?.signedMedia ?? options.signedMedia ?? false);
    // A redirect has no body to cut: body faults for `media` then wait for the signed-media request.
    const decision = faults.decide(
      (spec) => faultTargets(spec, faultRoute, recordingSid) && !(redirects && isMediaFault(spec)),
    );
    await applyDecision(decision, entry);
    if (await answeredByFault(decision, sendError)) return;
    const bodyFault = decision.terminal && isBodyFault(decision.terminal) ? decision.terminal : null;
    const includeSoftDeleted = url.searchParams.get('IncludeSoftDeleted')?.toLowerCase() === 'true';

    if (route.route === 'list') {
      const query = parseListQuery(url.searchParams);
      if ('error' in query) return sendError(400, invalidParameterError(query.error));
      const page = buildRecordingPage({
        sorted: store.sorted(route.accountSid),
        query,
        rawQuery: url.searchParams,
        listPath: url.pathname,
        toResource: resource,
      });
      return sendJson(res, entry, 200, page, { headers, fault: bodyFault });
    }

    if (route.route === 'transcription' || route.route === 'delete-transcription') {
      if (!transcription || transcription.deletedAt !== null)
        return sendError(404, notFoundError(url.pathname));
      if (route.route === 'transcription') {
        return sendJson(res, entry, 200, toTranscriptionResource(transcription), {
          headers,
          fault: bodyFault,
        });
      }
      store.markTranscriptionDeleted(transcription.sid);
      return sendBody(res, entry, { status: 204, headers, length: 0, chunks: [], fault: bodyFault });
    }

    const visible =
      recording && (recording.deletedAt === null || (route.route === 'fetch' && includeSoftDeleted));
    if (!recording || !visible) return sendError(404, notFoundError(url.pathname));

    if (route.route === 'transcriptions') {
      const listed = store
        .transcriptionsOf(recording.sid)
        .filter((candidate) => candidate.deletedAt === null)
        .map(toTranscriptionResource);
      store.noteTranscriptionListing(recording.sid);
      return sendJson(res, entry, 200, transcriptionListPage(url.pathname, listed), {
        headers,
        fault: bodyFault,
      });
    }

    if (route.route === 'fetch') {
      const body =
        decision.terminal?.kind === 'wrongResource'
          ? wrongResource(recording, decision.terminal.as, decision.terminal.otherSid)
          : resource(recording);
      store.noteFetch(recording);
      return sendJson(res, entry, 200, body, { headers, fault: bodyFault });
    }
    if (route.route === 'delete') {
      store.markDeleted(recording.sid);
      return sendBody(res, entry, { status: 204, headers, length: 0, chunks: [], fault: bodyFault });
    }

    // Media exists only once the recording is completed.
    if (recording.status !== 'completed') return sendError(404, notFoundError(url.pathname));
    const requested = url.searchParams.get('RequestedChannels');
    if (requested !== null && requested !== '1' && requested !== '2') {
      return sendError(400, invalidParameterError(`Invalid RequestedChannels: ${requested}`));
    }
    const channels = requested === '2' ? 2 : 1;
    if (channels === 2 && recording.channels === 1) return sendError(400, monoAsDualChannelError());
    const format = route.format ?? 'wav';
    if (redirects) {
      const location = grantUrl({
        accountSid: recording.accountSid,
        recordingSid: recording.sid,
        format,
        channels,
        expires: Math.floor(clock() / 1000) + ttlSeconds,
      });
      return sendBody(res, entry, {
        status: 302,
        headers: { ...headers, Location: location },
        length: 0,
        chunks: [],
      });
    }
    const spec = mediaSpec(recording.sid, { format, channels });
    const answer = mediaAnswer(spec, decision.terminal?.kind === 'lie' ? decision.terminal.lie : null);
    return sendBody(res, entry, {
      status: 200,
      headers: { ...headers, 'Content-Type': answer.contentType },
      length: answer.length,
      chunks: answer.chunks,
      headOnly: method === 'HEAD',
      fault: bodyFault,
    });
  };

  /** The resource of another recording of the account (or a made-up one), or this one under another account. */
  const wrongResource = (
    recording: StoredRecording,
    as: 'other-sid' | 'other-account',
    otherSid: string | undefined,
  ): RecordingResource => {
    const own = resource(recording);
    if (as === 'other-account') return { ...own, account_sid: makeSid('AC') };
    const other = otherSid
      ? store.get(otherSid)
      : store
          .sorted(recording.accountSid)
          .find((candidate) => candidate.sid !== recording.sid && candidate.status === 'completed');
    return other ? resource(other) : { ...own, sid: makeSid('RE') };
  };

  /** The second origin, standing in for the CDN/S3 host Twilio redirects media to. It speaks S3's XML. */
  const handleSignedMedia = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://emulator-media');
    const method = req.method ?? 'GET';
    const pathMatch = /^\/v1\/(AC[0-9a-f]{32})\/(RE[0-9a-f]{32})\./.exec(url.pathname);
    const entry = log.start({
      at: clock(),
      method,
      host: req.headers.host ?? '',
      route: 'signed-media',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      accountSid: pathMatch?.[1] ?? null,
      recordingSid: pathMatch?.[2] ?? null,
      auth: authenticate(req.headers.authorization, store).kind,
    });
    const sendXmlError = (
      status: number,
      code: string,
      message: string,
      extra: Record<string, string> = {},
    ) => {
      const bytes = Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
      );
      return sendBody(res, entry, {
        status,
        headers: { 'Content-Type': 'application/xml', ...extra },
        length: bytes.length,
        chunks: [bytes],
      });
    };

    if (method !== 'GET' && method !== 'HEAD') {
      return sendXmlError(
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
      );
    }
    // Like S3 behind a presigned URL: credentials meant for api.twilio.com must not travel here.
    if (req.headers.authorization !== undefined) {
      return sendXmlError(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; the request carries both a signed URL and an Authorization header. ' +
          'Do not forward Twilio credentials to the media host.',
      );
    }
    const check = verifySignedMediaUrl(url.pathname, url.searchParams, signingSecret, clock());
    if (!check.ok) {
      const message = {
        malformed: 'Missing or malformed signed URL parameters (Channels, Expires, Signature).',
        signature: 'The request signature does not match the URL.',
        expired: 'Request has expired: the signed URL is past its Expires time.',
      }[check.reason];
      return sendXmlError(
        403,
        check.reason === 'signature' ? 'SignatureDoesNotMatch' : 'AccessDenied',
        message,
      );
    }
    const { grant } = check;
    const decision = faults.decide(
      (spec) =>
        faultTargets(spec, 'signed-media', grant.recordingSid) ||
        (isMediaFault(spec) && faultTargets(spec, 'media', grant.recordingSid)),
    );
    await applyDecision(decision, entry);
    const xmlFault = async (status: number, body: TwilioErrorBody, extra?: Record<string, string>) =>
      sendXmlError(status, status === 429 ? 'SlowDown' : 'InternalError', body.message, extra);
    if (await answeredByFault(decision, xmlFault)) return;

    const recording = store.get(grant.recordingSid);
    if (!recording || recording.deletedAt !== null || recording.accountSid !== grant.accountSid) {
      return sendXmlError(404, 'NoSuchKey', 'The specified key does not exist.');
    }
    const spec = mediaSpec(recording.sid, { format: grant.format, channels: grant.channels });
    const answer = mediaAnswer(spec, decision.terminal?.kind === 'lie' ? decision.terminal.lie : null);
    return sendBody(res, entry, {
      status: 200,
      headers: { 'Content-Type': answer.contentType },
      length: answer.length,
      chunks: answer.chunks,
      headOnly: method === 'HEAD',
      fault: decision.terminal && isBodyFault(decision.terminal) ? decision.terminal : null,
    });
  };

  // Idle keep-alive sockets outlive typical client pools' idle time, so a reused socket is never closed
  // under a request (the ECONNRESET race of a short server-side keep-alive).
  const serverOptions = { keepAliveTimeout: 65_000, headersTimeout: 66_000 };
  const apiServer = createServer(serverOptions, guard(handleApi, 'json'));
  const mediaServer = createServer(serverOptions, guard(handleSignedMedia, 'xml'));
  baseUrl = `http://${host}:${await listenOn(apiServer, options.port ?? 0, host)}`;
  mediaBaseUrl = `http://${host}:${await listenOn(mediaServer, options.mediaPort ?? 0, host)}`;

  const requireRecording = (sid: string): StoredRecording => {
    const recording = store.get(sid);
    if (!recording) throw new Error(`unknown recording ${sid}`);
    return recording;
  };

  return {
    baseUrl,
    mediaBaseUrl,
    addAccount: (input) => store.addAccount(input),
    addRecording: (input) => resource(store.addRecording(input)),
    seedRecordings: (input) =>
      seedRecordingInputs({ seed: options.seed ?? 'emulator', ...input }).map((recording) =>
        resource(store.addRecording(recording)),
      ),
    recording(sid) {
      const recording = store.get(sid);
      return recording && resource(recording);
    },
    isDeleted: (sid) => store.get(sid)?.deletedAt != null,
    deleteRecording: (sid) => store.markDeleted(sid),
    completeRecording: (sid) => store.complete(sid),
    transcriptions: (recordingSid) => store.transcriptionsOf(recordingSid).map(toTranscriptionResource),
    isTranscriptionDeleted: (sid) => store.transcription(sid)?.deletedAt != null,
    completeTranscription: (sid) => store.completeTranscription(sid),
    counts: (accountSid) => store.counts(accountSid),
    mediaUrl(sid, request = {}) {
      const recording = requireRecording(sid);
      const extension = request.format === 'mp3' ? '.mp3' : request.format === 'wav' ? '.wav' : '';
      const query = request.channels === 2 ? '?RequestedChannels=2' : '';
      return `${resource(recording).media_url}${extension}${query}`;
    },
    mediaSize: (sid, request = {}) => mediaByteLength(mediaSpec(sid, request)),
    expectedMedia(sid, request = {}) {
      const spec = mediaSpec(sid, request);
      const key = `${sid}:${spec.format}:${spec.channels}`;
      let cached = expectedCache.get(key);
      if (!cached) {
        cached = hashChunks(mediaChunks(spec));
        expectedCache.set(key, cached);
      }
      return cached;
    },
    signMediaUrl(sid, request = {}) {
      const recording = requireRecording(sid);
      const spec = mediaSpec(sid, request);
      const expiresAt = request.expiresAt ?? clock() + ttlSeconds * 1000;
      return grantUrl({
        accountSid: recording.accountSid,
        recordingSid: sid,
        format: spec.format,
        channels: spec.channels,
        expires: Math.floor(new Date(expiresAt).getTime() / 1000),
      });
    },
    setConcurrencyLimit: (limit) => cap.setLimit(limit),
    concurrency: (accountSid) => cap.stats(accountSid),
    resetConcurrency: () => cap.reset(),
    injectFault: (spec) => faults.add(spec),
    clearFaults: () => faults.clear(),
    get requests() {
      return log.entries;
    },
    resetLog: () => log.reset(),
    async close() {
      await Promise.all([stop(apiServer), stop(mediaServer)]);
    },
  };
}

/** The media answer: the recording's own bytes, or the lie a fault asks for. */
function mediaAnswer(
  spec: MediaSpec,
  lie: MediaLie | null,
): { contentType: string; length: number; chunks: Iterable<Buffer> } {
  const bytes = (contentType: string, body: Buffer) => ({ contentType, length: body.length, chunks: [body] });
  const file = (of: MediaSpec) => ({
    contentType: mediaContentType(of.format),
    length: mediaByteLength(of),
    chunks: mediaChunks(of),
  });
  switch (lie) {
    case null:
      return file(spec);
    case 'empty':
      return bytes(mediaContentType(spec.format), Buffer.alloc(0));
    case 'html':
      return bytes(
        'text/html; charset=utf-8',
        Buffer.from('<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>'),
      );
    case 'json':
      return bytes(
        'application/octet-stream',
        Buffer.from(JSON.stringify(twilioError(500, 20500, 'An internal server error has occurred'))),
      );
    case 'wrong-duration':
      return file({ ...spec, durationSeconds: spec.durationSeconds * 2 + 10 });
    case 'mono':
      return file({ ...spec, channels: spec.channels === 2 ? 1 : 2 });
    case 'hollow': {
      if (spec.format !== 'wav' || spec.encrypted) return file({ ...spec, durationSeconds: 0 });
      // The header of the whole recording over all its samples but the last second's (half of them when
      // shorter than two seconds): the body matches Content-Length, the header does not.
      const full = mediaByteLength(spec) - WAV_HEADER_BYTES;
      const second = 16_000 * spec.channels;
      const half = full >= 2 * second ? full - second : Math.floor(full / 2 / 4) * 4;
      const samples = mediaChunks(spec);
      samples.next(); // the true header
      return {
        contentType: mediaContentType('wav'),
        length: WAV_HEADER_BYTES + half,
        chunks: (function* () {
          yield wavHeader(full, spec.channels);
          let left = half;
          for (const chunk of samples) {
            if (left <= 0) return;
            const piece = chunk.subarray(0, Math.min(left, chunk.length));
            left -= piece.length;
            yield piece;
          }
        })(),
      };
    }
  }
}

/** Sends a last-resort 500 (never HTML) when a handler throws; a reset mid-body is left as is. */
function guard(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  errorFormat: 'json' | 'xml',
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const body =
        errorFormat === 'json'
          ? JSON.stringify(twilioError(500, 20500, message))
          : `<Error><Code>InternalError</Code><Message>${message}</Message></Error>`;
      res.writeHead(500, { 'Content-Type': errorFormat === 'json' ? 'application/json' : 'application/xml' });
      res.end(body);
    });
  };
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** Hashes a chunk source, yielding to the event loop now and then so servers keep answering. */
async function hashChunks(chunks: Iterable<Buffer>): Promise<ExpectedMedia> {
  const hash = createHash('sha256');
  let bytes = 0;
  let sinceYield = 0;
  for (const chunk of chunks) {
    hash.update(chunk);
    bytes += chunk.length;
    if (++sinceYield === 64) {
      sinceYield = 0;
      await nextTurn();
    }
  }
  return { bytes, sha256: hash.digest('hex') };
}
