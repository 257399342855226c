import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import {
  Client,
  InvalidArgumentError,
  InvalidBucketNameError,
  InvalidEndpointError,
  InvalidObjectNameError,
  InvalidPortError,
} from 'minio';
import { normalEtag, nothingAt, probeBody, proveByReadBack } from './copy-proof.ts';
import { hashStream } from './hash-stream.ts';
import { jsonBody } from './json-body.ts';
import { type Measured, meterBody, multipartEtag } from './metered-body.ts';
import { assertByteRange, assertObjectKey, isObjectKey } from './object-key.ts';
import { checkedContentType, checkedMetadata, isReservedMetadataName } from './object-metadata.ts';
import type { CopyProof, ObjectStore, PutBufferOptions, PutOptions, StoredObject } from './object-store.ts';
import { StorageError, toStorageError } from './storage-error.ts';
import { typedReadStream } from './typed-read-stream.ts';

/**
 * 8 MiB parts: a put holds about two parts in memory at most (a worker archiving a 512 MiB recording peaks
 * near 230 MiB, where 16 MiB parts took it past 260), 10,000 parts still reach 78 GiB, and a recording up to
 * 8 MiB (about 8 minutes of mono WAV) is stored with a single PUT.
 */
export const S3_PART_SIZE = 8 * 1024 * 1024;
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PART_SIZE = 64 * 1024 * 1024;

/**
 * Objects the store writes for itself and removes again (the probe of the server's ETags): an operator can
 * expire this prefix with a lifecycle rule as a backstop for a process killed in between.
 */
export const S3_STAGING_PREFIX = '.incoming/';

/**
 * The records (size, SHA-256, MD5s) of objects uploaded in parts, known only once the whole body passed:
 * `.records/<key>.json`, each entry bound to its object by the object's ETag, and written before the object
 * is completed. Never expire this prefix.
 */
export const S3_RECORDS_PREFIX = '.records/';

export interface S3StoreConfig {
  /** `http://host:port` or `https://host[:port]`; requests are path-style. */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
  /** Bytes per multipart part and the largest body sent in one PUT, 5 to 64 MiB. Default `S3_PART_SIZE`. */
  readonly partSize?: number;
  /** A request whose socket stays silent this long fails as retryable. Default 60 s. */
  readonly idleTimeoutMs?: number;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// S3 user metadata: our record next to the caller's metadata.
const SHA256_HEADER = 'x-amz-meta-sha256';
const BYTES_HEADER = 'x-amz-meta-bytes';
const MD5_HEADER = 'x-amz-meta-md5';
const MULTIPART_ETAG_HEADER = 'x-amz-meta-multipart-etag';

/** One record in `.records/<key>.json`: an object's size and digests, and the ETags it can show. */
type RecordEntry = Record<string, unknown> & { etags: unknown[] };
/**
 * Entries a record file keeps: the one being written and the latest earlier ones, so that the object at
 * the key keeps its record through uploads over it that fail.
 */
const MAX_RECORD_ENTRIES = 4;

export function createS3Store(config: S3StoreConfig): ObjectStore {
  const partSize = config.partSize ?? S3_PART_SIZE;
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
    throw new StorageError('invalid', `partSize must be between 5 and 64 MiB, not ${partSize}`, {
      code: 'InvalidConfig',
    });
  }
  const { bucket } = config;
  if (!BUCKET_NAME.test(bucket)) {
    throw new StorageError('invalid', `bucket name ${JSON.stringify(bucket)} is not a valid S3 bucket name`, {
      code: 'InvalidBucketName',
    });
  }
  const endpoint = parseEndpoint(config.endpoint);
  const client = newClient(config, endpoint, partSize);

