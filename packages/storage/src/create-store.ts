import { createFolderStore, type FolderStoreConfig } from './folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { createS3Store, type S3StoreConfig } from './s3-store.ts';

export type StoreConfig = ({ driver: 's3' } & S3StoreConfig) | ({ driver: 'folder' } & FolderStoreConfig);

/** The driver the configuration names: S3-compatible storage, or a local folder. */
export function createStore(config: StoreConfig): ObjectStore {
  return config.driver === 's3' ? createS3Store(config) : createFolderStore(config);
}
