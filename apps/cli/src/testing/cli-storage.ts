import { join } from 'node:path';
import { createStore, type ObjectStore, type StoreConfig } from '@recording-vault/storage';
import { type S3TestServer, startS3Server } from '@recording-vault/testkit';

export interface CliStorage {
  store: ObjectStore;
  /** The environment that points `vault` at the same storage. */
  vars: Record<string, string>;
  close(): Promise<void>;
}

/** A folder under `work`, or a bucket on a private S3 test server: the store, and the variables for `vault`. */
export async function cliStorage(driver: 'folder' | 's3', work: string): Promise<CliStorage> {
  let s3: S3TestServer | undefined;
  let vars: Record<string, string>;
  let config: StoreConfig;
  if (driver === 's3') {
    s3 = await startS3Server({ buckets: ['recordings'] });
    vars = {
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: 'recordings',
      S3_REGION: s3.region,
    };
    config = {
      driver: 's3',
      endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      bucket: 'recordings',
      region: s3.region,
    };
  } else {
    vars = { STORAGE_DIR: join(work, 'recordings') };
    config = { driver: 'folder', dir: join(work, 'recordings') };
  }
  const store = createStore(config);
  await store.ensureBucket();
  return { store, vars, close: async () => s3?.close() };
}
