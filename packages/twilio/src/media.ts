import { finished, pipeline, type Readable, Transform } from 'node:stream';
import { Agent, interceptors, request } from 'undici';
import { type Permit, type RequestGate, throughGate } from './concurrency/gate.ts';
import { errorFromResponse, errorFromTransport, TwilioApiError } from './errors.ts';
import {
  checkMediaContentType,
  checkMediaLength,
  type MediaExpectation,
  mediaCheck,
  mediaSizeBounds,
} from './media-check.ts';
import type { MediaFormat } from './recording.ts';
import type { ResponseObserver, TwilioAccountCredentials } from './rest-client.ts';

export interface MediaDownloaderOptions {
  /** The API origin of accounts whose credentials carry none of their own. */
  baseUrl?: string;
  /** Time allowed to open a connection. */
  connectTimeoutMs?: number;
  /** Time allowed for the response headers, and between two chunks of the body. */
  idleTimeoutMs?: number;
  /**
   * A whole download must finish within `baseMs` plus its size at `minBytesPerSecond`, so that a body
   * trickling in cannot hold a job forever. Defaults: 60 s and 64 KiB/s.
   */
  deadline?: { baseMs?: number; minBytesPerSecond?: number };
  onResponse?: ResponseObserver | undefined;
  /** The window of requests in flight of each account, shared with its REST calls; none: no limit here. */
  gateFor?: ((accountSid: string) => RequestGate) | undefined;
}

export interface MediaRequest extends MediaExpectation {
  format: MediaFormat;
  /** 2 asks for both channels of a dual-channel recording; Twilio otherwise mixes it down to mono. */
  channels: 1 | 2;
  signal?: AbortSignal | undefined;
}

export interface MediaResponse {
  body: Readable;
  contentType: string;
  /** From `Content-Length`; the body fails if it ends before this many bytes. */
  contentLength: number | undefined;
}

const mediaTypes: Record<MediaFormat, string> = { wav: 'audio/x-wav', mp3: 'audio/mpeg' };

export type MediaDownloader = ReturnType<typeof createMediaDownloader>;

/**
 * Streams recording media: the twilio SDK has no media call, so this is an authenticated GET. Twilio may
 * redirect to a short-lived signed URL on another host; the credentials are sent to Twilio only, never
 * along a redirect.
 */
export function createMediaDownloader(options: MediaDownloaderOptions) {
  const idle = options.idleTimeoutMs ?? 30_000;
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    headersTimeout: idle,
    bodyTimeout: idle,
  }).compose(interceptors.redirect({ maxRedirections: 5, stripHeadersOnRedirect: ['authorization'] }));
  const defaultOrigin = options.baseUrl?.replace(/\/+$/, '');
  const deadlineBaseMs = options.deadline?.baseMs ?? 60_000;
  const minBytesPerSecond = options.deadline?.minBytesPerSecond ?? 64 * 1024;

  return {
    async download(
      account: TwilioAccountCredentials,
      recordingSid: string,
      media: MediaRequest,
    ): Promise<MediaResponse> {
      // The account's own origin: credentials are valid in their region only, and are sent to no other host.
      const origin = account.apiOrigin?.replace(/\/+$/, '') ?? defaultOrigin;
      if (!origin) throw new Error(`no API origin for account ${account.accountSid}`);
      const url = new URL(
        `${origin}/2010-04-01/Accounts/${account.accountSid}/Recordings/${recordingSid}.${media.format}`,
      );
      if (media.channels === 2) url.searchParams.set('RequestedChannels', '2');
      const what = `Twilio media ${recordingSid}.${media.format}`;
      const [user, password] = account.apiKey
        ? [account.apiKey.sid, account.apiKey.secret]
        : [account.accountSid, account.authToken];
      return throughGate(
        options.gateFor?.(account.accountSid),
        (permit) =>
          attempt(url, what, `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, media, permit),
        media.signal,
      );
    },

    close: () => dispatcher.close(),
  };

  /** One GET of the media; the permit (if any) is held until its body is over. */
  async function attempt(
    url: URL,
    what: string,
    authorization: string,
    media: MediaRequest,
    permit: Permit | undefined,
  ): Promise<MediaResponse> {
    // The deadline is sized by the largest body the resource allows: a slow but steady download of a long
    // recording is not cut.
    const deadlineMs = (bytes: number) => Math.ceil(deadlineBaseMs + (bytes / minBytesPerSecond) * 1000);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), deadlineMs(mediaSizeBounds(media).max));
    const signal = media.signal ? AbortSignal.any([media.signal, deadline.signal]) : deadline.signal;
    const late = (received: number) =>
      new TwilioApiError(
        'deadline',
        `${what}: the download did not finish within its deadline (${received} bytes received)`,
      );

    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        dispatcher,
        headers: { authorization },
        signal,
      });
    } catch (error) {
      clearTimeout(timer);
      if (media.signal?.aborted) throw error;
      options.onResponse?.('error', 'media');
      throw deadline.signal.aborted ? late(0) : errorFromTransport(what, error);
    }
    options.onResponse?.(response.statusCode, 'media');

    if (response.statusCode !== 200) {
      clearTimeout(timer);
      const text = await response.body.text().catch(() => '');
      throw errorFromResponse(what, response.statusCode, text, response.headers);
    }
    const lengthHeader = response.headers['content-length'];
    const contentLength = typeof lengthHeader === 'string' ? Number(lengthHeader) : undefined;
    const contentType = response.headers['content-type'];
    try {
      checkMediaContentType(what, typeof contentType === 'string' ? contentType : undefined);
      checkMediaLength(what, contentLength, media);
    } catch (error) {
      clearTimeout(timer);
      // Nothing of it is wanted: close the connection (its abort error has no one to tell).
      response.body.on('error', () => {});
      response.body.destroy();
      throw error;
    }
    let received = 0;
    const body = checkedLength(what, contentLength, (bytes) => {
      received = bytes;
    });
    const checked = mediaCheck(what, media);
    // A reset, an idle timeout or the deadline surfaces on the source; hand it on typed, as pipe() would not.
    response.body.on('error', (error) =>
      body.destroy(
        media.signal?.aborted
          ? error
          : deadline.signal.aborted
            ? late(received)
            : errorFromTransport(what, error),
      ),
    );
    // pipeline, not pipe: when the consumer gives up (a storage failure, an abort) the download is
    // destroyed too and its connection released, instead of idling until the timeout. Two of them, so that
    // the typed error given to `body` above is the one the consumer sees.
    pipeline(response.body, body, () => {});
    pipeline(body, checked, () => clearTimeout(timer));
    // The request is in flight at Twilio until its body is over, however it ends.
    if (permit) finished(checked, (error) => permit.release({ status: error ? 'error' : 200 }));
    return {
      body: checked,
      contentType: typeof contentType === 'string' ? contentType : mediaTypes[media.format],
      contentLength,
    };
  }
}

/**
 * Passes the body through, failing it when the connection ends before `Content-Length` bytes or is reset,
 * so that a truncated recording can never be stored as if it were whole.
 */
function checkedLength(
  what: string,
  expected: number | undefined,
  onBytes: (bytes: number) => void,
): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      onBytes(seen);
      done(null, chunk);
    },
    flush(done) {
      if (expected !== undefined && seen !== expected) {
        done(new TwilioApiError('transient', `${what}: body ended after ${seen} of ${expected} bytes`));
      } else done();
    },
  });
}