  /**
   * One PUT with `Content-MD5`, so that the server refuses a body that changed on the way (the client's
   * own putObject sends it only over TLS), and over plain HTTP with the body's SHA-256 signed as well. Both
   * digests are the ones measured as the body came in (`digestsOf` for a body not measured): the body is
   * not hashed again. Returns the ETag the server answered.
   */
  const putBytes = async (
    key: string,
    body: Buffer,
    headers: Record<string, string>,
    digests: { md5: string; sha256: string } = digestsOf(body),
  ): Promise<string> => {
    const response = await client.makeRequestStreamAsync(
      {
        method: 'PUT',
        bucketName: bucket,
        objectName: key,
        headers: {
          ...headers,
          'Content-Length': String(body.length),
          'Content-MD5': Buffer.from(digests.md5, 'hex').toString('base64'),
        },
      },
      body,
      // The client signs the payload's SHA-256 over plain HTTP only; over TLS it must be given none.
      endpoint.protocol === 'https:' ? '' : digests.sha256,
      [200],
      config.region,
    );
    await drain(response);
    return normalEtag(response.headers.etag as string | undefined) ?? '';
  };

  const putWhole = async (key: string, body: Buffer, record: StoredObject): Promise<StoredObject> => {
    try {
      await putBytes(key, body, recordHeaders(record), digestsOf(body, record));
    } catch (error) {
      throw s3Failure(error, 'put', key);
    }
    return record;
  };

  /**
   * A body longer than one part: a multipart upload straight to its key, each part sent with Content-MD5 as
   * soon as it is read (one part in flight while the next is read). The object appears only when the upload
   * is completed, after the whole body was read and measured; a body that fails, is aborted or has the
   * wrong length aborts the upload and leaves nothing. Its record (size and digests, known only once the
   * body ended) is written under `.records/` before the upload is completed, naming the ETags the object
   * will have (the multipart form, or the whole body's MD5 on servers that give that), so that the object
   * is never at its key without it. An object whose ETag is of neither form (encryption, some gateways) has
   * the record written again with it.
   */
  const putMultipart = async (
    key: string,
    parts: AsyncIterable<Buffer>,
    options: { contentType: string; metadata: Readonly<Record<string, string>> },
    metered: { failure(): StorageError | undefined; result(): Measured },
    body: Readable,
  ): Promise<StoredObject> => {
    let uploadId: string;
    try {
      uploadId = await client.initiateNewMultipartUpload(bucket, key, {
        'Content-Type': options.contentType,
        ...metadataHeaders(options.metadata),
      });
    } catch (error) {
      body.destroy();
      throw s3Failure(error, 'upload', key);
    }
    let record: StoredObject & Measured & { multipartEtag: string };
    let earlier: RecordEntry[];
    let etag: string | undefined;
    try {
      const { etags, partMd5s } = await uploadParts(key, uploadId, parts);
      record = { key, ...metered.result(), multipartEtag: multipartEtag(partMd5s), ...options };
      // The entries already there stay: the object at the key now keeps its record should this upload fail.
      earlier = await readRecords(key);
      await putRecord(key, record, [record.multipartEtag, record.md5], earlier);
      etag = normalEtag((await client.completeMultipartUpload(bucket, key, uploadId, etags)).etag);
    } catch (error) {
      body.destroy();
      await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
      throw metered.failure() ?? (error instanceof StorageError ? error : s3Failure(error, 'upload', key));
    }
    if (etag === record.multipartEtag || etag === record.md5) return record;
    // The completion answered no ETag (Ceph RGW answers an empty one) or one of neither form (encryption,
    // some gateways): the object's HEAD tells its size and ETag, and the record is written again with it.
    try {
      const stat = await statObject(key);
      etag = normalEtag(stat?.etag);
      if (stat === undefined || stat.size !== record.bytes || !etag) {
        throw new StorageError(
          'integrity',
          `${key} shows ${stat ? `${stat.size} bytes, ETag ${etag || 'none'}` : 'nothing'} once its upload of ${record.bytes} bytes was completed`,
          { code: 'SizeMismatch', key },
        );
      }
      if (etag !== record.multipartEtag && etag !== record.md5) await putRecord(key, record, [etag], earlier);
    } catch (error) {
      // Without its record the object proves nothing; removed, so that nothing unrecorded stays at the key.
      await client.removeObject(bucket, key).catch(() => undefined);
      throw s3Failure(error, 'upload', key);
    }
    return record;
  };

