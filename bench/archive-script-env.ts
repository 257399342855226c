import { Client } from 'minio';

/** What the peer and the raw-copy scripts read from the environment `bench/archive.ts` gives them. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** A minio client for the benchmark's S3 server (path style, plain HTTP), from S3_* variables. */
export function s3ClientFromEnv(): Client {
  const endpoint = new URL(requiredEnv('S3_ENDPOINT'));
  return new Client({
    endPoint: endpoint.hostname,
    port: Number(endpoint.port),
    useSSL: false,
    accessKey: requiredEnv('S3_ACCESS_KEY'),
    secretKey: requiredEnv('S3_SECRET_KEY'),
    region: requiredEnv('S3_REGION'),
    pathStyle: true,
  });
}
