import { createHash, randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, opendir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { proveByReadBack } from './copy-proof.ts';
import { hashStream } from './hash-stream.ts';
import { jsonBody } from './json-body.ts';
import { meterBody } from './metered-body.ts';
import { assertByteRange, assertObjectKey, isObjectKey } from './object-key.ts';
import { checkedContentType, checkedMetadata } from './object-metadata.ts';
import type { ObjectStore, PutBufferOptions, PutOptions, StoredObject } from './object-store.ts';
import { StorageError, toStorageError } from './storage-error.ts';
import { typedReadStream } from './typed-read-stream.ts';

export interface FolderStoreConfig {
  /** The root folder; created by `ensureBucket()`. Keys with `/` map to subfolders. */
  readonly dir: string;
}

/**
 * The record of an object lives beside it in a hidden file, `.<name>.record.json`, so that a folder
 * moved or copied as a whole keeps its records. Keys may not start a segment with `.`, so no key can
 * reach a record or a temporary file.
 */
interface RecordFile {
  readonly version: 1;
  readonly bytes: number;
  readonly sha256: string;
  readonly md5?: string;
  readonly contentType: string;
  readonly metadata: Record<string, string>;
  readonly storedAt: string;
}

export function createFolderStore(config: FolderStoreConfig): ObjectStore {
  const root = resolve(config.dir);

  const pathOf = (key: string): string => {
    assertObjectKey(key);
    const path = join(root, ...key.split('/'));
    // assertObjectKey already refuses `..` and absolute keys; this guards the mapping itself.
    const inside = relative(root, path);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw new StorageError('invalid', `key ${key} escapes ${root}`, { code: 'InvalidKey', key });
    }
    return path;
  };
  const recordPathOf = (path: string) => join(dirname(path), `.${basename(path)}.record.json`);
  const tempPathOf = (path: string) => join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);

  /**
   * Commits a body written by `write` into a temporary file: the record goes in first, then the data is
   * renamed over the key, so a reader never finds data at a key without its record; a crash in between
   * leaves an orphan record that `stat` ignores while no data is there.
   */
  const commit = async (
    key: string,
    write: (file: FileHandle) => Promise<Omit<StoredObject, 'key'>>,
  ): Promise<StoredObject> => {
    const path = pathOf(key);
    const folder = dirname(path);
    const dataTemp = tempPathOf(path);
    const recordTemp = tempPathOf(path);
    try {
      await mkdir(folder, { recursive: true });
      const stored = await writeFile(dataTemp, write);
      const record: RecordFile = {
        version: 1,
        bytes: stored.bytes,
        sha256: stored.sha256,
        ...(stored.md5 === undefined ? {} : { md5: stored.md5 }),
        contentType: stored.contentType,
        metadata: { ...stored.metadata },
        storedAt: new Date().toISOString(),
      };
      await writeFile(recordTemp, async (file) => {
        await file.writeFile(`${JSON.stringify(record, null, 2)}\n`);
      });
      await rename(recordTemp, recordPathOf(path));
      await rename(dataTemp, path);
      await syncFolder(folder);
      return { key, ...stored };
    } catch (error) {
      await Promise.all([removeQuietly(dataTemp), removeQuietly(recordTemp)]);
      throw toStorageError(error, 'store', key);
    }
  };

  const openData = async (key: string): Promise<FileHandle> => {
    const path = pathOf(key);
    try {
      return await open(path, 'r');
    } catch (error) {
      throw toStorageError(error, 'read', key);
    }
  };

  const store: ObjectStore = {
    location: pathToFileURL(root).href,

    put: async (key, body, options: PutOptions) => {
      pathOf(key);
      const contentType = checkedContentType(options.contentType, key);
      const metadata = checkedMetadata(options.metadata, key);
      const { expectedBytes, signal } = options;
      const metered = meterBody(body, { key, expectedBytes, signal });
      // When the disk fails first, leaving the loop early destroys the body too.
      return await commit(key, async (file) => {
        for await (const chunk of metered.chunks) {
          // A write may take less than the whole chunk.
          for (let at = 0; at < chunk.length; ) at += (await file.write(chunk, at)).bytesWritten;
        }
        return { ...metered.result(), contentType, metadata };
      });
    },

    putBuffer: async (key, body, options: PutBufferOptions) => {
      pathOf(key);
      const contentType = checkedContentType(options.contentType, key);
      const metadata = checkedMetadata(options.metadata, key);
      const sha256 = createHash('sha256').update(body).digest('hex');
      const md5 = createHash('md5').update(body).digest('hex');
      return await commit(key, async (file) => {
        await file.writeFile(body);
        return { bytes: body.length, sha256, md5, contentType, metadata };
      });
    },

    putJson: async (key, value, metadata) =>
      await store.putBuffer(key, jsonBody(key, value), { contentType: 'application/json', metadata }),

    stat: async (key) => {
      const path = pathOf(key);
      try {
        const [text, hasData] = await Promise.all([
          readFile(recordPathOf(path), 'utf8').catch(undefinedIfMissing),
          dataExists(path),
        ]);
        if (!hasData) return undefined;
        if (text === undefined) throw unrecorded(key);
        return recordFromFile(key, text);
      } catch (error) {
        throw toStorageError(error, 'stat', key);
      }
    },

    exists: async (key) => {
      const path = pathOf(key);
      try {
        return await dataExists(path);
      } catch (error) {
        throw toStorageError(error, 'stat', key);
      }
    },

    get: async (key) => typedReadStream((await openData(key)).createReadStream(), 'read', key),

    getRange: async (key, start, end) => {
      pathOf(key);
      assertByteRange(key, start, end);
      const file = await openData(key);
      let size: number;
      try {
        size = (await file.stat()).size;
      } catch (error) {
        await file.close().catch(() => undefined);
        throw toStorageError(error, 'read', key);
      }
      if (end >= size) {
        await file.close().catch(() => undefined);
        throw outOfRange(key, start, end, size);
      }
      return typedReadStream(file.createReadStream({ start, end }), 'read', key);
    },

    read: async (key, range) => {
      // Two files, read one after the other: a put committing meanwhile may pair its record with the bytes
      // it replaces. Readers that check the bytes against the record as they flow (the recordings API) see it.
      const record = await store.stat(key);
      if (record === undefined) {
        throw new StorageError('not-found', `read ${key}: no such object`, { code: 'ENOENT', key });
      }
      const body =
        range === undefined ? await store.get(key) : await store.getRange(key, range.start, range.end);
      return { record, body };
    },

    list: (prefix = '') => listKeys(root, prefix),

    // No server computes a digest of what a folder holds: every copy is proved by reading it back.
    hasMd5Etags: async () => false,

    prove: async (key, expected, options) => await proveByReadBack(store.hash, key, expected, options.signal),

    hash: async (key, options = {}) => {
      const file = await openData(key);
      try {
        return await hashStream(file.createReadStream(), options.signal);
      } catch (error) {
        throw toStorageError(error, 'hash', key);
      } finally {
        await file.close().catch(() => undefined);
      }
    },

    delete: async (key) => {
      const path = pathOf(key);
      // Data first: a record without data reads as missing, data without a record as damaged.
      for (const file of [path, recordPathOf(path)]) {
        try {
          await unlink(file);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw toStorageError(error, 'delete', key);
        }
      }
    },

    ensureBucket: async () => {
      try {
        await mkdir(root, { recursive: true });
      } catch (error) {
        throw toStorageError(error, 'create folder', root);
      }
    },

    check: async () => {
      try {
        const info = await stat(root);
        if (!info.isDirectory()) {
          throw new StorageError('invalid', `${root} is not a folder`, { code: 'ENOTDIR' });
        }
        // Writable, as a put will need: a probe file is created and removed.
        const probe = join(root, `.check.${randomUUID()}.tmp`);
        await writeFile(probe, async () => undefined);
        await unlink(probe);
      } catch (error) {
        throw toStorageError(error, 'check folder', root);
      }
    },
  };
  return store;
}