  /**
   * Writes the record of an object uploaded in parts, valid for an object at `key` with one of `etags`,
   * ahead of the entries `kept` (the newest few: older ones describe objects long replaced).
   */
  const putRecord = async (
    key: string,
    record: StoredObject,
    etags: string[],
    kept: readonly RecordEntry[],
  ): Promise<void> => {
    const entries = [{ ...record, etags }, ...kept].slice(0, MAX_RECORD_ENTRIES);
    try {
      await putBytes(recordKey(key), jsonBody(key, { version: 2, entries }), {
        'Content-Type': 'application/json',
      });
    } catch (error) {
      throw s3Failure(error, 'record', key);
    }
  };

  /**
   * Sends the body's bytes as parts of `partSize` (the last one shorter), one in flight at a time. Gives the
   * server's part ETags, for completing the upload, and the parts' MD5s, which predict the object's ETag.
   */
  const uploadParts = async (key: string, uploadId: string, chunks: AsyncIterable<Buffer>) => {
    const etags: { part: number; etag: string }[] = [];
    const partMd5s: Buffer[] = [];
    let inFlight: Promise<void> = Promise.resolve();
    const send = async (part: number, bytes: Buffer) => {
      const md5 = createHash('md5').update(bytes).digest();
      partMd5s.push(md5);
      await inFlight;
      const sending = client
        .uploadPart(
          {
            bucketName: bucket,
            objectName: key,
            uploadID: uploadId,
            partNumber: part,
            headers: {
              'Content-Length': String(bytes.length),
              'Content-MD5': md5.toString('base64'),
            },
          },
          bytes,
        )
        .then(({ etag }) => {
          etags.push({ part, etag });
        });
      // Noted now so that a failure is not unhandled while the next part is read; awaited before the next.
      sending.catch(() => undefined);
      inFlight = sending;
    };
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let part = 0;
    for await (const chunk of chunks) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < partSize) continue;
      const joined = Buffer.concat(pending, pendingBytes);
      await send(++part, joined.subarray(0, partSize));
      pending = pendingBytes > partSize ? [joined.subarray(partSize)] : [];
      pendingBytes -= partSize;
    }
    if (pendingBytes > 0) await send(++part, Buffer.concat(pending, pendingBytes));
    await inFlight;
    return { etags: etags.sort((a, b) => a.part - b.part), partMd5s };
  };

  /**
   * The entries of the record file beside an object uploaded in parts, newest first; none when there is no
   * file or it cannot be read as one. A file of the first version holds one record and the ETag it binds.
   */
  const readRecords = async (key: string): Promise<RecordEntry[]> => {
    let text: string;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await client.getObject(bucket, recordKey(key))) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      const failure = s3Failure(error, 'stat', key);
      if (failure.kind === 'not-found') return [];
      throw failure;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return [];
    }
    if (typeof parsed !== 'object' || parsed === null) return [];
    const file = parsed as { entries?: unknown; etag?: unknown };
    const entries = Array.isArray(file.entries)
      ? (file.entries as unknown[])
      : [{ ...file, etags: [file.etag] }];
    return entries.filter(
      (entry): entry is RecordEntry =>
        typeof entry === 'object' && entry !== null && Array.isArray((entry as RecordEntry).etags),
    );
  };

  /** The record of the object at `key` with this ETag, from the file beside it; unrecorded when it has none. */
  const recordBeside = async (key: string, etag: string | undefined): Promise<StoredObject> => {
    if (!etag) throw unrecorded(key);
    // An entry for an earlier object at the key (one replaced, or an upload that never completed) names
    // other ETags: it is not this one's.
    const entry = (await readRecords(key)).find((candidate) => candidate.etags.includes(etag));
    if (entry === undefined) throw unrecorded(key);
    return recordOf(key, { ...entry, metadata: callerMetadata(entry.metadata) });
  };

  const statObject = async (key: string) => {
    assertObjectKey(key);
    try {
      return await client.statObject(bucket, key);
    } catch (error) {
      const failure = s3Failure(error, 'stat', key);
      if (failure.kind === 'not-found') return undefined;
      throw failure;
    }
  };

  /** The server's answer to a GET of the whole object, and the bytes as a typed stream. */
  const fetchObject = async (key: string): Promise<{ response: IncomingMessage; body: Readable }> => {
    assertObjectKey(key);
    let response: Readable;
    try {
      response = await client.getObject(bucket, key);
    } catch (error) {
      throw s3Failure(error, 'get', key);
    }
    return { response: response as IncomingMessage, body: typedReadStream(response, 'read', key) };
  };

  const getObject = async (key: string): Promise<Readable> => (await fetchObject(key)).body;

  const getRange = async (key: string, start: number, end: number): Promise<Readable> =>
    (await fetchRange(key, start, end)).body;

  /** The server's answer to a GET of bytes `start` to `end`, and exactly those bytes as a typed stream. */
  const fetchRange = async (
    key: string,
    start: number,
    end: number,
  ): Promise<{ response: IncomingMessage; body: Readable }> => {
    assertObjectKey(key);
    assertByteRange(key, start, end);
    const length = end - start + 1;
    let response: Readable;
    try {
      response = await client.getPartialObject(bucket, key, start, length);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'InvalidRange') {
        throw new StorageError('invalid', `read ${key}: bytes ${start}-${end} are beyond its end`, {
          code: 'InvalidRange',
          key,
          cause: error,
        });
      }
      throw s3Failure(error, 'read', key);
    }
    const served = servedRange(response as IncomingMessage);
    if (served !== undefined && served.size !== undefined && end >= served.size) {
      response.destroy();
      throw new StorageError(
        'invalid',
        `read ${key}: bytes ${start}-${end} are beyond its ${served.size} bytes`,
        {
          code: 'InvalidRange',
          key,
        },
      );
    }
    // Some servers answer more than was asked (s3rver sends the whole object for bytes=0-0, and a server may
    // ignore Range and answer 200): bytes from the right offset are cut to the length asked; bytes from
    // anywhere else, or fewer than asked, are refused.
    if (served === undefined || served.start !== start || served.end < end) {
      response.destroy();
      throw new StorageError('integrity', `read ${key}: storage did not answer bytes ${start}-${end}`, {
        code: 'RangeMismatch',
        key,
      });
    }
    return {
      response: response as IncomingMessage,
      body: typedReadStream(exactly(response, length, key), 'read', key),
    };
  };

  /**
   * The record of the object a GET answered with: from the answer's own headers for an object stored with
   * one PUT, else the record beside it, which must name the ETag of that answer.
   */
  const recordOfAnswer = async (key: string, response: IncomingMessage): Promise<StoredObject> => {
    const metaData: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') metaData[name.slice(11)] = value;
    }
    metaData['content-type'] = response.headers['content-type'];
    if (recordedDigest(metaData) !== undefined) return recordFromMetadata(key, metaData);
    return await recordBeside(key, normalEtag(response.headers.etag));
  };

  const store: ObjectStore = {
    location: `${endpoint.origin}/${bucket}`,

    put: async (key, body, options: PutOptions) => {
      assertObjectKey(key);
      const contentType = checkedContentType(options.contentType, key);
      const metadata = checkedMetadata(options.metadata, key);
      const { expectedBytes, signal } = options;
      const metered = meterBody(body, { key, expectedBytes, signal });
      const chunks = metered.chunks[Symbol.asyncIterator]();

      // A body up to one part is read whole, as the client would anyway, and sent in one PUT to its key.
      const head: Buffer[] = [];
      let headBytes = 0;
      while (headBytes <= partSize) {
        const next = await chunks.next();
        if (next.done === true) {
          const measured = metered.result();
          return await putWhole(key, Buffer.concat(head, headBytes), {
            key,
            ...measured,
            contentType,
            metadata,
          });
        }
        head.push(next.value);
        headBytes += next.value.length;
      }
      const parts = (async function* () {
        yield* head.splice(0);
        yield* { [Symbol.asyncIterator]: () => chunks };
      })();
      return await putMultipart(key, parts, { contentType, metadata }, metered, body);
    },

    putBuffer: async (key, body, options: PutBufferOptions) => {
      assertObjectKey(key);
      const record: StoredObject = {
        key,
        bytes: body.length,
        ...digestsOf(body),
        contentType: checkedContentType(options.contentType, key),
        metadata: checkedMetadata(options.metadata, key),
      };
      return await putWhole(key, body, record);
    },

    putJson: async (key, value, metadata) =>
      await store.putBuffer(key, jsonBody(key, value), { contentType: 'application/json', metadata }),

    stat: async (key) => {
      const stat = await statObject(key);
      if (stat === undefined) return undefined;
      // An object stored with one PUT carries its record; one uploaded in parts has it beside it.
      if (recordedDigest(stat.metaData) !== undefined) return recordFromMetadata(key, stat.metaData);
      return await recordBeside(key, normalEtag(stat.etag));
    },

    exists: async (key) => (await statObject(key)) !== undefined,

    get: getObject,

    getRange,

    read: async (key, range) => {
      const { response, body } =
        range === undefined ? await fetchObject(key) : await fetchRange(key, range.start, range.end);
      try {
        return { record: await recordOfAnswer(key, response), body };
      } catch (error) {
        body.destroy();
        throw error;
      }
    },

    list: async function* (prefix = '') {
      // ListObjectsV2, a thousand keys a request; the client follows the continuation tokens.
      try {
        for await (const item of client.listObjectsV2(bucket, prefix, true)) {
          const name = (item as { name?: string }).name;
          // What is not a key callers may use is the store's own: `.records/` and `.incoming/`.
          if (name !== undefined && isObjectKey(name)) yield name;
        }
      } catch (error) {
        throw s3Failure(error, 'list', `${bucket}/${prefix}`);
      }
    },

    hasMd5Etags: async () => {
      // Under the staging prefix, which the lifecycle rule sweeps should the removal below not happen.
      const probeKey = `${S3_STAGING_PREFIX}probe-${randomUUID()}`;
      const probe = probeBody();
      try {
        const answered = await putBytes(probeKey, probe.body, { 'Content-Type': 'application/octet-stream' });
        const stat = await client.statObject(bucket, probeKey);
        return answered === probe.md5 && normalEtag(stat.etag) === probe.md5;
      } catch (error) {
        throw s3Failure(error, 'probe', probeKey);
      } finally {
        await client.removeObject(bucket, probeKey).catch(() => undefined);
      }
    },

    prove: async (key, expected, options) => {
      if (options.method === 'read-back' || expected.md5 === undefined) {
        return await proveByReadBack(store.hash, key, expected, options.signal);
      }
      const stat = await statObject(key);
      if (stat === undefined) return nothingAt('etag');
      const etag = normalEtag(stat.etag);
      const found = `${stat.size} bytes, ETag ${etag}`;
      if (stat.size !== expected.bytes) return { method: 'etag', matches: false, found, bytesRead: 0 };
      // The record written with the object must be this copy's too: another copy written over it would
      // show another ETag anyway, but a record that disagrees is never proof.
      const recorded = recordedDigest(stat.metaData);
      if (recorded !== undefined && recorded !== expected.sha256) {
        return {
          method: 'etag',
          matches: false,
          found: `${found}, recorded sha256 ${recorded}`,
          bytesRead: 0,
        };
      }
      if (etag !== undefined && (etag === expected.md5 || etag === expected.multipartEtag)) {
        return { method: 'etag', matches: true, found, bytesRead: 0 } satisfies CopyProof;
      }
      // An ETag of neither form is no digest of these bytes, nor proof of a difference: the bytes decide.
      return await proveByReadBack(store.hash, key, expected, options.signal);
    },

    hash: async (key, options = {}) => {
      const stream = await getObject(key);
      try {
        return await hashStream(stream, options.signal);
      } catch (error) {
        throw s3Failure(error, 'hash', key);
      }
    },

    delete: async (key) => {
      assertObjectKey(key);
      try {
        await client.removeObject(bucket, key);
        // After the object: a record left alone by a crash in between describes nothing and is ignored.
        await client.removeObject(bucket, recordKey(key));
      } catch (error) {
        const failure = s3Failure(error, 'delete', key);
        if (failure.kind !== 'not-found') throw failure;
      }
    },

    ensureBucket: async () => {
      try {
        if (await client.bucketExists(bucket)) return;
        await client.makeBucket(bucket, config.region);
      } catch (error) {
        // Another process created it between our two calls.
        if ((error as { code?: unknown }).code === 'BucketAlreadyOwnedByYou') return;
        throw s3Failure(error, 'create bucket', bucket);
      }
    },

    check: async () => {
      let exists: boolean;
      try {
        exists = await client.bucketExists(bucket);
      } catch (error) {
        throw s3Failure(error, 'check bucket', bucket);
      }
      if (!exists) {
        throw new StorageError('not-found', `bucket ${bucket} does not exist at ${endpoint.origin}`, {
          code: 'NoSuchBucket',
        });
      }
    },
  };
  return store;
}

