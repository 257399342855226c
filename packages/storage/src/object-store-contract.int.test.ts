import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { rgwSkipReason, startRgwServer, startS3Server } from '@recording-vault/testkit';
import type { Client } from 'minio';
import { createFolderStore } from './folder-store.ts';
import { S3_STAGING_PREFIX } from './s3-store.ts';
import {
  type ContractPlace,
  type ContractStorage,
  objectStoreContract,
} from './testing/object-store-contract.ts';
import { rawS3Client, s3StoreOn, type TestS3Server } from './testing/s3-test-clients.ts';

// RGW starts in seconds; the bound is for a machine busy with other tests.
const RGW_START_TIMEOUT = 150_000;

objectStoreContract('folder store', folderStorage);
objectStoreContract('S3 store on the s3rver test double', async () => s3Storage(await startS3Server()), {
  md5Etags: true,
});
objectStoreContract('S3 store on Ceph RGW', async () => s3Storage(await startRgwServer()), {
  md5Etags: true,
  skip: rgwSkipReason() !== undefined,
  openTimeoutMs: RGW_START_TIMEOUT,
});

/** Folders under one temporary folder. */
async function folderStorage(): Promise<ContractStorage> {
  const parent = await mkdtemp(join(tmpdir(), 'folder-contract-'));
  let places = 0;
  return {
    newPlace: () => folderPlace(join(parent, `place-${++places}`)),
    close: () => rm(parent, { recursive: true, force: true }),
  };
}

function folderPlace(root: string): ContractPlace {
  const pathOf = (key: string) => join(root, ...key.split('/'));
  return {
    store: createFolderStore({ dir: root }),
    writeForeign: async (key, body) => {
      await mkdir(dirname(pathOf(key)), { recursive: true });
      await writeFile(pathOf(key), body);
    },
    replaceBytes: async (key, body) => {
      await writeFile(pathOf(key), body);
    },
    leftovers: async () => {
      const files = await readdir(root, { recursive: true }).catch(() => [] as string[]);
      return files.filter((file) => file.endsWith('.tmp'));
    },
  };
}

interface S3Server extends TestS3Server {
  close(): Promise<void>;
}

/** Buckets on one S3 server, reached around the store with the minio client. */
function s3Storage(server: S3Server): ContractStorage {
  const client = rawS3Client(server);
  let places = 0;
  return {
    newPlace: () => s3Place(server, client, `place-${++places}`),
    close: () => server.close(),
  };
}

function s3Place(server: S3Server, client: Client, bucket: string): ContractPlace {
  return {
    store: s3StoreOn(server, bucket),
    writeForeign: async (key, body) => {
      await client.putObject(bucket, key, body, body.length);
    },
    replaceBytes: async (key, body) => {
      // The record is user metadata: written again as it was, beside the new bytes.
      const { metaData } = await client.statObject(bucket, key);
      await client.putObject(bucket, key, body, body.length, metaData);
    },
    leftovers: async () => {
      const staged = await Readable.from(client.listObjectsV2(bucket, S3_STAGING_PREFIX, true)).toArray();
      const { uploads } = await client.listIncompleteUploadsQuery(bucket, '', '', '', '');
      return [
        ...staged.map((item: { name?: string }) => `staged ${item.name}`),
        ...uploads.map((upload) => `upload ${upload.key}`),
      ];
    },
  };
}
