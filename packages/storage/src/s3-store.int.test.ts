import { Readable } from 'node:stream';
import { type S3TestServer, startS3Server } from '@recording-vault/testkit';
import type { Client } from 'minio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from './object-store.ts';
import { createS3Store, S3_PART_SIZE, S3_STAGING_PREFIX } from './s3-store.ts';
import { StorageError } from './storage-error.ts';
import { rawS3Client, s3StoreOn } from './testing/s3-test-clients.ts';
import { digestOf, generated, pseudoRandomChunks } from './testing/test-bodies.ts';

// What every store does is in object-store-contract.int.test.ts; here is which S3 calls it takes to do it,
// counted by the test server, and what only a server that goes away can show.

const BUCKET = 'recordings';
const MiB = 1024 * 1024;
const KEY = `AC${'1'.repeat(32)}/2026/03/07/CA${'2'.repeat(32)}/RE${'3'.repeat(32)}.wav`;

describe('createS3Store against an S3 server, through the minio client', () => {
  let server: S3TestServer;
  let store: ObjectStore;
  let client: Client;

  const storeFor = (bucket: string) => s3StoreOn(server, bucket);

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    store = storeFor(BUCKET);
    await store.ensureBucket();
    client = rawS3Client(server);
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server.clearOperations();
  });

  /** Nothing left behind by a put: no staging object and no multipart upload in progress. */
  const leftovers = async () => {
    const staged = await Readable.from(client.listObjectsV2(BUCKET, S3_STAGING_PREFIX, true)).toArray();
    const { uploads } = await client.listIncompleteUploadsQuery(BUCKET, '', '', '', '');
    return [...staged.map((item: { name?: string }) => item.name), ...uploads.map((upload) => upload.key)];
  };

  it('uploads a body larger than a part straight to its key, in parts of exactly the part size', async () => {
    const size = 5 * S3_PART_SIZE + 5;
    const stored = await store.put(KEY, generated(size, 1), {
      contentType: 'audio/x-wav',
      expectedBytes: size,
    });
    expect(stored).toMatchObject({
      bytes: size,
      sha256: digestOf(size, 1),
      md5: expect.stringMatching(/^[0-9a-f]{32}$/),
      multipartEtag: expect.stringMatching(/^[0-9a-f]{32}-6$/),
    });

    // Written once: no staging copy.
    expect(server.operationCount('CreateMultipartUpload')).toBe(1);
    expect(server.operationCount('CompleteMultipartUpload')).toBe(1);
    expect(server.operationCount('CopyObject')).toBe(0);
    const parts = server.operations.filter((op) => op.name === 'UploadPart');
    expect(parts.every((op) => op.key === KEY)).toBe(true);
    expect(parts.map((op) => op.bytes)).toEqual([...Array.from({ length: 5 }, () => S3_PART_SIZE), 5]);
    expect(await leftovers()).toEqual([]);
  });

  it('uploads a large body of unknown length in parts', async () => {
    await store.put('unknown-length.wav', generated(20 * MiB + 7, 2), { contentType: 'audio/x-wav' });
    expect(server.operationCount('UploadPart')).toBeGreaterThanOrEqual(2);
    expect(await leftovers()).toEqual([]);
  });

  it('stores a small body with one PUT that carries its record', async () => {
    const body = Buffer.from('RIFF....WAVEfmt small recording');
    const stored = await store.put('small.wav', Readable.from([body]), {
      contentType: 'audio/x-wav',
      expectedBytes: body.length,
    });
    expect(server.operations.map((op) => op.name)).toEqual(['PutObject']);
    expect(await store.stat('small.wav')).toEqual(stored);
  });

  it('refuses keys and metadata that are invalid before sending anything', async () => {
    for (const key of ['../escape.wav', '/absolute.wav', '.incoming/mine', 'a//b']) {
      await expect(store.put(key, Readable.from([]), { contentType: 'audio/x-wav' })).rejects.toMatchObject({
        kind: 'invalid',
        retryable: false,
      });
    }
    await expect(
      store.putBuffer('meta.wav', Buffer.from('x'), {
        contentType: 'audio/x-wav',
        metadata: { sha256: 'forged' },
      }),
    ).rejects.toMatchObject({ kind: 'invalid' });
    await expect(store.getRange('.incoming/x', 0, 0)).rejects.toMatchObject({ code: 'InvalidKey' });
    expect(server.operations).toEqual([]);
  });

  it('fails with a retryable error while storage is down, and works once it is back', async () => {
    await store.putBuffer('before.txt', Buffer.from('before'), { contentType: 'text/plain' });
    await server.stop();
    try {
      for (const attempt of [
        () => store.putBuffer('during.txt', Buffer.from('during'), { contentType: 'text/plain' }),
        () => store.put('during.wav', generated(20 * MiB, 6), { contentType: 'audio/x-wav' }),
        () => store.stat('before.txt'),
        () => store.check(),
      ]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(StorageError);
        expect(error).toMatchObject({ kind: 'unavailable', retryable: true });
      }
    } finally {
      await server.start();
    }
    await store.check();
    await store.putBuffer('after.txt', Buffer.from('after'), { contentType: 'text/plain' });
    expect(await store.stat('before.txt')).toMatchObject({ bytes: 6 });
    expect(await store.stat('after.txt')).toMatchObject({ bytes: 5 });
  });

  it('reads a range with one GET, also where the server answers more than was asked', async () => {
    const size = 3 * MiB + 5;
    await store.put('range.wav', generated(size, 7), { contentType: 'audio/x-wav' });
    const whole = Buffer.concat([...pseudoRandomChunks(size, 7)]);
    const read = async (start: number, end: number) =>
      Buffer.concat(await (await store.getRange('range.wav', start, end)).toArray());
    server.clearOperations();
    // s3rver answers bytes=0-0 with the whole object: the store cuts it to the byte asked.
    expect(await read(0, 0)).toEqual(whole.subarray(0, 1));
    expect(await read(size - 1, size - 1)).toEqual(whole.subarray(size - 1));
    expect(await read(MiB - 3, 2 * MiB + 2)).toEqual(whole.subarray(MiB - 3, 2 * MiB + 3));
    expect(await read(0, size - 1)).toEqual(whole);
    expect(server.operations.map((op) => op.name)).toEqual(Array(4).fill('GetObject'));
  });

  it('names a missing bucket NoSuchBucket', async () => {
    const missing = storeFor('never-made');
    await expect(missing.check()).rejects.toMatchObject({ kind: 'not-found', code: 'NoSuchBucket' });
    const listing = (async () => {
      for await (const _key of missing.list()) return;
    })();
    await expect(listing).rejects.toMatchObject({ kind: 'not-found', code: 'NoSuchBucket' });
  });

  it('refuses a part size outside 5..64 MiB', () => {
    const config = {
      endpoint: server.endpoint,
      accessKey: 'a',
      secretKey: 'b',
      region: 'us-east-1',
      bucket: 'bkt',
    };
    expect(() => createS3Store({ ...config, partSize: 4 * MiB })).toThrow(StorageError);
    expect(() => createS3Store({ ...config, partSize: 65 * MiB })).toThrow(StorageError);
    expect(() => createS3Store({ ...config, bucket: 'No_Such' })).toThrow(StorageError);
    expect(() => createS3Store({ ...config, endpoint: 'ftp://example.com' })).toThrow(StorageError);
  });
});
