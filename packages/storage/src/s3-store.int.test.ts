import { Readable } from 'node:stream';
import { type S3TestServer, startS3Server } from '@recording-vault/testkit';
import { Client } from 'minio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ObjectStore } from './object-store.ts';
import { createS3Store, S3_PART_SIZE, S3_STAGING_PREFIX } from './s3-store.ts';
import { StorageError } from './storage-error.ts';
import {
  digestOf,
  failingAfter,
  generated,
  pseudoRandomChunks,
  sha256,
  sha256Of,
} from './testing/test-bodies.ts';

const BUCKET = 'recordings';
const MiB = 1024 * 1024;
const KEY = `AC${'1'.repeat(32)}/2026/03/07/CA${'2'.repeat(32)}/RE${'3'.repeat(32)}.wav`;

describe('createS3Store against an S3 server, through the minio client', () => {
  let server: S3TestServer;
  let store: ObjectStore;
  let client: Client;

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    const config = {
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
    };
    store = createS3Store({ ...config, bucket: BUCKET });
    await store.ensureBucket();
    client = new Client({
      endPoint: '127.0.0.1',
      port: server.port,
      useSSL: false,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
      retryOptions: { disableRetry: true },
    });
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

  it('stores 100 MiB through the multipart path, reads it back and reports the recorded size and hash', async () => {
    const size = 100 * MiB;
    const stored = await store.put(KEY, generated(size, 1), {
      contentType: 'audio/x-wav',
      expectedBytes: size,
      metadata: { 'recording-sid': `RE${'3'.repeat(32)}`, duration: '3600' },
    });

    const expected = digestOf(size, 1);
    expect(stored).toEqual({
      key: KEY,
      bytes: size,
      sha256: expected,
      md5: expect.stringMatching(/^[0-9a-f]{32}$/),
      multipartEtag: expect.stringMatching(/^[0-9a-f]{32}-13$/),
      contentType: 'audio/x-wav',
      metadata: { 'recording-sid': `RE${'3'.repeat(32)}`, duration: '3600' },
    });
    // Straight to its key in parts of exactly S3_PART_SIZE (the last shorter), written once: no staging copy.
    expect(server.operationCount('CreateMultipartUpload')).toBe(1);
    expect(server.operationCount('CompleteMultipartUpload')).toBe(1);
    expect(server.operationCount('CopyObject')).toBe(0);
    const parts = server.operations.filter((op) => op.name === 'UploadPart');
    expect(parts.every((op) => op.key === KEY)).toBe(true);
    expect(parts.map((op) => op.bytes)).toEqual([
      ...Array.from({ length: 12 }, () => S3_PART_SIZE),
      size - 12 * S3_PART_SIZE,
    ]);

    expect(await store.stat(KEY)).toEqual(stored);
    expect(await sha256Of(await store.get(KEY))).toEqual({ bytes: size, sha256: expected });
    expect(await store.hash(KEY)).toEqual({ bytes: size, sha256: expected });
    expect(await leftovers()).toEqual([]);
  });

  it('stores a large body of unknown length', async () => {
    const size = 20 * MiB + 7;
    const stored = await store.put('unknown-length.wav', generated(size, 2), { contentType: 'audio/x-wav' });
    expect(stored).toMatchObject({ bytes: size, sha256: digestOf(size, 2) });
    expect(server.operationCount('UploadPart')).toBeGreaterThanOrEqual(2);
    expect(await store.hash('unknown-length.wav')).toEqual({ bytes: size, sha256: digestOf(size, 2) });
    expect(await leftovers()).toEqual([]);
  });

  it('stores a small body with one PUT that carries its record', async () => {
    const body = Buffer.from('RIFF....WAVEfmt small recording');
    const stored = await store.put('small.wav', Readable.from([body]), {
      contentType: 'audio/x-wav',
      expectedBytes: body.length,
    });
    expect(stored).toMatchObject({ bytes: body.length, sha256: sha256(body) });
    expect(server.operations.map((op) => op.name)).toEqual(['PutObject']);
    expect(await store.stat('small.wav')).toEqual(stored);
    expect(Buffer.concat(await (await store.get('small.wav')).toArray())).toEqual(body);

    const empty = await store.put('empty.wav', Readable.from([]), {
      contentType: 'audio/x-wav',
      expectedBytes: 0,
    });
    expect(empty).toMatchObject({ bytes: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(await store.hash('empty.wav')).toEqual({ bytes: 0, sha256: sha256(Buffer.alloc(0)) });
  });

  it('writes sidecar JSON with its record', async () => {
    const value = { recordingSid: `RE${'3'.repeat(32)}`, channels: 2 };
    const stored = await store.putJson(`${KEY}.json`, value, { source: 'test' });
    expect(stored).toMatchObject({ contentType: 'application/json', metadata: { source: 'test' } });
    expect(await store.stat(`${KEY}.json`)).toEqual(stored);
    const text = Buffer.concat(await (await store.get(`${KEY}.json`)).toArray()).toString();
    expect(JSON.parse(text)).toEqual(value);
  });

  it('reports a missing object as undefined, absent and not found', async () => {
    expect(await store.stat('missing.wav')).toBeUndefined();
    expect(await store.exists('missing.wav')).toBe(false);
    await expect(store.get('missing.wav')).rejects.toMatchObject({ kind: 'not-found', retryable: false });
    await expect(store.hash('missing.wav')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(store.delete('missing.wav')).resolves.toBeUndefined();
  });

  it.each([
    ['within the first part', 3 * MiB],
    ['after several parts', 40 * MiB],
  ])('leaves nothing at the key when the body fails %s', async (_when, failAfter) => {
    const key = `failing-${failAfter}.wav`;
    const error = await store
      .put(key, failingAfter(failAfter), { contentType: 'audio/x-wav', expectedBytes: 100 * MiB })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ kind: 'source-failed', retryable: true, code: 'ECONNRESET', key });
    expect(await store.exists(key)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('keeps the previous object whole when a later put of the same key fails', async () => {
    const first = await store.put('kept.wav', generated(20 * MiB, 3), { contentType: 'audio/x-wav' });
    await expect(
      store.put('kept.wav', failingAfter(18 * MiB), { contentType: 'audio/x-wav', expectedBytes: 20 * MiB }),
    ).rejects.toMatchObject({ kind: 'source-failed' });
    expect(await store.stat('kept.wav')).toEqual(first);
    expect(await store.hash('kept.wav')).toEqual({ bytes: first.bytes, sha256: first.sha256 });
  });

  it.each([
    ['shorter', 20 * MiB - 1],
    ['longer', 20 * MiB + 1],
    ['shorter, small', 1000],
  ])('refuses a body %s than expectedBytes and leaves nothing', async (_name, actual) => {
    const expectedBytes = actual === 1000 ? 1001 : 20 * MiB;
    const key = `mismatch-${actual}.wav`;
    await expect(
      store.put(key, generated(actual, 4), { contentType: 'audio/x-wav', expectedBytes }),
    ).rejects.toMatchObject({ kind: 'integrity', code: 'SizeMismatch', retryable: true });
    expect(await store.exists(key)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('stops when the signal fires and leaves nothing', async () => {
    const controller = new AbortController();
    const body = Readable.from(
      (function* () {
        let passed = 0;
        for (const chunk of pseudoRandomChunks(100 * MiB, 5)) {
          yield chunk;
          passed += chunk.length;
          if (passed === 30 * MiB) controller.abort();
        }
      })(),
      { objectMode: false },
    );
    await expect(
      store.put('aborted.wav', body, { contentType: 'audio/x-wav', signal: controller.signal }),
    ).rejects.toMatchObject({ kind: 'aborted', retryable: true });
    expect(await store.exists('aborted.wav')).toBe(false);
    expect(await leftovers()).toEqual([]);
  });

  it('hash reads the bytes really stored: an object changed behind its back shows', async () => {
    const original = Buffer.alloc(4096, 1);
    const stored = await store.putBuffer('changed.wav', original, { contentType: 'audio/x-wav' });
    // Same size, same recorded metadata, other bytes.
    const stat = await client.statObject(BUCKET, 'changed.wav');
    await client.putObject(BUCKET, 'changed.wav', Buffer.alloc(4096, 2), 4096, stat.metaData);

    expect(await store.stat('changed.wav')).toEqual(stored);
    const actual = await store.hash('changed.wav');
    expect(actual.bytes).toBe(4096);
    expect(actual.sha256).not.toBe(stored.sha256);
    expect(actual.sha256).toBe(sha256(Buffer.alloc(4096, 2)));
  });

  it('refuses to report an object that has no record', async () => {
    await client.putObject(BUCKET, 'foreign.wav', Buffer.from('not ours'));
    expect(await store.exists('foreign.wav')).toBe(true);
    await expect(store.stat('foreign.wav')).rejects.toMatchObject({ kind: 'unrecorded', retryable: false });
  });

  it('refuses keys that are invalid before sending anything', async () => {
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

  /** Every key `list` gives, sorted. */
  const listed = async (from: ObjectStore, prefix?: string) => {
    const keys: string[] = [];
    for await (const key of from.list(prefix)) keys.push(key);
    return keys.sort();
  };

  it('lists every key under a prefix, never a staging object', async () => {
    const listing = createS3Store({
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
      bucket: 'listing',
    });
    await listing.ensureBucket();
    const keys = ['AC1/2026/a.wav', 'AC1/2026/a.wav.json', 'AC1/b.wav', 'AC2/c.wav', 'top.wav'];
    for (const key of keys) await listing.putBuffer(key, Buffer.from(key), { contentType: 'audio/x-wav' });
    // A staging object a crashed put left behind, and a hidden one under a key's folder.
    await client.putObject('listing', `${S3_STAGING_PREFIX}leftover`, Buffer.from('x'));
    await client.putObject('listing', 'AC1/.hidden', Buffer.from('x'));

    expect(await listed(listing)).toEqual(keys);
    expect(await listed(listing, 'AC1/')).toEqual(keys.slice(0, 3));
    expect(await listed(listing, 'AC1/2026/a')).toEqual(keys.slice(0, 2));
    expect(await listed(listing, 'AC')).toEqual(keys.slice(0, 4));
    for (const nothing of ['AC3/', 'top.wav/', S3_STAGING_PREFIX, 'AC1/.hid'])
      expect({ nothing, keys: await listed(listing, nothing) }).toEqual({ nothing, keys: [] });
  });

  it('says so when listing a bucket that is missing', async () => {
    const missing = createS3Store({
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
      bucket: 'never-made',
    });
    await expect(listed(missing)).rejects.toMatchObject({ kind: 'not-found', code: 'NoSuchBucket' });
  });

  it('reads a range with one GET: first byte, last byte, the middle of a large object, the whole', async () => {
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

  it('refuses a range beyond the end or backwards, a missing object and a bad key', async () => {
    await store.putBuffer('range-small.wav', Buffer.from('0123456789'), { contentType: 'audio/x-wav' });
    for (const [start, end] of [
      [10, 10],
      [5, 10],
      [5, 4],
      [-1, 3],
    ] as const) {
      await expect(store.getRange('range-small.wav', start, end)).rejects.toMatchObject({
        kind: 'invalid',
        code: 'InvalidRange',
        retryable: false,
      });
    }
    await expect(store.getRange('range-missing.wav', 0, 0)).rejects.toMatchObject({ kind: 'not-found' });
    server.clearOperations();
    await expect(store.getRange('.incoming/x', 0, 0)).rejects.toMatchObject({ code: 'InvalidKey' });
    expect(server.operations).toEqual([]);
  });

  it('creates a missing bucket, and check() reports one that is missing', async () => {
    const other = createS3Store({
      endpoint: server.endpoint,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
      bucket: 'created-by-store',
    });
    await expect(other.check()).rejects.toMatchObject({ kind: 'not-found', code: 'NoSuchBucket' });
    await other.ensureBucket();
    await other.ensureBucket();
    await other.check();
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
