import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { listenOn } from './free-port.ts';
import { classifyS3Request, type S3OperationName } from './s3-server.ts';

/** The uploads a front can damage: a whole object's PUT, or one part of a multipart upload. */
export type UploadOperation = Extract<S3OperationName, 'PutObject' | 'UploadPart'>;

export interface S3FaultFront {
  /** What clients use as the S3 endpoint; requests go on, unchanged unless damaged, to the server behind. */
  readonly endpoint: string;
  /**
   * The next upload of this kind whose key passes `matches` has one byte flipped in the middle of its body
   * on the way to the server, its headers (length, Content-MD5, signature) left as the client sent them:
   * a body damaged in transit, which a server that checks Content-MD5 refuses.
   */
  corruptNext(operation: UploadOperation, matches?: (key: string) => boolean): void;
  /** The next request of this kind whose key passes `matches` is answered 503 without reaching the server. */
  refuseNext(operation: S3OperationName, matches?: (key: string) => boolean): void;
  /** Uploads damaged so far, by key. */
  readonly corrupted: readonly { operation: UploadOperation; key: string; status: number }[];
  close(): Promise<void>;
}

interface Pending {
  operation: S3OperationName;
  matches: (key: string) => boolean;
}

export interface S3FaultFrontOptions {
  /**
   * Answer every object's ETag (HEAD, GET, PUT, CompleteMultipartUpload) as 40 hex digits derived from the
   * server's, never an MD5 form: a server whose ETags are not digests of the bytes, as with SSE-KMS or some
   * gateways. Parts keep theirs, which the upload's completion sends back.
   */
  opaqueEtags?: boolean;
}

/**
 * A proxy in front of an S3 endpoint (the test double or a real server) that damages uploads on demand, and
 * can pass for a server whose ETags are not MD5 digests.
 */
export async function startS3FaultFront(
  target: string,
  options: S3FaultFrontOptions = {},
): Promise<S3FaultFront> {
  const origin = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const pending: Pending[] = [];
  const refusals: Pending[] = [];
  const corrupted: { operation: UploadOperation; key: string; status: number }[] = [];

  const takeFault = (from: Pending[], operation: S3OperationName, key: string | undefined): boolean => {
    if (key === undefined) return false;
    const at = from.findIndex((fault) => fault.operation === operation && fault.matches(key));
    if (at < 0) return false;
    from.splice(at, 1);
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://s3.front');
    const { operation, key } = classifyS3Request(req.method ?? '', url, req.headers);
    const length = Number(req.headers['content-length'] ?? 0);
    if (takeFault(refusals, operation, key)) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>refused by the fault front</Message></Error>',
      );
      return;
    }
    const damage = length > 0 && takeFault(pending, operation, key);
    const outgoing = http.request(
      {
        host: origin.hostname,
        port: origin.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        if (damage) {
          corrupted.push({
            operation: operation as UploadOperation,
            key: key ?? '',
            status: answer.statusCode ?? 0,
          });
        }
        if (options.opaqueEtags && operation !== 'UploadPart') {
          answerWithOpaqueEtags(operation, answer, res);
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        pipeline(answer, res).catch(() => res.destroy());
      },
    );
    outgoing.once('error', () => res.destroy());
    const sent = damage
      ? pipeline(req, flipByteAt(Math.floor(length / 2)), outgoing)
      : pipeline(req, outgoing);
    sent.catch(() => outgoing.destroy());
  };

  const server = http.createServer(handle);
  const port = await listenOn(server, 0);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    corruptNext(operation, matches = () => true) {
      pending.push({ operation, matches });
    },
    refuseNext(operation, matches = () => true) {
      refusals.push({ operation, matches });
    },
    get corrupted() {
      return corrupted;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      agent.destroy();
    },
  };
}

/** The answer with each ETag replaced by 40 hex digits derived from it (in the XML of a completed upload too). */
function answerWithOpaqueEtags(
  operation: S3OperationName,
  answer: IncomingMessage,
  res: ServerResponse,
): void {
  const headers = { ...answer.headers };
  if (typeof headers.etag === 'string') headers.etag = opaque(headers.etag, '"');
  if (operation !== 'CompleteMultipartUpload') {
    res.writeHead(answer.statusCode ?? 502, headers);
    pipeline(answer, res).catch(() => res.destroy());
    return;
  }
  const chunks: Buffer[] = [];
  answer.on('data', (chunk: Buffer) => chunks.push(chunk));
  answer.once('error', () => res.destroy());
  answer.once('end', () => {
    const xml = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/<ETag>(.*?)<\/ETag>/g, (_whole, etag: string) => `<ETag>${opaque(etag, '&quot;')}</ETag>`);
    const body = Buffer.from(xml);
    headers['content-length'] = String(body.length);
    delete headers['transfer-encoding'];
    res.writeHead(answer.statusCode ?? 502, headers);
    res.end(body);
  });
}

/**
 * 40 hex digits derived from an ETag, in `quote`s; an empty ETag (Ceph RGW completes uploads with one) stays
 * as it came.
 */
function opaque(etag: string, quote: string): string {
  const bare = etag.replace(/&quot;|&#34;|"/g, '');
  return bare === '' ? etag : `${quote}${createHash('sha1').update(bare).digest('hex')}${quote}`;
}

/** Passes bytes through unchanged but for the byte at `offset`, whose bits are inverted. */
function flipByteAt(offset: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      if (offset >= seen && offset < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[offset - seen] = (copy[offset - seen] as number) ^ 0xff;
        seen += chunk.length;
        callback(null, copy);
        return;
      }
      seen += chunk.length;
      callback(null, chunk);
    },
  });
}
