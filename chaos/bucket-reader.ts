import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import type * as Minio from '../packages/storage/node_modules/minio/dist/main/minio.js';

// The minio client the storage package ships, reached the way bench/ reaches its dependencies: the root
// package does not depend on it.
const fromStorage = createRequire(new URL('../packages/storage/package.json', import.meta.url));
const { Client } = fromStorage('minio') as typeof Minio;

export interface ListedObject {
  key: string;
  size: number;
}

export interface ObjectRecord {
  size: number;
  /**
   * The vault's record of the object: `x-amz-meta-bytes` and `x-amz-meta-sha256`, or for an object uploaded
   * in parts `.records/<key>.json` when it names the object's ETag; undefined when neither.
   */
  recordedBytes: number | undefined;
  recordedSha256: string | undefined;
}

/** An entry of a record file: a record and the ETags of the object it describes. */
interface RecordEntry {
  bytes: number;
  sha256: string;
  etags?: string[];
}

export interface BucketReader {
  list(): Promise<ListedObject[]>;
  stat(key: string): Promise<ObjectRecord | undefined>;
  read(key: string): Promise<Buffer>;
  /**
   * The record of the object at `key` with this ETag, from `.records/<key>.json` beside an object uploaded
   * in parts: the entry naming that ETag (a file of the first version holds one entry); undefined when none.
   */
  recordBeside(key: string, etag: string): Promise<{ bytes: number; sha256: string } | undefined>;
  /** Multipart uploads begun and never completed or aborted. */
  incompleteUploads(): Promise<number>;
}

/**
 * Reads the bucket straight from the S3 server, past the front the workers use, with the real S3 client:
 * what an operator would find there after the run.
 */
export function bucketReader(
  server: { endpoint: string; accessKey: string; secretKey: string },
  bucket: string,
): BucketReader {
  const url = new URL(server.endpoint);
  const client = new Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: 'us-east-1',
    pathStyle: true,
  });
  const drain = <T>(stream: NodeJS.ReadableStream): Promise<T[]> =>
    new Promise((resolve, reject) => {
      const items: T[] = [];
      stream.on('data', (item: T) => items.push(item));
      stream.once('error', reject);
      stream.once('end', () => resolve(items));
    });
  return {
    async list() {
      // ListObjects (v1): the test server answers ListObjectsV2 with a 500.
      const items = await drain<Minio.BucketItem>(client.listObjects(bucket, '', true));
      return items.flatMap((item) => (item.name === undefined ? [] : [{ key: item.name, size: item.size }]));
    },
    async stat(key) {
      try {
        const stat = await client.statObject(bucket, key);
        const bytes = stat.metaData.bytes;
        const sha256 = stat.metaData.sha256;
        if (typeof sha256 === 'string') {
          return {
            size: stat.size,
            recordedBytes: typeof bytes === 'string' ? Number(bytes) : undefined,
            recordedSha256: sha256,
          };
        }
        const record = await this.recordBeside(key, stat.etag.replace(/^"|"$/g, ''));
        return { size: stat.size, recordedBytes: record?.bytes, recordedSha256: record?.sha256 };
      } catch (error) {
        if (
          (error as { code?: unknown }).code === 'NotFound' ||
          (error as { code?: unknown }).code === 'NoSuchKey'
        )
          return undefined;
        throw error;
      }
    },
    async read(key) {
      const stream: Readable = await client.getObject(bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async recordBeside(key, etag) {
      let file: { entries?: RecordEntry[]; etag?: string } & RecordEntry;
      try {
        file = JSON.parse((await this.read(`.records/${key}.json`)).toString('utf8'));
      } catch (error) {
        if ((error as { code?: unknown }).code === 'NoSuchKey') return undefined;
        throw error;
      }
      const entries = file.entries ?? [{ ...file, etags: [file.etag ?? ''] }];
      return etag === '' ? undefined : entries.find((entry) => entry.etags?.includes(etag));
    },
    async incompleteUploads() {
      return (await drain(client.listIncompleteUploads(bucket, '', true))).length;
    },
  };
}

export function sha256Of(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
