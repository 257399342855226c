import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { classifyS3Request, listenOn, type S3OperationName } from '@recording-vault/testkit';
import { S3_PART_SIZE } from '../packages/storage/src/index.ts';

/** The S3 operations the workers use, as the test kit's classifier names them. */
export type S3Op = S3OperationName;

export interface Digest {
  bytes: number;
  sha256: string;
  /**
   * The ETags an S3 server computes over these bytes: the MD5 of the whole, and (for more than one part)
   * the multipart form for the workers' part size.
   */
  etags: string[];
}

/** One request the workers made, as the S3 server saw it. */
export interface S3Exchange {
  seq: number;
  op: S3Op;
  method: string;
  /** The object key, without the bucket. */
  key: string | undefined;
  /** When the whole request had arrived and went to the server. */
  startedAt: number;
  /** When the server's whole answer had come back. */
  finishedAt: number;
  /** 0 when the server never answered. */
  status: number;
  /** False when the client had gone (an outage began) before the answer could reach it. */
  delivered: boolean;
  /** PutObject and UploadPart: what was written. */
  body?: Digest;
  /** GetObject: what was read. */
  response?: Digest;
  /** CopyObject: the source object, read just before the copy. */
  copySource?: Digest & { key: string };
  /** CompleteMultipartUpload: the object it made, read right after (nothing else reaches the key meanwhile). */
  completed?: Digest;
  /** HeadObject: the size and ETag the server showed. */
  head?: { bytes: number; etag: string };
}

/** The S3 server behind the front: the test double can be stopped and started with it, RGW runs on. */
export interface S3Upstream {
  readonly endpoint: string;
  stop?(): Promise<void>;
  start?(): Promise<void>;
  /** Reads an object straight from the server, with the run's own credentials; undefined when none. */
  read(bucket: string, key: string): Promise<Buffer | undefined>;
}

export interface S3Front {
  /** What the workers use as S3_ENDPOINT. */
  readonly endpoint: string;
  readonly exchanges: readonly S3Exchange[];
  /**
   * An outage: the endpoint refuses connections and drops open ones; a server that can be stopped (the
   * test double) stops too.
   */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The S3 endpoint the workers talk to: a front on the S3 server (the s3rver test double, or Ceph RGW) that
 *
 * - records every exchange with its times, status and the SHA-256 of what was written and read, so the run
 *   can prove from the outside that each DELETE at Twilio came after a whole, matching copy was stored
 *   and proved (no server's own log has times, statuses and hashes);
 * - takes the requests on one key one at a time, so that the log tells what each answer saw;
 * - passes a PUT on only once its whole body has arrived. Real S3 (RGW here) commits nothing of a request
 *   cut off; s3rver writes objects in place, so a PUT cut off by an outage would leave a partial object,
 *   without its metadata, at the final key: a state S3 and MinIO never show, and on which the worker fails
 *   the job for good (`unrecorded` is not retryable).
 */
export async function startS3Front(server: S3Upstream): Promise<S3Front> {
  const exchanges: S3Exchange[] = [];
  const keyLocks = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  let agent = new http.Agent({ keepAlive: true });
  let listener: http.Server | undefined;
  let port = 0;

  const withKeyLock = async <T>(key: string | undefined, work: () => Promise<T>): Promise<T> => {
    if (key === undefined) return await work();
    const previous = keyLocks.get(key) ?? Promise.resolve();
    const turn = Promise.withResolvers<void>();
    const mine = previous.then(() => turn.promise);
    keyLocks.set(key, mine);
    await previous;
    try {
      return await work();
    } finally {
      turn.resolve();
      if (keyLocks.get(key) === mine) keyLocks.delete(key);
    }
  };

  const upstream = (
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const outgoing = http.request(
        `${server.endpoint}${path}`,
        { method, headers: { ...forwardable(headers), 'content-length': String(body.length) }, agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.once('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.once('error', reject);
        },
      );
      outgoing.once('error', reject);
      // A server that never answers must not hold its key (and the outage's drain) forever.
      outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('no answer from the S3 server')));
      outgoing.end(body);
    });

