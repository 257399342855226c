import { createHash, randomBytes } from 'node:crypto';
import type { CopyProof, ExpectedCopy } from './object-store.ts';
import { StorageError } from './storage-error.ts';

/** Proves a copy by reading its bytes back: `hash` reads and hashes what the store holds at `key`. */
export async function proveByReadBack(
  hash: (key: string, options?: { signal?: AbortSignal }) => Promise<{ bytes: number; sha256: string }>,
  key: string,
  expected: ExpectedCopy,
  signal: AbortSignal | undefined,
): Promise<CopyProof> {
  let actual: { bytes: number; sha256: string };
  try {
    actual = await hash(key, signal ? { signal } : {});
  } catch (error) {
    if (error instanceof StorageError && error.kind === 'not-found') return nothingAt('read-back');
    throw error;
  }
  return {
    method: 'read-back',
    matches: actual.bytes === expected.bytes && actual.sha256 === expected.sha256,
    found: `${actual.bytes} bytes, sha256 ${actual.sha256}`,
    bytesRead: actual.bytes,
  };
}

export function nothingAt(method: CopyProof['method']): CopyProof {
  return { method, matches: false, found: 'nothing', bytesRead: 0 };
}

/** An ETag as servers send it (`"…"`, sometimes `W/"…"`, any case) in the form digests are compared in. */
export function normalEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
}

/** Whether an ETag is one of the forms an MD5 digest takes in S3: 32 hex digits, or that and `-<parts>`. */
export function looksLikeMd5Etag(etag: string | undefined): boolean {
  return etag !== undefined && /^[0-9a-f]{32}(?:-\d+)?$/.test(etag);
}

/** A small body whose MD5 a server's ETag is compared with, to learn whether its ETags are digests. */
export function probeBody(): { body: Buffer; md5: string } {
  const body = randomBytes(1024);
  return { body, md5: createHash('md5').update(body).digest('hex') };
}
