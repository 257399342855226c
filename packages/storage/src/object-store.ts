import type { Readable } from 'node:stream';

/** What a store records with every object it writes, and gives back from `stat`. */
export interface StoredObject {
  readonly key: string;
  /** The byte count measured while the body passed through. */
  readonly bytes: number;
  /** Lowercase hex SHA-256 of the bytes, measured while they passed through. */
  readonly sha256: string;
  /** Lowercase hex MD5 of the bytes, measured with the SHA-256 (objects stored by older versions have none). */
  readonly md5?: string;
  /** For an object uploaded to S3 in parts: the ETag S3 gives such an upload, predicted from the bytes sent. */
  readonly multipartEtag?: string;
  readonly contentType: string;
  /** The caller's metadata: lowercase names, printable ASCII values. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a stored copy must be: the size and digests measured while its bytes were downloaded and stored. */
export type ExpectedCopy = Pick<StoredObject, 'bytes' | 'sha256' | 'md5' | 'multipartEtag'>;

/**
 * How a copy can be proved: `etag`, by a digest the storage server computed over the bytes it stored (its
 * ETag, read with a HEAD), or `read-back`, by reading the bytes back and hashing them.
 */
export type ProofMethod = 'etag' | 'read-back';

/** What `prove` found. */
export interface CopyProof {
  /** The proof that decided: `etag` unless the ETag could not decide and the bytes were read back. */
  readonly method: ProofMethod;
  /** True when storage holds the expected copy: its size and digest equal the expected ones. */
  readonly matches: boolean;
  /** What storage holds, in words, for logs and errors: size and ETag or SHA-256; `nothing` when missing. */
  readonly found: string;
  /** Bytes read back from storage for this proof (0 for a proof by ETag). */
  readonly bytesRead: number;
}

/** Bytes read from a store with the record of the object they were read from. */
export interface RecordedBody {
  readonly record: StoredObject;
  readonly body: Readable;
}

export interface PutOptions {
  readonly contentType: string;
  /** When given, a body of any other length is refused and nothing is stored. */
  readonly expectedBytes?: number;
  /** Names `[a-z0-9-]`, values printable ASCII, at most 2 KiB in all (the S3 limit). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export interface PutBufferOptions {
  readonly contentType: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * One interface over S3-compatible storage and a local folder.
 *
 * Writes are atomic for readers: a key either holds nothing (or its previous object) or a whole object
 * with its recorded size and hash. A put whose body fails, is aborted or has the wrong length rejects
 * with a StorageError and leaves nothing at the key.
 */
export interface ObjectStore {
  /** Where objects go, for logs: `s3://bucket` or `file:///dir`. */
  readonly location: string;
  /** Streams the body in bounded memory, measuring its size and SHA-256 on the way. */
  put(key: string, body: Readable, options: PutOptions): Promise<StoredObject>;
  /** For small objects such as sidecar JSON files. */
  putBuffer(key: string, body: Buffer, options: PutBufferOptions): Promise<StoredObject>;
  /** Stores `JSON.stringify(value, null, 2)` as `application/json`. */
  putJson(key: string, value: unknown, metadata?: Readonly<Record<string, string>>): Promise<StoredObject>;
  /** The recorded size, hash, type and metadata; undefined when there is no object at the key. */
  stat(key: string): Promise<StoredObject | undefined>;
  exists(key: string): Promise<boolean>;
  /** The stored bytes; a StorageError of kind `not-found` when missing. */
  get(key: string): Promise<Readable>;
  /**
   * Bytes `start` to `end` of the stored object, both included (what an HTTP Range asks for), exactly that
   * many. A StorageError of kind `not-found` when missing, and of kind `invalid` (code `InvalidRange`) when
   * the range is not within the object: callers know its size (`stat`) before they ask.
   */
  getRange(key: string, start: number, end: number): Promise<Readable>;
  /**
   * The stored bytes, all or bytes `range.start` to `range.end` (as `getRange`), with the store's record of
   * the object: for S3 in one request (the GET's own headers carry the record of an object stored with one
   * PUT), so that a reader checks the record and streams the bytes for the price of one round trip.
   * `not-found` when missing, `unrecorded` when the object has no record (the body is then released).
   */
  read(key: string, range?: { start: number; end: number }): Promise<RecordedBody>;
  /**
   * Every key under `prefix` (all when not given; a plain string prefix, not only whole segments), in no
   * particular order. What the store keeps for itself (segments starting with `.`: records, temporary files,
   * records of objects uploaded in parts) is never listed. A StorageError of kind `not-found` when the bucket or folder is missing.
   */
  list(prefix?: string): AsyncIterable<string>;
  /**
   * Whether the storage server shows the MD5 of the bytes it stored as an object's ETag, checked once by
   * writing, reading and removing a probe object. False for a folder (no server computes anything) and for
   * S3 servers whose ETags are not digests (SSE-KMS, SSE-C, some gateways).
   */
  hasMd5Etags(): Promise<boolean>;
  /**
   * Proves that the object at `key` is the expected copy. With `etag`, a HEAD must show the expected size
   * and an ETag the expected digests predict (the whole object's MD5, or the multipart form); an ETag of
   * neither form proves nothing either way, so the bytes are then read back (as they are when no MD5 was
   * recorded, and always with `read-back`). A mismatch is an answer (`matches: false`), not an error.
   */
  prove(
    key: string,
    expected: ExpectedCopy,
    options: { method: ProofMethod; signal?: AbortSignal | undefined },
  ): Promise<CopyProof>;
  /** Reads the stored bytes back and hashes them: what is really there, not what was recorded. */
  hash(key: string, options?: { signal?: AbortSignal }): Promise<{ bytes: number; sha256: string }>;
  /** Removes the object; a missing object is fine. */
  delete(key: string): Promise<void>;
  /** Creates the bucket (or the folder) when missing. */
  ensureBucket(): Promise<void>;
  /** Readiness: the store answers and the bucket (or folder) is there. Throws a StorageError otherwise. */
  check(): Promise<void>;
}
