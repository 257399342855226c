import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { listenOn } from './free-port.ts';

/**
 * An S3-compatible server for tests: s3rver (data in a temporary folder) behind our own `node:http`
 * server, which adds the multipart calls s3rver lacks and the minio client needs (ListMultipartUploads
 * before every multipart upload, ListParts when it resumes one, AbortMultipartUpload to clean up), and
 * records every S3 operation it sees so a test can prove which path ran.
 */
export interface S3TestServer {
  /** `http://127.0.0.1:PORT`; path-style requests. */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: 'us-east-1';
  /** Where s3rver keeps buckets and objects. */
  readonly dir: string;
  /** Every request seen since start (or the last `clearOperations`), oldest first. */
  readonly operations: readonly S3Operation[];
  operationCount(name: S3OperationName): number;
  clearOperations(): void;
  /** Stops listening and drops open connections; the data stays. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops and removes the data folder when this server created it. */
  close(): Promise<void>;
}

export type S3OperationName =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'GetBucketLocation'
  | 'ListObjects'
  | 'ListMultipartUploads'
  | 'DeleteObjects'
  | 'PutObject'
  | 'CopyObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'Other';

export interface S3Operation {
  readonly name: S3OperationName;
  readonly method: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly uploadId: string | undefined;
  /** The request's Content-Length: for UploadPart, the part's size. */
  readonly bytes: number | undefined;
}

export interface StartS3ServerOptions {
  /** Buckets created before the server answers. */
  buckets?: string[];
  /** Default: a free port chosen at the first start and kept for later starts. */
  port?: number;
  /** Default: a new temporary folder, removed by `close()`. */
  dir?: string;
}

// s3rver checks no signatures but only knows this key pair (its built-in dummy account).
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const OWNER = { id: '123456789000', displayName: 'S3rver' };
// Where s3rver's FilesystemStore keeps multipart uploads: <dir>/<bucket>/._S3rver_uploads/<uploadId>/
// holding `key`, `metadata` and one file per part (`N`, with its MD5 in `N.md5`).
const UPLOADS_FOLDER = '._S3rver_uploads';
const MAX_LISTED = 1000;

export async function startS3Server(options: StartS3ServerOptions = {}): Promise<S3TestServer> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 's3-test-server-')));
  const s3rver = new S3rver({
    directory: dir,
    silent: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name, configs: [] })),
  });
  await s3rver.configureBuckets();
  const delegate = s3rver.callback();
  const uploads = createUploadRegistry(dir);
  let operations: S3Operation[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let request: ParsedRequest;
    try {
      request = parseRequest(req);
    } catch {
      req.resume();
      sendError(res, 400, 'InvalidURI', "Couldn't parse the specified URI.");
      return;
    }
    operations.push({
      name: request.operation,
      method: req.method ?? '',
      bucket: request.bucket,
      key: request.key,
      uploadId: request.query.get('uploadId') ?? undefined,
      bytes: req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']),
    });
    if (request.operation === 'PutObject' && request.bucket !== undefined && request.key !== undefined) {
      holdAnswerUntilStored(
        res,
        objectFile(s3rver, request.bucket, request.key),
        req.headers['content-length'],
      );
    }
    handleMultipart(request, req, res, uploads, delegate).catch((error: unknown) => {
      sendError(res, 500, 'InternalError', error instanceof Error ? error.message : String(error));
    });
  };

  let port = options.port ?? 0;
  let server: Server | undefined;

  const start = async (): Promise<void> => {
    if (server !== undefined) return;
    const next = createServer(handle);
    port = await listenOn(next, port);
    server = next;
  };

  const stop = async (): Promise<void> => {
    const current = server;
    if (current === undefined) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    // Idle keep-alive sockets would otherwise keep answering clients as if the server were still up.
    current.closeAllConnections();
    await closed;
  };

  await start();

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    region: 'us-east-1',
    dir,
    get operations() {
      return operations;
    },
    operationCount: (name) => operations.filter((operation) => operation.name === name).length,
    clearOperations: () => {
      operations = [];
    },
    stop,
    start,
    close: async () => {
      await stop();
      if (ownsDir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Where s3rver keeps the bytes of an object. */
function objectFile(s3rver: S3rver, bucket: string, key: string): string {
  const store = (s3rver as unknown as { store: { getResourcePath(b: string, k: string, r: string): string } })
    .store;
  return store.getResourcePath(bucket, key, 'object');
}

/**
 * s3rver answers a PUT once the body has passed its MD5 hash, before its file is written (it does not wait
 * for the write stream), so the next request on the key could find it missing or short, and a DELETE that
 * removes its folder meanwhile makes the write fail outside any handler, crashing the process. S3 answers
 * once the object is stored: the answer is held until the file has the body's length.
 */
function holdAnswerUntilStored(res: ServerResponse, file: string, contentLength: string | undefined): void {
  const bytes = Number(contentLength);
  if (!Number.isSafeInteger(bytes)) return;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    void (async () => {
      if (res.statusCode === 200) await waitForSize(file, bytes);
      end(...args);
    })();
    return res;
  }) as typeof res.end;
}

