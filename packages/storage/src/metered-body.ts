import { createHash } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import { StorageError } from './storage-error.ts';

export interface Measured {
  readonly bytes: number;
  readonly sha256: string;
  /** Lowercase hex MD5 of the whole body: the ETag S3 servers give an object stored with one PUT. */
  readonly md5: string;
}

/**
 * A body being counted and hashed as it passes. Its chunks end early, without an error, when the body
 * fails, is aborted or grows past `expectedBytes`: the minio client cannot see an error in the stream it
 * uploads (it `pipe`s it) and would wait forever. Whoever consumes the chunks must therefore ask
 * `result()` before treating what it wrote as complete.
 */
export interface MeteredBody {
  /** Single use. Chunks of at most `MAX_CHUNK_BYTES`. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Why the body is unusable, as soon as that is known. */
  failure(): StorageError | undefined;
  /** Once the chunks are exhausted: the size and hash, or the StorageError saying why the body is unusable. */
  result(): Measured;
}

// The minio client cuts parts by reading whatever its splitter has buffered, so a single huge chunk would
// leave as a single huge part; slicing keeps its parts at the configured size.
const MAX_CHUNK_BYTES = 1024 * 1024;

export function meterBody(
  body: Readable,
  options: {
    key: string;
    expectedBytes?: number | undefined;
    signal?: AbortSignal | undefined;
  },
): MeteredBody {
  const { key, expectedBytes, signal } = options;
  if (expectedBytes !== undefined && !(Number.isSafeInteger(expectedBytes) && expectedBytes >= 0)) {
    throw new StorageError('invalid', `expectedBytes must be a byte count, not ${expectedBytes}`, {
      code: 'InvalidArgument',
      key,
    });
  }
  const hash = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  let failure: StorageError | undefined;
  let complete = false;
  let measured: Measured | undefined;

  const sizeMismatch = (what: string) =>
    new StorageError('integrity', `body of ${key} is ${what} the expected ${expectedBytes} bytes`, {
      code: 'SizeMismatch',
      key,
    });

  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      if (signal !== undefined) addAbortSignal(signal, body);
      for await (const chunk of body) {
        const buffer = asBuffer(chunk, key);
        bytes += buffer.length;
        if (expectedBytes !== undefined && bytes > expectedBytes) {
          failure = sizeMismatch('longer than');
          return;
        }
        hash.update(buffer);
        md5.update(buffer);
        for (let at = 0; at < buffer.length; at += MAX_CHUNK_BYTES) {
          yield buffer.subarray(at, at + MAX_CHUNK_BYTES);
        }
      }
      if (expectedBytes !== undefined && bytes !== expectedBytes) {
        failure = sizeMismatch(`${bytes} bytes, not`);
        return;
      }
      complete = true;
    } catch (error) {
      failure = signal?.aborted
        ? new StorageError('aborted', `storing ${key} was aborted`, {
            code: 'Aborted',
            key,
            cause: signal.reason,
          })
        : error instanceof StorageError
          ? error
          : sourceFailure(error, key);
    }
  }

  return {
    chunks: chunks(),
    failure: () => failure,
    result: () => {
      if (failure !== undefined) throw failure;
      if (!complete) {
        throw new StorageError('source-failed', `body of ${key} was not read to its end`, {
          code: 'Incomplete',
          key,
        });
      }
      measured ??= { bytes, sha256: hash.digest('hex'), md5: md5.digest('hex') };
      return measured;
    },
  };
}

/**
 * The ETag S3 servers give an object uploaded in parts: the MD5 of the parts' binary MD5s, then
 * `-<number of parts>`.
 */
export function multipartEtag(partMd5s: readonly Buffer[]): string {
  return `${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-${partMd5s.length}`;
}

function asBuffer(chunk: unknown, key: string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new StorageError('invalid', `body of ${key} yields something other than bytes`, {
    code: 'InvalidBody',
    key,
  });
}

/** The body's own error, kept as the cause; retryable unless the error itself says it is not. */
function sourceFailure(error: unknown, key: string): StorageError {
  const retryable = (error as { retryable?: unknown } | undefined)?.retryable;
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  return new StorageError('source-failed', `body of ${key} failed: ${reason}`, {
    key,
    cause: error,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof retryable === 'boolean' ? { retryable } : {}),
  });
}