/**
 * The keys under `prefix`: walks only the folders the prefix names whole, then filters on the rest of it.
 * Hidden entries (records, temporary files) are skipped, and so is any name a key could not have.
 */
async function* listKeys(root: string, prefix: string): AsyncGenerator<string> {
  try {
    const info = await stat(root);
    if (!info.isDirectory()) {
      throw new StorageError('invalid', `${root} is not a folder`, { code: 'ENOTDIR' });
    }
  } catch (error) {
    throw toStorageError(error, 'list', root);
  }
  const folders = prefix.split('/').slice(0, -1);
  // A prefix through a hidden or empty segment names nothing a key can be.
  if (!folders.every((segment) => segment !== '' && !segment.startsWith('.'))) return;
  for await (const key of walk(join(root, ...folders), folders.join('/'))) {
    if (key.startsWith(prefix) && isObjectKey(key)) yield key;
  }
}

async function* walk(folder: string, relative: string): AsyncGenerator<string> {
  let entries: Awaited<ReturnType<typeof opendir>>;
  try {
    entries = await opendir(folder);
  } catch (error) {
    // A prefix with no folder behind it lists nothing, as a bucket prefix does; so does a folder removed
    // while it was being walked.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw toStorageError(error, 'list', relative || folder);
  }
  try {
    for await (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const key = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) yield* walk(join(folder, entry.name), key);
      else if (entry.isFile()) yield key;
    }
  } catch (error) {
    throw toStorageError(error, 'list', relative || folder);
  }
}

function outOfRange(key: string, start: number, end: number, size: number): StorageError {
  return new StorageError('invalid', `read ${key}: bytes ${start}-${end} are beyond its ${size} bytes`, {
    code: 'InvalidRange',
    key,
  });
}

/** Creates `path`, lets `write` fill it, and flushes it to disk before returning. */
async function writeFile<T>(path: string, write: (file: FileHandle) => Promise<T>): Promise<T> {
  const file = await open(path, 'wx');
  try {
    const result = await write(file);
    await file.sync();
    return result;
  } finally {
    await file.close();
  }
}

/** Makes the renames themselves durable. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function dataExists(path: string): Promise<boolean> {
  return (await stat(path).catch(undefinedIfMissing))?.isFile() ?? false;
}

function undefinedIfMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
  throw error;
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

function unrecorded(key: string): StorageError {
  return new StorageError('unrecorded', `object ${key} has no recorded size and SHA-256`, {
    code: 'Unrecorded',
    key,
  });
}

function recordFromFile(key: string, text: string): StoredObject {
  let parsed: Partial<RecordFile>;
  try {
    parsed = JSON.parse(text) as Partial<RecordFile>;
  } catch {
    throw unrecorded(key);
  }
  const { bytes, sha256, md5, contentType, metadata } = parsed;
  if (
    typeof sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(sha256) ||
    typeof bytes !== 'number' ||
    !Number.isSafeInteger(bytes) ||
    typeof contentType !== 'string' ||
    typeof metadata !== 'object' ||
    metadata === null
  ) {
    throw unrecorded(key);
  }
  return {
    key,
    bytes,
    sha256,
    ...(typeof md5 === 'string' && /^[0-9a-f]{32}$/.test(md5) ? { md5 } : {}),
    contentType,
    metadata: { ...metadata },
  };
}