/**
 * Which bytes a GET answered: its Content-Range, or for a 200 without one, the whole object from byte 0.
 * Undefined when the answer does not say.
 */
function servedRange(
  response: IncomingMessage,
): { start: number; end: number; size: number | undefined } | undefined {
  const contentRange = response.headers?.['content-range'];
  if (contentRange === undefined) {
    const length = Number(response.headers?.['content-length']);
    return response.statusCode === 200 && Number.isSafeInteger(length) && length > 0
      ? { start: 0, end: length - 1, size: length }
      : undefined;
  }
  const parts = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange);
  if (!parts) return undefined;
  return {
    start: Number(parts[1]),
    end: Number(parts[2]),
    size: parts[3] === '*' ? undefined : Number(parts[3]),
  };
}

/** The first `length` bytes of `source`, which is let go once they have passed; fewer is an error. */
function exactly(source: Readable, length: number, key: string): Readable {
  const out = Readable.from(
    (async function* () {
      let left = length;
      for await (const chunk of source) {
        const part = (chunk as Buffer).subarray(0, left);
        left -= part.length;
        if (part.length > 0) yield part;
        if (left === 0) return;
      }
      throw new StorageError('integrity', `read ${key}: the answer ended ${left} bytes short`, {
        code: 'SizeMismatch',
        key,
      });
    })(),
    { objectMode: false },
  );
  // A reader that stops before the first byte never runs the loop above: the response is let go here.
  out.once('close', () => source.destroy());
  return out;
}

