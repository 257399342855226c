/**
 * Every failure of a store comes out as a StorageError whose `kind` says what happened and whether trying
 * again can help. Retry decisions are made from `kind` and `retryable`, never from message text.
 */
export type StorageErrorKind =
  /** Network failure, timeout, 5xx, throttling, a full disk: worth another try. */
  | 'unavailable'
  /** Credentials or permissions refused: retrying cannot help. */
  | 'denied'
  /** The object (or the bucket, or the folder) does not exist. */
  | 'not-found'
  /** The request itself is wrong: a bad key, metadata or configuration. */
  | 'invalid'
  /** The body's length differs from `expectedBytes`, or the store holds other bytes than were sent. */
  | 'integrity'
  /** The body stream failed while being read; `cause` is its error. */
  | 'source-failed'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** An object at a final key without the size and hash this package records with every object. */
  | 'unrecorded'
  /** A failure this package does not recognise. */
  | 'unknown';

const RETRYABLE_KINDS: ReadonlySet<StorageErrorKind> = new Set([
  'unavailable',
  'integrity',
  'source-failed',
  'aborted',
  'unknown',
]);

export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  readonly retryable: boolean;
  /** The underlying code when there is one: an S3 error code (`NoSuchBucket`) or an errno (`ECONNREFUSED`). */
  readonly code: string | undefined;
  /** The object key the operation was about. */
  readonly key: string | undefined;

  constructor(
    kind: StorageErrorKind,
    message: string,
    details: { code?: string; key?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'StorageError';
    this.kind = kind;
    this.retryable = details.retryable ?? RETRYABLE_KINDS.has(kind);
    this.code = details.code;
    this.key = details.key;
  }
}

export function isStorageNotFound(error: unknown): boolean {
  return error instanceof StorageError && error.kind === 'not-found';
}

// S3 error codes (AWS and MinIO) by what they mean for a retry.
const S3_CODE_KINDS: Readonly<Record<string, StorageErrorKind>> = {
  InternalError: 'unavailable',
  ServiceUnavailable: 'unavailable',
  SlowDown: 'unavailable',
  RequestTimeout: 'unavailable',
  OperationAborted: 'unavailable',
  XMinioServerNotInitialized: 'unavailable',
  XMinioReadQuorum: 'unavailable',
  XMinioWriteQuorum: 'unavailable',
  XMinioStorageFull: 'unavailable',
  AccessDenied: 'denied',
  AccountProblem: 'denied',
  AllAccessDisabled: 'denied',
  ExpiredToken: 'denied',
  InvalidAccessKeyId: 'denied',
  InvalidToken: 'denied',
  SignatureDoesNotMatch: 'denied',
  RequestTimeTooSkewed: 'denied',
  // The server computed another digest of the body than the request declared (Content-MD5, or the signed
  // SHA-256): the bytes changed on the way; sending them again can succeed.
  BadDigest: 'integrity',
  XAmzContentSHA256Mismatch: 'integrity',
  NoSuchBucket: 'not-found',
  NoSuchKey: 'not-found',
  NoSuchUpload: 'not-found',
  NotFound: 'not-found',
  EntityTooLarge: 'invalid',
  InvalidArgument: 'invalid',
  InvalidBucketName: 'invalid',
  InvalidObjectName: 'invalid',
  InvalidRequest: 'invalid',
  KeyTooLongError: 'invalid',
  MalformedXML: 'invalid',
  MetadataTooLarge: 'invalid',
  MethodNotAllowed: 'invalid',
  NotImplemented: 'invalid',
  MovedPermanently: 'invalid',
  TemporaryRedirect: 'invalid',
  PermanentRedirect: 'invalid',
  AuthorizationHeaderMalformed: 'invalid',
};

// Node's socket, DNS and file system errors by what they mean for a retry.
const ERRNO_KINDS: Readonly<Record<string, StorageErrorKind>> = {
  ECONNREFUSED: 'unavailable',
  ECONNRESET: 'unavailable',
  ECONNABORTED: 'unavailable',
  EPIPE: 'unavailable',
  ETIMEDOUT: 'unavailable',
  EHOSTUNREACH: 'unavailable',
  ENETUNREACH: 'unavailable',
  ENETDOWN: 'unavailable',
  ENOTFOUND: 'unavailable',
  EAI_AGAIN: 'unavailable',
  ERR_STREAM_PREMATURE_CLOSE: 'unavailable',
  ENOSPC: 'unavailable',
  EDQUOT: 'unavailable',
  EIO: 'unavailable',
  EAGAIN: 'unavailable',
  EBUSY: 'unavailable',
  EMFILE: 'unavailable',
  ENFILE: 'unavailable',
  ESTALE: 'unavailable',
  EACCES: 'denied',
  EPERM: 'denied',
  EROFS: 'denied',
  ENOENT: 'not-found',
  ENOTDIR: 'invalid',
  EISDIR: 'invalid',
  ENAMETOOLONG: 'invalid',
  EINVAL: 'invalid',
  EEXIST: 'invalid',
};

/**
 * Turns whatever a client or the file system threw into a StorageError, by its `code` property.
 * Errors that are already StorageErrors pass through.
 */
export function toStorageError(error: unknown, action: string, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = codeOf(error);
  const kind = (code === undefined ? undefined : (S3_CODE_KINDS[code] ?? ERRNO_KINDS[code])) ?? 'unknown';
  const reason = error instanceof Error ? error.message : String(error);
  const details = key === undefined ? { code, cause: error } : { code, key, cause: error };
  const subject = key === undefined ? action : `${action} ${key}`;
  const suffix = code === undefined || reason.includes(code) ? '' : ` (${code})`;
  return new StorageError(kind, `${subject}: ${reason}${suffix}`, details);
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  // A connection to a name with several addresses fails with an AggregateError of per-address errors.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = codeOf(inner);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}