async function waitForSize(file: string, bytes: number): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const size = await stat(file).then(
      (info) => info.size,
      () => -1,
    );
    if (size === bytes) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface ParsedRequest {
  readonly operation: S3OperationName;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly query: URLSearchParams;
}

function parseRequest(req: IncomingMessage): ParsedRequest {
  const url = new URL(req.url ?? '/', 'http://s3.test');
  const { operation, bucket, key } = classifyS3Request(req.method ?? '', url, req.headers);
  return { operation, bucket, key, query: url.searchParams };
}

/**
 * What an S3 request is (path-style, as the minio client sends it): its operation, bucket and key. One
 * classifier for every test double that looks at S3 traffic.
 */
export function classifyS3Request(
  method: string,
  url: URL,
  headers: IncomingHttpHeaders,
): { operation: S3OperationName; bucket: string | undefined; key: string | undefined } {
  const [bucketPart = '', ...keyParts] = url.pathname.slice(1).split('/');
  const bucket = bucketPart === '' ? undefined : decodeURIComponent(bucketPart);
  const keyPath = keyParts.join('/');
  const key = keyPath === '' ? undefined : decodeURIComponent(keyPath);
  return { operation: operationOf(method, headers, bucket, key, url.searchParams), bucket, key };
}

function operationOf(
  method: string,
  headers: IncomingHttpHeaders,
  bucket: string | undefined,
  key: string | undefined,
  query: URLSearchParams,
): S3OperationName {
  if (bucket === undefined) return method === 'GET' ? 'ListBuckets' : 'Other';
  if (key === undefined) {
    if (method === 'GET' && query.has('uploads')) return 'ListMultipartUploads';
    if (method === 'GET' && query.has('location')) return 'GetBucketLocation';
    if (method === 'GET') return 'ListObjects';
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'PUT' && query.size === 0) return 'CreateBucket';
    if (method === 'DELETE' && query.size === 0) return 'DeleteBucket';
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    return 'Other';
  }
  if (method === 'GET' && query.has('uploadId')) return 'ListParts';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'PUT' && query.has('uploadId')) return 'UploadPart';
  if (method === 'PUT' && headers['x-amz-copy-source'] !== undefined) return 'CopyObject';
  if (method === 'PUT' && query.size === 0) return 'PutObject';
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'DELETE') return 'DeleteObject';
  return 'Other';
}

async function handleMultipart(
  request: ParsedRequest,
  req: IncomingMessage,
  res: ServerResponse,
  uploads: UploadRegistry,
  delegate: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<void> {
  const { operation, bucket, key, query } = request;
  if (bucket === undefined) return delegate(req, res);
  const uploadId = query.get('uploadId') ?? '';
  switch (operation) {
    case 'ListMultipartUploads':
      if (!(await uploads.bucketExists(bucket))) return sendNoSuchBucket(res, bucket);
      return sendXml(res, 200, await listMultipartUploadsXml(uploads, bucket, query));
    case 'ListParts': {
      const upload = await uploads.find(bucket, uploadId);
      if (upload === undefined || upload.key !== key) return sendNoSuchUpload(res, uploadId);
      return sendXml(res, 200, await listPartsXml(uploads, bucket, upload, query));
    }
    case 'AbortMultipartUpload': {
      const upload = await uploads.find(bucket, uploadId);
      if (upload === undefined || upload.key !== key) return sendNoSuchUpload(res, uploadId);
      await uploads.abort(bucket, uploadId);
      res.writeHead(204).end();
      return;
    }
    case 'UploadPart':
    case 'CompleteMultipartUpload': {
      // s3rver would recreate an aborted upload's folder for a late part, or fail with a 500 on completion.
      const upload = await uploads.find(bucket, uploadId);
      if (upload === undefined || upload.key !== key) {
        req.resume();
        return sendNoSuchUpload(res, uploadId);
      }
      if (operation === 'UploadPart') uploads.trackPart(uploadId, res);
      return delegate(req, res);
    }
    default:
      return delegate(req, res);
  }
}

interface Upload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date;
}

