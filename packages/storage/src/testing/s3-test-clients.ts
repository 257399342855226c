import { Client } from 'minio';
import type { ObjectStore } from '../object-store.ts';
import { createS3Store } from '../s3-store.ts';

/** What a test knows of an S3 server it started: the s3rver double or Ceph RGW. */
export interface TestS3Server {
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
}

/**
 * The store on `bucket` of a test server, with its credentials; `endpoint` (a fault front, say) and
 * `partSize` when a test needs them.
 */
export function s3StoreOn(
  server: Omit<TestS3Server, 'port'>,
  bucket: string,
  options: { endpoint?: string; partSize?: number } = {},
): ObjectStore {
  return createS3Store({
    endpoint: options.endpoint ?? server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
    bucket,
    ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
  });
}

/**
 * The minio client on a test server, path-style, that reaches objects around the store; it does not
 * retry, so a test sees each answer as the server gave it.
 */
export function rawS3Client(server: TestS3Server): Client {
  return new Client({
    endPoint: new URL(server.endpoint).hostname,
    port: server.port,
    useSSL: false,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    region: server.region,
    pathStyle: true,
    retryOptions: { disableRetry: true },
  });
}
