import { StorageError } from './storage-error.ts';

/**
 * S3 keeps user metadata as `x-amz-meta-<name>` headers: names come back lowercased and values must
 * survive HTTP headers unchanged, so both stores accept only what round-trips exactly everywhere.
 */
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const VALUE = /^[!-~](?:[ -~]*[!-~])?$/;
const CONTENT_TYPE = /^[!-~]+\/[!-~]+(?:;[ -~]*)?$/;
// Our own record, and headers the minio client reports under the same bare names as user metadata.
const RESERVED = new Set([
  'sha256',
  'bytes',
  'md5',
  'multipart-etag',
  'content-type',
  'cache-control',
  'content-encoding',
  'content-disposition',
  'content-language',
  'if-match',
  'if-none-match',
]);
// S3 allows 2 KiB of user metadata in all; the rest is left for the size and hash records.
const MAX_METADATA_BYTES = 1536;

/** Whether a name is ours (`sha256`, `bytes`) or a standard header rather than the caller's metadata. */
export function isReservedMetadataName(name: string): boolean {
  return RESERVED.has(name) || name.startsWith('x-amz-');
}

export function checkedMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
  key: string,
): Readonly<Record<string, string>> {
  const entries = Object.entries(metadata ?? {});
  let size = 0;
  for (const [name, value] of entries) {
    if (!NAME.test(name) || isReservedMetadataName(name)) {
      throw invalid(`metadata name ${JSON.stringify(name)} is reserved or not lowercase [a-z0-9-]`, key);
    }
    if (typeof value !== 'string' || !VALUE.test(value)) {
      throw invalid(`metadata ${name} must be printable ASCII without leading or trailing spaces`, key);
    }
    size += name.length + value.length;
  }
  if (size > MAX_METADATA_BYTES) throw invalid(`metadata larger than ${MAX_METADATA_BYTES} bytes`, key);
  return Object.freeze(Object.fromEntries(entries));
}

export function checkedContentType(contentType: string, key: string): string {
  if (typeof contentType !== 'string' || !CONTENT_TYPE.test(contentType)) {
    throw invalid(`content type ${JSON.stringify(contentType)} is not a printable ASCII type/subtype`, key);
  }
  return contentType;
}

function invalid(message: string, key: string): StorageError {
  return new StorageError('invalid', `${message} (${key})`, { code: 'InvalidMetadata', key });
}