interface Part {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: Date;
}

interface UploadRegistry {
  bucketExists(bucket: string): Promise<boolean>;
  /** The uploads in progress in a bucket, read from s3rver's store. */
  list(bucket: string): Promise<Upload[]>;
  find(bucket: string, uploadId: string): Promise<Upload | undefined>;
  parts(bucket: string, uploadId: string): Promise<Part[]>;
  trackPart(uploadId: string, res: ServerResponse): void;
  abort(bucket: string, uploadId: string): Promise<void>;
}

function createUploadRegistry(dir: string): UploadRegistry {
  const partsInFlight = new Map<string, Set<Promise<void>>>();
  const uploadDir = (bucket: string, uploadId: string) => join(dir, bucket, UPLOADS_FOLDER, uploadId);

  const find = async (bucket: string, uploadId: string): Promise<Upload | undefined> => {
    if (!/^[0-9a-f]+$/.test(uploadId)) return undefined;
    const keyFile = join(uploadDir(bucket, uploadId), 'key');
    try {
      const [key, info] = await Promise.all([readFile(keyFile, 'utf8'), stat(keyFile)]);
      return { key, uploadId, initiated: info.mtime };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  };

  return {
    bucketExists: async (bucket) => {
      try {
        return (await stat(join(dir, bucket))).isDirectory();
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    },
    list: async (bucket) => {
      let ids: string[];
      try {
        ids = await readdir(join(dir, bucket, UPLOADS_FOLDER));
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
      const found = await Promise.all(ids.map((id) => find(bucket, id)));
      return found.filter((upload) => upload !== undefined);
    },
    find,
    parts: async (bucket, uploadId) => {
      const folder = uploadDir(bucket, uploadId);
      const names = (await readdir(folder)).filter((name) => /^[0-9]+$/.test(name));
      const parts = await Promise.all(
        names.map(async (name): Promise<Part | undefined> => {
          try {
            const [info, md5] = await Promise.all([
              stat(join(folder, name)),
              readFile(join(folder, `${name}.md5`), 'utf8'),
            ]);
            return { partNumber: Number(name), etag: md5.trim(), size: info.size, lastModified: info.mtime };
          } catch (error) {
            // s3rver writes the MD5 once the part is whole: a part without one is still arriving.
            if (isMissing(error)) return undefined;
            throw error;
          }
        }),
      );
      return parts.filter((part) => part !== undefined).sort((a, b) => a.partNumber - b.partNumber);
    },
    trackPart: (uploadId, res) => {
      const inFlight = partsInFlight.get(uploadId) ?? new Set<Promise<void>>();
      partsInFlight.set(uploadId, inFlight);
      const done = new Promise<void>((resolve) => res.once('close', resolve));
      inFlight.add(done);
      done.then(() => {
        inFlight.delete(done);
        if (inFlight.size === 0) partsInFlight.delete(uploadId);
      });
    },
    abort: async (bucket, uploadId) => {
      // A part still being written would recreate the folder after we removed it.
      await Promise.all(partsInFlight.get(uploadId) ?? []);
      await rm(uploadDir(bucket, uploadId), { recursive: true, force: true });
    },
  };
}

async function listMultipartUploadsXml(
  uploads: UploadRegistry,
  bucket: string,
  query: URLSearchParams,
): Promise<string> {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const keyMarker = query.get('key-marker') ?? '';
  const uploadIdMarker = query.get('upload-id-marker') ?? '';
  const maxUploads = Math.min(Number(query.get('max-uploads') ?? MAX_LISTED) || MAX_LISTED, MAX_LISTED);

  // S3 orders by key, then by initiation time for uploads of the same key.
  const sorted = (await uploads.list(bucket))
    .filter((upload) => upload.key.startsWith(prefix))
    .sort(
      (a, b) =>
        compareStrings(a.key, b.key) ||
        a.initiated.getTime() - b.initiated.getTime() ||
        compareStrings(a.uploadId, b.uploadId),
    );
  let start = 0;
  if (keyMarker !== '') {
    const markerIndex =
      uploadIdMarker === ''
        ? -1
        : sorted.findIndex((upload) => upload.key === keyMarker && upload.uploadId === uploadIdMarker);
    start =
      markerIndex >= 0
        ? markerIndex + 1
        : sorted.findIndex((upload) => compareStrings(upload.key, keyMarker) > 0);
    if (start < 0) start = sorted.length;
  }

  const listed: Upload[] = [];
  const commonPrefixes: string[] = [];
  let truncated = false;
  for (const upload of sorted.slice(start)) {
    const cut = delimiter === '' ? -1 : upload.key.indexOf(delimiter, prefix.length);
    const commonPrefix = cut < 0 ? undefined : upload.key.slice(0, cut + delimiter.length);
    if (commonPrefix !== undefined && commonPrefixes.includes(commonPrefix)) continue;
    if (listed.length + commonPrefixes.length === maxUploads) {
      truncated = true;
      break;
    }
    if (commonPrefix === undefined) listed.push(upload);
    else commonPrefixes.push(commonPrefix);
  }
  const last = listed.at(-1);

  return xmlDocument(
    'ListMultipartUploadsResult',
    [
      element('Bucket', bucket),
      element('KeyMarker', keyMarker),
      element('UploadIdMarker', uploadIdMarker),
      element('NextKeyMarker', truncated && last ? last.key : ''),
      element('NextUploadIdMarker', truncated && last ? last.uploadId : ''),
      delimiter === '' ? '' : element('Delimiter', delimiter),
      element('Prefix', prefix),
      element('MaxUploads', String(maxUploads)),
      element('IsTruncated', String(truncated)),
      ...listed.map(
        (upload) =>
          `<Upload>${element('Key', upload.key)}${element('UploadId', upload.uploadId)}${ownerXml('Initiator')}${ownerXml('Owner')}${element('StorageClass', 'STANDARD')}${element('Initiated', upload.initiated.toISOString())}</Upload>`,
      ),
      ...commonPrefixes.map(
        (commonPrefix) => `<CommonPrefixes>${element('Prefix', commonPrefix)}</CommonPrefixes>`,
      ),
    ].join(''),
  );
}

async function listPartsXml(
  uploads: UploadRegistry,
  bucket: string,
  upload: Upload,
  query: URLSearchParams,
): Promise<string> {
  const marker = Number(query.get('part-number-marker') ?? 0) || 0;
  const maxParts = Math.min(Number(query.get('max-parts') ?? MAX_LISTED) || MAX_LISTED, MAX_LISTED);
  const after = (await uploads.parts(bucket, upload.uploadId)).filter((part) => part.partNumber > marker);
  const listed = after.slice(0, maxParts);
  const truncated = after.length > listed.length;
  return xmlDocument(
    'ListPartsResult',
    [
      element('Bucket', bucket),
      element('Key', upload.key),
      element('UploadId', upload.uploadId),
      ownerXml('Initiator'),
      ownerXml('Owner'),
      element('StorageClass', 'STANDARD'),
      element('PartNumberMarker', String(marker)),
      element('NextPartNumberMarker', String(listed.at(-1)?.partNumber ?? marker)),
      element('MaxParts', String(maxParts)),
      element('IsTruncated', String(truncated)),
      ...listed.map(
        (part) =>
          `<Part>${element('PartNumber', String(part.partNumber))}${element('LastModified', part.lastModified.toISOString())}${element('ETag', `"${part.etag}"`)}${element('Size', String(part.size))}</Part>`,
      ),
    ].join(''),
  );
}

function ownerXml(tag: 'Initiator' | 'Owner'): string {
  return `<${tag}>${element('ID', OWNER.id)}${element('DisplayName', OWNER.displayName)}</${tag}>`;
}

function xmlDocument(root: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</${root}>`;
}

function element(tag: string, text: string): string {
  return `<${tag}>${escapeXml(text)}</${tag}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': randomUUID(),
  });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, extra = ''): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendXml(
    res,
    status,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${element('Code', code)}${element('Message', message)}${extra}</Error>`,
  );
}

function sendNoSuchUpload(res: ServerResponse, uploadId: string): void {
  sendError(
    res,
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    element('UploadId', uploadId),
  );
}

function sendNoSuchBucket(res: ServerResponse, bucket: string): void {
  sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', element('BucketName', bucket));
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
