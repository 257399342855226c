import {
  rgwSkipReason,
  type S3FaultFront,
  startRgwServer,
  startS3FaultFront,
  startS3Server,
} from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from './object-store.ts';
import { s3StoreOn, type TestS3Server } from './testing/s3-test-clients.ts';
import { generated } from './testing/test-bodies.ts';

const BUCKET = 'recordings';
const MiB = 1024 * 1024;
const PART = 5 * MiB;

interface Server extends Omit<TestS3Server, 'port'> {
  close(): Promise<void>;
}

/** A store that reaches its server through a front that flips one byte of the uploads it is told to. */
async function throughFront(server: Server): Promise<{ store: ObjectStore; front: S3FaultFront }> {
  const front = await startS3FaultFront(server.endpoint);
  const store = s3StoreOn(server, BUCKET, { endpoint: front.endpoint, partSize: PART });
  return { store, front };
}

const uploads = [
  ['one PUT', 'PutObject', MiB + 5],
  ['one part of a multipart upload', 'UploadPart', 2 * PART + 5],
] as const;

// Ceph RGW checks Content-MD5 (and the signed SHA-256): a damaged body is refused, and the put fails as
// retryable, leaving nothing at the key.
describe.skipIf(rgwSkipReason() !== undefined)('a body damaged on its way to Ceph RGW', () => {
  let server: Server;
  let store: ObjectStore;
  let front: S3FaultFront;
  beforeAll(async () => {
    server = await startRgwServer({ buckets: [BUCKET] });
    ({ store, front } = await throughFront(server));
  });
  afterAll(async () => {
    await front?.close();
    await server?.close();
  });

  it.each(uploads)(
    'in %s is refused by the server; the put fails as retryable',
    async (_, operation, size) => {
      const key = `damaged/${operation}.wav`;
      front.corruptNext(operation, (at) => at === key);
      await expect(store.put(key, generated(size, 1), { contentType: 'audio/x-wav' })).rejects.toMatchObject({
        kind: 'integrity',
        retryable: true,
        code: expect.stringMatching(/^(BadDigest|XAmzContentSHA256Mismatch)$/),
      });
      expect(front.corrupted.at(-1)).toMatchObject({ operation, key, status: 400 });
      expect(await store.exists(key)).toBe(false);

      // Sent again whole, it is stored and proved by its ETag.
      const stored = await store.put(key, generated(size, 1), { contentType: 'audio/x-wav' });
      expect(await store.prove(key, stored, { method: 'etag' })).toMatchObject({
        method: 'etag',
        matches: true,
      });
    },
  );
});

// The S3 test double checks no digest: it stores the damaged bytes, and the proof catches them.
describe('a body damaged on its way to the S3 test double', () => {
  let server: Server;
  let store: ObjectStore;
  let front: S3FaultFront;
  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    ({ store, front } = await throughFront(server));
  });
  afterAll(async () => {
    await front?.close();
    await server?.close();
  });

  it.each(uploads)('in %s is stored, and its proof fails', async (_, operation, size) => {
    const key = `damaged/${operation}.wav`;
    front.corruptNext(operation, (at) => at === key);
    const stored = await store.put(key, generated(size, 2), { contentType: 'audio/x-wav' });
    expect(front.corrupted.at(-1)).toMatchObject({ operation, key, status: 200 });
    // The ETag is the server's digest of the damaged bytes: it decides nothing, the bytes read back do.
    expect(await store.prove(key, stored, { method: 'etag' })).toMatchObject({
      method: 'read-back',
      matches: false,
    });
  });
});