function parseEndpoint(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new StorageError('invalid', `S3 endpoint ${JSON.stringify(endpoint)} is not a URL`, {
      code: 'InvalidConfig',
      cause: error,
    });
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new StorageError('invalid', `S3 endpoint must be http(s)://host[:port], not ${endpoint}`, {
      code: 'InvalidConfig',
    });
  }
  return url;
}

function newClient(config: S3StoreConfig, endpoint: URL, partSize: number): Client {
  const useSSL = endpoint.protocol === 'https:';
  const transport = useSSL ? https : http;
  const idleTimeoutMs = config.idleTimeoutMs ?? 60_000;
  try {
    return new Client({
      endPoint: endpoint.hostname,
      port: endpoint.port === '' ? 0 : Number(endpoint.port),
      useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      partSize,
      pathStyle: true,
      // The client's own retry turns a 5xx into a bare Error without a code and cannot replay a stream;
      // retries belong to the job queue, which sees typed errors.
      retryOptions: { disableRetry: true },
      // The client has no timeout of its own: a silent server would hold a job forever.
      transport: {
        request: ((options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void) => {
          const request = transport.request(options, callback);
          request.setTimeout(idleTimeoutMs, () => {
            request.destroy(
              Object.assign(new Error(`no answer from ${endpoint.host} for ${idleTimeoutMs} ms`), {
                code: 'ETIMEDOUT',
              }),
            );
          });
          return request;
        }) as typeof http.request,
      },
    });
  } catch (error) {
    throw s3Failure(error, 'configure S3 client for', endpoint.origin);
  }
}

