import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Bodies for the storage tests: large, deterministic, generated lazily, and failing on demand. */

export function* pseudoRandomChunks(size: number, seed: number): Generator<Buffer> {
  let state = seed * 0x9e3779b9 || 1;
  for (let offset = 0; offset < size; offset += 64 * 1024) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, size - offset));
    for (let i = 0; i < chunk.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk[i] = state & 0xff;
    }
    yield chunk;
  }
}

export function generated(size: number, seed: number): Readable {
  return Readable.from(pseudoRandomChunks(size, seed), { objectMode: false });
}

export function digestOf(size: number, seed: number): string {
  const hash = createHash('sha256');
  for (const chunk of pseudoRandomChunks(size, seed)) hash.update(chunk);
  return hash.digest('hex');
}

/** A download cut off after `bytes`. */
export function failingAfter(bytes: number): Readable {
  return Readable.from(
    (async function* () {
      yield* pseudoRandomChunks(bytes, 9);
      throw Object.assign(new Error('connection reset by peer'), { code: 'ECONNRESET' });
    })(),
    { objectMode: false },
  );
}

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

export async function sha256Of(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}
