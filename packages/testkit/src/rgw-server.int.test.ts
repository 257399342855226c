import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Client, CopyDestinationOptions, CopySourceOptions } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RgwTestServer, rgwSkipReason, startRgwServer } from './rgw-server.ts';

const BUCKET = 'preset-bucket';
const MiB = 1024 * 1024;
// Start-up takes seconds; the bound is for a machine busy with other tests.
const START_TIMEOUT = 150_000;

const skipReason = rgwSkipReason();

describe.skipIf(skipReason !== undefined)('startRgwServer', () => {
  let server: RgwTestServer;
  let client: Client;

  beforeAll(async () => {
    server = await startRgwServer({ buckets: [BUCKET] });
    client = clientFor(server);
  }, START_TIMEOUT);
  afterAll(async () => {
    await server?.close();
  });

  it('answers as S3 through the minio client: creates a bucket, puts and gets an object', async () => {
    expect(await client.bucketExists(BUCKET)).toBe(true);
    await client.makeBucket('made-by-test', server.region);
    const body = Buffer.from('RIFF....WAVE a recording');
    await client.putObject('made-by-test', 'calls/a.wav', body, body.length, {
      'Content-Type': 'audio/x-wav',
    });

    const got = Buffer.concat(await (await client.getObject('made-by-test', 'calls/a.wav')).toArray());
    expect(got).toEqual(body);
    expect(await client.statObject('made-by-test', 'calls/a.wav')).toMatchObject({
      size: body.length,
      metaData: { 'content-type': 'audio/x-wav' },
    });
  });

  it('refuses a PUT whose Content-MD5 is not the body’s with 400 BadDigest, and stores nothing', async () => {
    const response = await client.makeRequestAsync(
      {
        method: 'PUT',
        bucketName: BUCKET,
        objectName: 'bad-digest.wav',
        headers: { 'Content-Length': '4', 'Content-MD5': md5(Buffer.from('other')).toString('base64') },
      },
      Buffer.from('body'),
      [200, 400],
    );
    const answer = Buffer.concat(await response.toArray()).toString();
    expect({ status: response.statusCode, code: /<Code>(\w+)<\/Code>/.exec(answer)?.[1] }).toEqual({
      status: 400,
      code: 'BadDigest',
    });
    await expect(client.statObject(BUCKET, 'bad-digest.wav')).rejects.toMatchObject({ code: 'NotFound' });
  });

  it('gives S3 ETags: the MD5 of one PUT, the MD5 of the part MD5s and -N after a multipart upload', async () => {
    const single = Buffer.from('one PUT');
    await client.putObject(BUCKET, 'single.wav', single, single.length);
    expect((await client.statObject(BUCKET, 'single.wav')).etag).toBe(md5(single).toString('hex'));

    // Parts of at least 5 MiB but the last, as S3 requires.
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(5 * MiB, 2), Buffer.from('the short last part')];
    await uploadInParts(client, 'multipart.wav', parts);
    const multipartEtag = `${md5(Buffer.concat(parts.map(md5))).toString('hex')}-${parts.length}`;
    expect((await client.statObject(BUCKET, 'multipart.wav')).etag).toBe(multipartEtag);

    // A copy with new metadata (how earlier versions moved a staged upload to its key) keeps the source's ETag.
    await client.copyObject(
      new CopySourceOptions({ Bucket: BUCKET, Object: 'multipart.wav' }),
      new CopyDestinationOptions({
        Bucket: BUCKET,
        Object: 'copied.wav',
        MetadataDirective: 'REPLACE',
        Headers: { 'Content-Type': 'audio/x-wav', 'x-amz-meta-sha256': 'recorded' },
      }),
    );
    expect(await client.statObject(BUCKET, 'copied.wav')).toMatchObject({
      etag: multipartEtag,
      metaData: { 'content-type': 'audio/x-wav', sha256: 'recorded' },
    });
  });

  it(
    'close() kills radosgw, the OSD and the monitor and removes the folder',
    async () => {
      const other = await startRgwServer();
      expect(await processesMentioning(other.dir)).toHaveLength(3);
      await other.close();
      expect(await processesMentioning(other.dir)).toEqual([]);
      await expect(stat(other.dir)).rejects.toMatchObject({ code: 'ENOENT' });
      await other.close();
    },
    START_TIMEOUT,
  );

  it(
    'a start-up that fails half-way says why, with the logs, and leaves no process and no folder behind',
    async () => {
      // Something else holds the S3 port: the monitor and the OSD start, radosgw cannot bind and exits.
      const holder = createServer((socket) => socket.destroy());
      const port = await listenAnywhere(holder);
      try {
        const failure = await startRgwServer({ port }).then(
          async (unexpected) => await unexpected.close(),
          (caught: unknown) => caught,
        );
        expect(failure).toBeInstanceOf(Error);
        const { message } = failure as Error;
        expect(message).toMatch(/client\.rgw\.a exited .* while waiting for radosgw/);
        // The daemons' logs come with it (radosgw's own last words may not have reached its log yet).
        expect(message).toContain('--- mon.a.log (last lines) ---');
        const dir = /^Ceph RGW in (\S+):/.exec(message)?.[1] ?? '';
        expect(dir).not.toBe('');
        expect(await processesMentioning(dir)).toEqual([]);
        await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
      } finally {
        await closeServer(holder);
      }
    },
    START_TIMEOUT,
  );
});

function clientFor(server: RgwTestServer): Client {
  return new Client({
    endPoint: '127.0.0.1',
    port: server.port,
    useSSL: false,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
    pathStyle: true,
    retryOptions: { disableRetry: true },
  });
}

function md5(body: Buffer): Buffer {
  return createHash('md5').update(body).digest();
}

/** A multipart upload with exactly these parts (the client's putObject chooses its own). */
async function uploadInParts(client: Client, key: string, parts: Buffer[]): Promise<void> {
  const uploadID = await client.initiateNewMultipartUpload(BUCKET, key, {});
  const etags: { part: number; etag: string }[] = [];
  for (const [index, body] of parts.entries()) {
    const partNumber = index + 1;
    const uploaded = await client.uploadPart(
      { bucketName: BUCKET, objectName: key, uploadID, partNumber, headers: {} },
      body,
    );
    etags.push({ part: partNumber, etag: uploaded.etag });
  }
  await client.completeMultipartUpload(BUCKET, key, uploadID, etags);
}

/** Running processes whose command line names `text` (every Ceph daemon names its cluster's folder). */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(text)) found.push(`${pid}: ${commandLine.replaceAll('\0', ' ').trim()}`);
  }
  return found;
}

async function listenAnywhere(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
