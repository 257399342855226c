import {
  type S3FaultFront,
  type S3TestServer,
  startS3FaultFront,
  startS3Server,
} from '@recording-vault/testkit';
import type { Client } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from './object-store.ts';
import { S3_RECORDS_PREFIX } from './s3-store.ts';
import { rawS3Client, s3StoreOn } from './testing/s3-test-clients.ts';
import { generated } from './testing/test-bodies.ts';

const BUCKET = 'recordings';
const MiB = 1024 * 1024;
const PART = 5 * MiB;
const LARGE = 2 * PART + 11;

/**
 * An object uploaded in parts gets its record (size and digests, known only at the end) beside it, in
 * `.records/<key>.json`, bound to the object by its ETag and written before the upload is completed.
 */
describe('the record of an object uploaded in parts', () => {
  let server: S3TestServer;
  let store: ObjectStore;
  let client: Client;

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    store = s3StoreOn(server, BUCKET, { partSize: PART });
    client = rawS3Client(server);
  });
  afterAll(async () => {
    await server?.close();
  });

  const exists = async (key: string) =>
    await client.statObject(BUCKET, key).then(
      () => true,
      () => false,
    );

  it('is written beside it, read back by stat, never listed, and removed with it', async () => {
    const stored = await store.put('calls/large.wav', generated(LARGE, 1), {
      contentType: 'audio/x-wav',
      metadata: { 'recording-sid': 'RE1' },
    });
    expect(await exists(`${S3_RECORDS_PREFIX}calls/large.wav.json`)).toBe(true);
    expect(await store.stat('calls/large.wav')).toEqual(stored);
    const listed: string[] = [];
    for await (const key of store.list('calls/')) listed.push(key);
    expect(listed).toEqual(['calls/large.wav']);

    await store.delete('calls/large.wav');
    expect(await store.stat('calls/large.wav')).toBeUndefined();
    expect(await exists(`${S3_RECORDS_PREFIX}calls/large.wav.json`)).toBe(false);
  });

  it('is written before the upload is completed, so the object is never at its key without it', async () => {
    server.clearOperations();
    await store.put('calls/ordered.wav', generated(LARGE, 7), { contentType: 'audio/x-wav' });
    const names = server.operations.map((operation) => `${operation.name} ${operation.key}`);
    expect(names).toEqual([
      'CreateMultipartUpload calls/ordered.wav',
      'UploadPart calls/ordered.wav',
      'UploadPart calls/ordered.wav',
      'UploadPart calls/ordered.wav',
      `GetObject ${S3_RECORDS_PREFIX}calls/ordered.wav.json`,
      `PutObject ${S3_RECORDS_PREFIX}calls/ordered.wav.json`,
      'CompleteMultipartUpload calls/ordered.wav',
    ]);
  });

  it('of an earlier object at the key is not taken for the record of the one there now', async () => {
    await store.put('calls/replaced.wav', generated(LARGE, 2), { contentType: 'audio/x-wav' });
    // Another body reaches the key in parts without the store (as if a crash came before its record).
    await client.putObject(BUCKET, 'calls/replaced.wav', generated(LARGE, 3), LARGE, {
      'Content-Type': 'audio/x-wav',
    });
    await expect(store.stat('calls/replaced.wav')).rejects.toMatchObject({ kind: 'unrecorded' });
  });

  it('read takes one request for an object stored with one PUT, and one more for one uploaded in parts', async () => {
    await store.put('calls/small.wav', generated(MiB, 5), { contentType: 'audio/x-wav' });
    await store.put('calls/parts.wav', generated(LARGE, 6), { contentType: 'audio/x-wav' });
    for (const [key, requests] of [
      ['calls/small.wav', ['GetObject']],
      ['calls/parts.wav', ['GetObject', 'GetObject']],
    ] as const) {
      server.clearOperations();
      const { body } = await store.read(key);
      body.resume();
      expect(server.operations.map((operation) => operation.name)).toEqual(requests);
    }
  });

  it('of the first version (one record and its ETag) is still read', async () => {
    const stored = await store.put('calls/v1.wav', generated(LARGE, 14), { contentType: 'audio/x-wav' });
    const { etag } = await client.statObject(BUCKET, 'calls/v1.wav');
    const { key: _key, ...fields } = stored;
    for (const [recordEtag, found] of [
      [etag, true],
      ['', false],
    ] as const) {
      const v1 = Buffer.from(
        JSON.stringify({ version: 1, key: 'calls/v1.wav', ...fields, etag: recordEtag }),
      );
      await client.putObject(BUCKET, `${S3_RECORDS_PREFIX}calls/v1.wav.json`, v1, v1.length);
      if (found) expect(await store.stat('calls/v1.wav')).toEqual(stored);
      else await expect(store.stat('calls/v1.wav')).rejects.toMatchObject({ kind: 'unrecorded' });
    }
  });

  it('missing leaves the object unrecorded: it proves nothing', async () => {
    await store.put('calls/bare.wav', generated(LARGE, 4), { contentType: 'audio/x-wav' });
    await client.removeObject(BUCKET, `${S3_RECORDS_PREFIX}calls/bare.wav.json`);
    await expect(store.stat('calls/bare.wav')).rejects.toMatchObject({ kind: 'unrecorded' });
  });
});

