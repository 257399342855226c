import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3Server } from './s3-server.ts';

const BUCKET = 'uploads-test';
const PART = 5 * 1024 * 1024;

describe('startS3Server', () => {
  let server: S3TestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    const url = new URL(server.endpoint);
    client = new Client({
      endPoint: url.hostname,
      port: server.port,
      useSSL: false,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
      partSize: PART,
      retryOptions: { disableRetry: true },
    });
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(() => {
    server.clearOperations();
  });

  const listUploads = async (prefix: string) =>
    (await client.listIncompleteUploadsQuery(BUCKET, prefix, '', '', '')).uploads.map((upload) => upload.key);

  it('lists the multipart uploads in progress, honouring the prefix, until they complete or abort', async () => {
    const done = await client.initiateNewMultipartUpload(BUCKET, 'calls/done.wav', {});
    const pending = await client.initiateNewMultipartUpload(BUCKET, 'calls/pending.wav', {});
    const other = await client.initiateNewMultipartUpload(BUCKET, 'other/aborted.wav', {});
    const part = await client.uploadPart(
      { bucketName: BUCKET, objectName: 'calls/done.wav', uploadID: done, partNumber: 1, headers: {} },
      Buffer.from('the only part'),
    );

    expect(await listUploads('calls/')).toEqual(['calls/done.wav', 'calls/pending.wav']);
    expect(await listUploads('')).toEqual(['calls/done.wav', 'calls/pending.wav', 'other/aborted.wav']);
    expect(await listUploads('nothing/')).toEqual([]);

    await client.completeMultipartUpload(BUCKET, 'calls/done.wav', done, [{ part: 1, etag: part.etag }]);
    await client.abortMultipartUpload(BUCKET, 'other/aborted.wav', other);

    expect(await listUploads('')).toEqual(['calls/pending.wav']);
    const stored = await client.statObject(BUCKET, 'calls/done.wav');
    expect(stored.size).toBe('the only part'.length);
    expect(await client.findUploadId(BUCKET, 'calls/pending.wav')).toBe(pending);
    expect(server.operationCount('ListMultipartUploads')).toBe(5);
    expect(server.operationCount('AbortMultipartUpload')).toBe(1);

    await client.abortMultipartUpload(BUCKET, 'calls/pending.wav', pending);
    await expect(client.abortMultipartUpload(BUCKET, 'calls/pending.wav', pending)).rejects.toMatchObject({
      code: 'NoSuchUpload',
    });
    expect(await listUploads('')).toEqual([]);
  });

  it('pages ListMultipartUploads with max-uploads and markers, and groups by delimiter', async () => {
    const ids = [];
    for (const key of ['page/a.wav', 'page/b.wav', 'page/c.wav', 'page/sub/d.wav']) {
      ids.push(await client.initiateNewMultipartUpload(BUCKET, key, {}));
    }
    const list = async (query: string) => {
      const response = await fetch(`${server.endpoint}/${BUCKET}?uploads&prefix=page/&${query}`);
      const xml = await response.text();
      return {
        keys: [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]),
        prefixes: [...xml.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((match) => match[1]),
        truncated: xml.includes('<IsTruncated>true</IsTruncated>'),
        nextKey: /<NextKeyMarker>([^<]*)</.exec(xml)?.[1],
        nextUploadId: /<NextUploadIdMarker>([^<]*)</.exec(xml)?.[1],
      };
    };

    const first = await list('max-uploads=2');
    expect(first).toMatchObject({
      keys: ['page/a.wav', 'page/b.wav'],
      truncated: true,
      nextKey: 'page/b.wav',
    });
    const rest = await list(
      `max-uploads=2&key-marker=${first.nextKey}&upload-id-marker=${first.nextUploadId}`,
    );
    expect(rest).toMatchObject({ keys: ['page/c.wav', 'page/sub/d.wav'], truncated: false });
    expect(await list('delimiter=/')).toMatchObject({
      keys: ['page/a.wav', 'page/b.wav', 'page/c.wav'],
      prefixes: ['page/sub/'],
    });

    const keys = ['page/a.wav', 'page/b.wav', 'page/c.wav', 'page/sub/d.wav'];
    for (const [index, key] of keys.entries())
      await client.abortMultipartUpload(BUCKET, key, ids[index] ?? '');
    expect(await listUploads('page/')).toEqual([]);
  });

  it('answers ListParts with the parts received', async () => {
    const uploadId = await client.initiateNewMultipartUpload(BUCKET, 'parts.bin', {});
    const first = await client.uploadPart(
      { bucketName: BUCKET, objectName: 'parts.bin', uploadID: uploadId, partNumber: 1, headers: {} },
      Buffer.alloc(PART, 1),
    );
    await client.uploadPart(
      { bucketName: BUCKET, objectName: 'parts.bin', uploadID: uploadId, partNumber: 2, headers: {} },
      Buffer.alloc(1000, 2),
    );

    // listIncompleteUploads sums each upload's parts through ListParts.
    const items = await Readable.from(client.listIncompleteUploads(BUCKET, 'parts', true)).toArray();
    expect(items).toMatchObject([{ key: 'parts.bin', uploadId, size: PART + 1000 }]);
    expect(server.operationCount('ListParts')).toBe(1);
    expect(first.etag).toBe(createHash('md5').update(Buffer.alloc(PART, 1)).digest('hex'));

    await client.abortMultipartUpload(BUCKET, 'parts.bin', uploadId);
  });

  const partSizes = () =>
    server.operations.filter((op) => op.name === 'UploadPart').map((op) => op.bytes ?? 0);
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

  it('runs the minio client multipart path: list uploads, then parts, then complete', async () => {
    const body = patterned(3 * PART + 123);
    await client.putObject(BUCKET, 'multipart.bin', inChunks(body), body.length);

    expect(server.operations.map((op) => op.name)).toEqual([
      'ListMultipartUploads',
      'CreateMultipartUpload',
      ...partSizes().map(() => 'UploadPart'),
      'CompleteMultipartUpload',
    ]);
    // The client's splitter may hand the short tail over with the last full part.
    expect(partSizes().length).toBeGreaterThanOrEqual(3);
    expect(partSizes().slice(0, 2)).toEqual([PART, PART]);
    expect(sum(partSizes())).toBe(body.length);
    const stored = Buffer.concat(await (await client.getObject(BUCKET, 'multipart.bin')).toArray());
    expect(stored.equals(body)).toBe(true);
  });

  it('lets the minio client resume an interrupted upload, sending only the missing parts', async () => {
    const body = patterned(4 * PART + 10);
    // An earlier attempt that sent the first two parts and stopped.
    const uploadId = await client.initiateNewMultipartUpload(BUCKET, 'resumed.bin', {});
    for (const partNumber of [1, 2]) {
      await client.uploadPart(
        { bucketName: BUCKET, objectName: 'resumed.bin', uploadID: uploadId, partNumber, headers: {} },
        body.subarray((partNumber - 1) * PART, partNumber * PART),
      );
    }
    server.clearOperations();

    await client.putObject(BUCKET, 'resumed.bin', inChunks(body), body.length);

    expect(server.operationCount('ListParts')).toBe(1);
    expect(server.operationCount('CreateMultipartUpload')).toBe(0);
    expect(sum(partSizes())).toBe(body.length - 2 * PART);
    expect(
      new Set(server.operations.filter((op) => op.name === 'UploadPart').map((op) => op.uploadId)),
    ).toEqual(new Set([uploadId]));
    const stored = Buffer.concat(await (await client.getObject(BUCKET, 'resumed.bin')).toArray());
    expect(stored.equals(body)).toBe(true);
    expect(await listUploads('resumed')).toEqual([]);
  });

  it('answers NoSuchUpload for parts sent to an upload that does not exist', async () => {
    await expect(
      client.uploadPart(
        { bucketName: BUCKET, objectName: 'ghost.bin', uploadID: 'abc123', partNumber: 1, headers: {} },
        Buffer.from('x'),
      ),
    ).rejects.toMatchObject({ code: 'NoSuchUpload' });
  });

  it('stops and starts again on the same port with the same data', async () => {
    await client.putObject(BUCKET, 'kept.txt', Buffer.from('kept'));
    await server.stop();
    // A pooled keep-alive socket may be tried first and found reset.
    const refused = await client.statObject(BUCKET, 'kept.txt').catch((error: unknown) => error);
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain((refused as NodeJS.ErrnoException).code);
    await server.start();
    expect((await client.statObject(BUCKET, 'kept.txt')).size).toBe(4);
  });
});

/**
 * As a network body would arrive. The minio client reads its part splitter with `read()`, which joins
 * whatever is buffered: one huge chunk would go out as one huge part.
 */
function inChunks(body: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < body.length; at += 64 * 1024) chunks.push(body.subarray(at, at + 64 * 1024));
  return Readable.from(chunks, { objectMode: false });
}

/** Bytes that differ from part to part, so a part sent in the wrong place would show. */
function patterned(length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let state = 0x2545f491;
  for (let i = 0; i < length; i += 4) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    buffer.writeUInt32LE(state >>> 0, Math.min(i, length - 4));
  }
  return buffer;
}
