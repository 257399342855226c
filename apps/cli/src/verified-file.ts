import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Measured {
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
}

/** What was measured of the bytes, and whether they were the expected ones (then, and only then, at `path`). */
export interface WriteOutcome extends Measured {
  matched: boolean;
}

/**
 * Writes `body` to `path` only if it is the expected bytes. They go into a temporary file beside `path`
 * (same folder, so the rename cannot cross file systems) while their size and SHA-256 are measured, flushed
 * to disk, and renamed over `path` when both match; otherwise the temporary file is removed and `path` is
 * left as it was. A body that fails, or a signal that fires, leaves nothing either and rejects.
 */
export async function writeVerifiedFile(
  body: Readable,
  path: string,
  expected: Measured,
  signal?: AbortSignal,
): Promise<WriteOutcome> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomUUID()}.part`);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, meter, createWriteStream(temporary, { flags: 'wx', flush: true }), {
      ...(signal ? { signal } : {}),
    });
    const measured = { bytes, sha256: hash.digest('hex') };
    const matched = measured.bytes === expected.bytes && measured.sha256 === expected.sha256;
    if (matched) await rename(temporary, path);
    else await unlink(temporary);
    return { ...measured, matched };
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
