import { createHash } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';

export class BodyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyMismatchError';
  }
}

/**
 * The stored bytes as they flow to a client, checked on the way: exactly `bytes` of them, and, for a whole
 * object, the recorded SHA-256. The last chunk is held back until the hash is known, so a copy whose bytes
 * changed since it was verified fails before its end is sent: the client sees a cut response, never a whole
 * wrong one. Stored copies are verified once when archived; this guards against what happened since.
 */
export function verifiedBody(source: Readable, expected: { bytes: number; sha256?: string }): Readable {
  const hash = expected.sha256 === undefined ? undefined : createHash('sha256');
  let seen = 0;
  let held: Buffer | undefined;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      seen += chunk.length;
      if (seen > expected.bytes) {
        done(new BodyMismatchError(`storage gave more than the ${expected.bytes} bytes recorded`));
        return;
      }
      hash?.update(chunk);
      const previous = held;
      held = hash ? chunk : undefined;
      done(null, hash ? previous : chunk);
    },
    flush(done: TransformCallback) {
      if (seen !== expected.bytes) {
        done(new BodyMismatchError(`storage gave ${seen} bytes where ${expected.bytes} are recorded`));
        return;
      }
      if (hash && hash.digest('hex') !== expected.sha256) {
        done(
          new BodyMismatchError(`the stored bytes no longer have the recorded SHA-256 ${expected.sha256}`),
        );
        return;
      }
      done(null, held);
    },
  });
  source.once('error', (error) => check.destroy(error));
  // A client that goes away releases the file or the connection to storage.
  check.once('close', () => source.destroy());
  source.pipe(check);
  return check;
}