describe('the record of an object uploaded in parts, on a server whose ETags are not MD5 digests', () => {
  let server: S3TestServer;
  let front: S3FaultFront;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    front = await startS3FaultFront(server.endpoint, { opaqueEtags: true });
    store = s3StoreOn(server, BUCKET, { endpoint: front.endpoint, partSize: PART });
  });
  afterAll(async () => {
    await front?.close();
    await server?.close();
  });

  it('is written again with the ETag the server answered, and the copy is proved by reading it back', async () => {
    expect(await store.hasMd5Etags()).toBe(false);
    server.clearOperations();
    const stored = await store.put('calls/sealed.wav', generated(LARGE, 8), { contentType: 'audio/x-wav' });
    expect(server.operations.map((operation) => operation.name).slice(-4)).toEqual([
      'PutObject',
      'CompleteMultipartUpload',
      'HeadObject',
      'PutObject',
    ]);
    expect(await store.stat('calls/sealed.wav')).toEqual(stored);
    expect(await store.prove('calls/sealed.wav', stored, { method: 'etag' })).toMatchObject({
      method: 'read-back',
      matches: true,
      bytesRead: LARGE,
    });
  });
});

describe('the record of an object uploaded in parts, when an upload over it fails', () => {
  let server: S3TestServer;
  let front: S3FaultFront;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    front = await startS3FaultFront(server.endpoint);
    store = s3StoreOn(server, BUCKET, { endpoint: front.endpoint, partSize: PART });
  });
  afterAll(async () => {
    await front?.close();
    await server?.close();
  });

  it('stays the record of the object still at the key, after the new one was written beside it', async () => {
    const first = await store.put('calls/kept.wav', generated(LARGE, 10), { contentType: 'audio/x-wav' });
    for (const seed of [11, 12]) {
      front.refuseNext('CompleteMultipartUpload');
      await expect(
        store.put('calls/kept.wav', generated(LARGE, seed), { contentType: 'audio/x-wav' }),
      ).rejects.toMatchObject({ retryable: true });
      expect(await store.stat('calls/kept.wav')).toEqual(first);
      expect(await store.hash('calls/kept.wav')).toEqual({ bytes: LARGE, sha256: first.sha256 });
    }
    const next = await store.put('calls/kept.wav', generated(LARGE, 13), { contentType: 'audio/x-wav' });
    expect(next.sha256).not.toBe(first.sha256);
    expect(await store.stat('calls/kept.wav')).toEqual(next);
  });
});
