/**
 * Every failure of a Twilio call comes out as a TwilioApiError whose `kind` says what happened and whether
 * trying again can help. Retry decisions are made from `kind` and `retryable`, never from message text.
 */
export type TwilioErrorKind =
  /** 404 / Twilio code 20404: the resource does not exist (or no longer does). */
  | 'not-found'
  /** 401 / 403: credentials are wrong or lack permission; retrying cannot help. */
  | 'unauthorized'
  /** 429 / Twilio code 20429: the account's concurrency limit; the request was not processed. */
  | 'rate-limited'
  /** 5xx, a network failure, a timeout, or a body cut short: worth another try. */
  | 'transient'
  /** Any other 4xx: the request itself is wrong (e.g. 16113, two channels of a mono recording). */
  | 'invalid'
  /**
   * A 200 whose body is not the recording the resource describes (empty, an error page, another length or
   * channel count), or a resource that is not the one asked for: never a copy; another try may do better.
   */
  | 'bad-media'
  /** The download took longer than its deadline (a body trickling in): another try may do better. */
  | 'deadline';

export class TwilioApiError extends Error {
  readonly kind: TwilioErrorKind;
  readonly retryable: boolean;
  /** HTTP status, when a response arrived. */
  readonly status: number | undefined;
  /** Twilio's own error code (20404, 20429, 16113, …), when the body carried one. */
  readonly code: number | undefined;
  /** From a `Retry-After` header, when Twilio sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: TwilioErrorKind,
    message: string,
    details: { status?: number; code?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TwilioApiError';
    this.kind = kind;
    this.retryable =
      kind === 'rate-limited' || kind === 'transient' || kind === 'bad-media' || kind === 'deadline';
    this.status = details.status;
    this.code = details.code;
    this.retryAfterMs = details.retryAfterMs;
  }
}

export function isTwilioNotFound(error: unknown): boolean {
  return error instanceof TwilioApiError && error.kind === 'not-found';
}

function kindOfStatus(status: number, code: number | undefined): TwilioErrorKind {
  if (status === 404 || code === 20404) return 'not-found';
  if (status === 429 || code === 20429) return 'rate-limited';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status >= 500 || status === 408) return 'transient';
  return 'invalid';
}

/** `Retry-After` is either delay-seconds or an HTTP date. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function parseBody(body: unknown): { code?: number; message?: string } {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (value === null || typeof value !== 'object') return {};
  const { code, message } = value as { code?: unknown; message?: unknown };
  return {
    ...(typeof code === 'number' ? { code } : {}),
    ...(typeof message === 'string' ? { message: message.slice(0, 300) } : {}),
  };
}

/** An HTTP error response from Twilio (REST or media). */
export function errorFromResponse(
  what: string,
  status: number,
  body: unknown,
  headers: Record<string, unknown>,
): TwilioApiError {
  const { code, message } = parseBody(body);
  const retryAfterMs = parseRetryAfter(headers['retry-after']);
  const kind = kindOfStatus(status, code);
  const detail = [`HTTP ${status}`, code === undefined ? undefined : `Twilio error ${code}`, message]
    .filter(Boolean)
    .join(', ');
  return new TwilioApiError(kind, `${what}: ${detail}`, {
    status,
    ...(code === undefined ? {} : { code }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** No response at all: refused, reset, timed out, DNS. The request may be retried. */
export function errorFromTransport(what: string, cause: unknown): TwilioApiError {
  const code = (cause as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' ? code : cause instanceof Error ? cause.name : 'network error';
  return new TwilioApiError('transient', `${what}: ${reason}`, { cause });
}