function recordHeaders(record: StoredObject): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': record.contentType,
    [SHA256_HEADER]: record.sha256,
    [BYTES_HEADER]: String(record.bytes),
    ...metadataHeaders(record.metadata),
  };
  if (record.md5 !== undefined) headers[MD5_HEADER] = record.md5;
  if (record.multipartEtag !== undefined) headers[MULTIPART_ETAG_HEADER] = record.multipartEtag;
  return headers;
}

function metadataHeaders(metadata: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]));
}

/** Where the record of an object uploaded in parts is kept: a hidden key no caller's key can reach. */
/** The caller's metadata from a record: string values under names that are not ours. */
function callerMetadata(metadata: unknown): Record<string, string> {
  const kept: Record<string, string> = {};
  if (typeof metadata !== 'object' || metadata === null) return kept;
  for (const [name, value] of Object.entries(metadata)) {
    const lower = name.toLowerCase();
    if (!isReservedMetadataName(lower) && typeof value === 'string') kept[lower] = value;
  }
  return kept;
}

function recordKey(key: string): string {
  return `${S3_RECORDS_PREFIX}${key}.json`;
}

function unrecorded(key: string): StorageError {
  return new StorageError('unrecorded', `object ${key} has no recorded size and SHA-256`, {
    code: 'Unrecorded',
    key,
  });
}

