import { createHash } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';

/** Reads a stream to its end: its size and lowercase hex SHA-256. */
export async function hashStream(
  stream: Readable,
  signal?: AbortSignal,
): Promise<{ bytes: number; sha256: string }> {
  if (signal !== undefined) addAbortSignal(signal, stream);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
