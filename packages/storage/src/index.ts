export { createStore, type StoreConfig } from './create-store.ts';
export { createFolderStore, type FolderStoreConfig } from './folder-store.ts';
export type {
  CopyProof,
  ExpectedCopy,
  ObjectStore,
  ProofMethod,
  PutBufferOptions,
  PutOptions,
  RecordedBody,
  StoredObject,
} from './object-store.ts';
export {
  type RecordingFormat,
  type RecordingKeyInput,
  recordingObjectKey,
  sidecarKey,
  transcriptionsKey,
} from './recording-object-key.ts';
export {
  createS3Store,
  S3_PART_SIZE,
  S3_RECORDS_PREFIX,
  S3_STAGING_PREFIX,
  type S3StoreConfig,
} from './s3-store.ts';
export { isStorageNotFound, StorageError, type StorageErrorKind } from './storage-error.ts';