/** The minio client reports user metadata without its `x-amz-meta-` prefix, next to a few headers. */
function recordFromMetadata(key: string, metaData: Record<string, unknown>): StoredObject {
  return recordOf(key, {
    bytes: metaData.bytes === undefined ? undefined : Number(metaData.bytes),
    sha256: metaData.sha256,
    md5: metaData.md5,
    multipartEtag: metaData['multipart-etag'],
    contentType: metaData['content-type'],
    metadata: callerMetadata(metaData),
  });
}

/** A record from its fields as found (in headers or JSON): `unrecorded` without a size and a SHA-256. */
function recordOf(
  key: string,
  fields: {
    bytes?: unknown;
    sha256?: unknown;
    md5?: unknown;
    multipartEtag?: unknown;
    contentType?: unknown;
    metadata: Record<string, string>;
  },
): StoredObject {
  const { bytes, sha256, md5, multipartEtag, contentType, metadata } = fields;
  if (
    typeof sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(sha256) ||
    typeof bytes !== 'number' ||
    !Number.isSafeInteger(bytes) ||
    bytes < 0
  ) {
    throw unrecorded(key);
  }
  return {
    key,
    bytes,
    sha256,
    ...(typeof md5 === 'string' && /^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}),
    ...(typeof multipartEtag === 'string' && /^[0-9a-f]{32}-\d+$/.test(multipartEtag)
      ? { multipartEtag }
      : {}),
    contentType: typeof contentType === 'string' ? contentType : 'application/octet-stream',
    metadata,
  };
}

/** A body's MD5 and SHA-256, lowercase hex: `known` when it has both already. */
function digestsOf(body: Buffer, known?: { md5?: string | undefined; sha256: string }) {
  if (known?.md5 !== undefined) return { md5: known.md5, sha256: known.sha256 };
  return {
    md5: createHash('md5').update(body).digest('hex'),
    sha256: createHash('sha256').update(body).digest('hex'),
  };
}

/** Reads an answer's body to its end (an error document, or nothing), so the connection can be reused. */
async function drain(response: Readable): Promise<void> {
  for await (const _ of response) {
    // Nothing to keep.
  }
}

/** The SHA-256 recorded with an object, when there is one. */
function recordedDigest(metaData: Record<string, unknown>): string | undefined {
  const sha256 = metaData.sha256;
  return typeof sha256 === 'string' ? sha256 : undefined;
}

const CLIENT_SIDE_ERRORS = [
  InvalidArgumentError,
  InvalidBucketNameError,
  InvalidEndpointError,
  InvalidObjectNameError,
  InvalidPortError,
];

function s3Failure(error: unknown, action: string, key: string): StorageError {
  if (CLIENT_SIDE_ERRORS.some((type) => error instanceof type)) {
    return new StorageError('invalid', `${action} ${key}: ${(error as Error).message}`, {
      code: 'InvalidArgument',
      key,
      cause: error,
    });
  }
  return toStorageError(error, action, key);
}