  const exchange = async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://s3.front');
    const { operation: op, key } = classifyS3Request(req.method ?? '', url, req.headers);
    await withKeyLock(key, async () => {
      const record: S3Exchange = {
        seq: exchanges.length + 1,
        op,
        method: req.method ?? '',
        key,
        startedAt: Date.now(),
        finishedAt: 0,
        status: 0,
        delivered: false,
        ...(op === 'PutObject' || op === 'UploadPart' ? { body: digest(body) } : {}),
      };
      exchanges.push(record);
      try {
        if (op === 'CopyObject') {
          const source = objectOf(`/${String(req.headers['x-amz-copy-source'] ?? '').replace(/^\//, '')}`);
          const read = source.key === undefined ? undefined : await server.read(source.bucket, source.key);
          if (read && source.key !== undefined) record.copySource = { key: source.key, ...digest(read) };
        }
        const answer = await upstream(req.method ?? 'GET', req.url ?? '/', req.headers, body);
        record.status = answer.status;
        record.finishedAt = Date.now();
        if (op === 'GetObject' && answer.status === 200) record.response = digest(answer.body);
        if (op === 'CompleteMultipartUpload' && answer.status === 200 && key !== undefined) {
          const made = await server.read(objectOf(url.pathname).bucket, key);
          if (made) record.completed = digest(made);
        }
        if (op === 'HeadObject' && answer.status === 200) {
          record.head = {
            bytes: Number(answer.headers['content-length']),
            etag: String(answer.headers.etag ?? '').replace(/^"|"$/g, ''),
          };
        }
        if (res.destroyed) return;
        const headers = forwardable(answer.headers);
        if (req.method !== 'HEAD') headers['content-length'] = String(answer.body.length);
        res.writeHead(answer.status, headers);
        res.end(req.method === 'HEAD' ? undefined : answer.body);
        record.delivered = true;
      } catch {
        record.finishedAt = Date.now();
        res.destroy();
      }
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    let complete = false;
    // A client cut off mid-request (an outage) is not an error of the front.
    req.on('error', () => {});
    res.on('error', () => {});
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      complete = true;
      // Once the whole request is here it is carried out, even if an outage drops the client meanwhile:
      // like S3, which may commit a PUT whose answer never reached the client.
      const work = exchange(req, res, Buffer.concat(chunks)).catch(() => {
        res.destroy();
      });
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    });
    // A request cut off before its end never reaches the server: nothing half-written.
    req.once('close', () => {
      if (!complete) chunks.length = 0;
    });
  };

  const start = async (): Promise<void> => {
    if (listener) return;
    await server.start?.();
    agent = new http.Agent({ keepAlive: true });
    const next = http.createServer({ keepAliveTimeout: 65_000 }, handle);
    port = await listenOn(next, port);
    listener = next;
  };

  const stop = async (): Promise<void> => {
    const current = listener;
    if (!current) return;
    listener = undefined;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    current.closeAllConnections();
    await closed;
    // Requests that had fully arrived finish against the server before it goes down with the front.
    await Promise.allSettled([...inFlight]);
    agent.destroy();
    await server.stop?.();
  };

  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exchanges,
    stop,
    start,
    close: async () => {
      await stop();
    },
  };
}

function digest(body: Buffer): Digest {
  const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();
  const etags = [md5(body).toString('hex')];
  if (body.length > S3_PART_SIZE) {
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length; at += S3_PART_SIZE)
      parts.push(md5(body.subarray(at, at + S3_PART_SIZE)));
    etags.push(`${md5(Buffer.concat(parts)).toString('hex')}-${parts.length}`);
  }
  return { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), etags };
}

function objectOf(pathname: string): { bucket: string; key: string | undefined } {
  const [bucket = '', ...rest] = pathname.slice(1).split('/');
  const key = rest.join('/');
  return { bucket: decodeURIComponent(bucket), key: key === '' ? undefined : decodeURIComponent(key) };
}

const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'expect']);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name)) out[name] = value;
  }
  if (headers['content-length'] !== undefined) out['content-length'] = headers['content-length'];
  return out;
}
