import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../object-store.ts';
import { StorageError } from '../storage-error.ts';
import { digestOf, failingAfter, generated, pseudoRandomChunks, sha256, sha256Of } from './test-bodies.ts';

/**
 * What every ObjectStore does, whatever holds its objects: the tests here run against each driver (and,
 * for S3, against each server) through the same interface.
 */

/** A bucket or folder with a store over it, and ways to reach it around the store. */
export interface ContractPlace {
  readonly store: ObjectStore;
  /** Writes bytes at `key` the way another program would: without a record, and at any key, hidden ones too. */
  writeForeign(key: string, body: Buffer): Promise<void>;
  /** Replaces the bytes stored at `key` and leaves the store's record as it was. */
  replaceBytes(key: string, body: Buffer): Promise<void>;
  /** What puts may leave behind: temporary files, staging objects, multipart uploads never finished. */
  leftovers(): Promise<string[]>;
}

/** Storage the contract runs on. */
export interface ContractStorage {
  /** A bucket or folder that does not exist yet, a new one each call: `store.ensureBucket()` creates it. */
  newPlace(): ContractPlace;
  /** Stops servers and removes what the storage created. */
  close(): Promise<void>;
}

export interface ObjectStoreContractOptions {
  /** Skips every test: the storage cannot run on this machine (the caller says why). */
  readonly skip?: boolean;
  /** How long `open` may take, when more than the hook timeout. */
  readonly openTimeoutMs?: number;
  /** Whether the server's ETags are MD5 digests of the bytes, so that a HEAD can prove a copy. Default false. */
  readonly md5Etags?: boolean;
}

const MiB = 1024 * 1024;
// Larger than a multipart part (8 MiB), so that S3 stores take the multipart path.
const LARGE = 48 * MiB + 7;
const KEY = `AC${'1'.repeat(32)}/2026/03/07/CA${'2'.repeat(32)}/RE${'3'.repeat(32)}.wav`;
const WAV = { contentType: 'audio/x-wav' } as const;

export function objectStoreContract(
  name: string,
  open: () => Promise<ContractStorage>,
  options: ObjectStoreContractOptions = {},
): void {
  describe.skipIf(options.skip === true)(`ObjectStore contract: ${name}`, () => {
    let storage: ContractStorage;
    let place: ContractPlace;
    let store: ObjectStore;

    beforeAll(async () => {
      storage = await open();
      place = storage.newPlace();
      store = place.store;
      await store.ensureBucket();
    }, options.openTimeoutMs);
    afterAll(async () => {
      await storage?.close();
    });

    /** Every key `list` gives, sorted. */
    const listed = async (from: ObjectStore, prefix?: string) => {
      const keys: string[] = [];
      for await (const key of from.list(prefix)) keys.push(key);
      return keys.sort();
    };
    const bytesOf = async (stream: Readable) => Buffer.concat(await stream.toArray());

    it('stores a large body, reads it back and reports the recorded size and hash', async () => {
      const metadata = { 'recording-sid': `RE${'3'.repeat(32)}`, duration: '3600' };
      const stored = await store.put(KEY, generated(LARGE, 1), { ...WAV, expectedBytes: LARGE, metadata });

      const expected = digestOf(LARGE, 1);
      const md5 = md5Of(pseudoRandomChunks(LARGE, 1));
      expect(stored).toMatchObject({ key: KEY, bytes: LARGE, sha256: expected, md5, ...WAV, metadata });
      expect(await store.stat(KEY)).toEqual(stored);
      expect(await store.exists(KEY)).toBe(true);
      expect(await sha256Of(await store.get(KEY))).toEqual({ bytes: LARGE, sha256: expected });
      expect(await store.hash(KEY)).toEqual({ bytes: LARGE, sha256: expected });
      expect(await place.leftovers()).toEqual([]);
    });

    it('stores a large body of unknown length', async () => {
      const size = 20 * MiB + 7;
      const stored = await store.put('unknown-length.wav', generated(size, 2), WAV);
      expect(stored).toMatchObject({ bytes: size, sha256: digestOf(size, 2) });
      expect(await store.hash('unknown-length.wav')).toEqual({ bytes: size, sha256: digestOf(size, 2) });
      expect(await place.leftovers()).toEqual([]);
    });

    it('stores a small body, an empty one and sidecar JSON, each with its record', async () => {
      const body = Buffer.from('RIFF....WAVEfmt small recording');
      const small = await store.put('a/small.wav', Readable.from([body]), {
        ...WAV,
        expectedBytes: body.length,
      });
      expect(small).toMatchObject({
        key: 'a/small.wav',
        bytes: body.length,
        sha256: sha256(body),
        md5: md5Of([body]),
      });
      expect(await store.stat('a/small.wav')).toEqual(small);
      expect(await bytesOf(await store.get('a/small.wav'))).toEqual(body);

      const empty = await store.put('a/empty.wav', Readable.from([]), { ...WAV, expectedBytes: 0 });
      expect(empty).toMatchObject({ bytes: 0, sha256: sha256(Buffer.alloc(0)) });
      expect(await store.stat('a/empty.wav')).toEqual(empty);
      expect(await store.hash('a/empty.wav')).toEqual({ bytes: 0, sha256: sha256(Buffer.alloc(0)) });

      const value = { recordingSid: `RE${'3'.repeat(32)}`, channels: 2 };
      const json = await store.putJson(`${KEY}.json`, value, { source: 'test' });
      expect(json).toMatchObject({ contentType: 'application/json', metadata: { source: 'test' } });
      expect(await store.stat(`${KEY}.json`)).toEqual(json);
      expect(JSON.parse((await bytesOf(await store.get(`${KEY}.json`))).toString())).toEqual(value);
    });

    it('reports a missing object as undefined, absent and not found; deleting it is fine', async () => {
      expect(await store.stat('missing/x.wav')).toBeUndefined();
      expect(await store.exists('missing/x.wav')).toBe(false);
      await expect(store.get('missing/x.wav')).rejects.toMatchObject({ kind: 'not-found', retryable: false });
      await expect(store.hash('missing/x.wav')).rejects.toMatchObject({ kind: 'not-found' });
      await expect(store.delete('missing/x.wav')).resolves.toBeUndefined();
    });

    it('deletes an object', async () => {
      await store.putBuffer('gone/x.wav', Buffer.from('x'), WAV);
      await store.delete('gone/x.wav');
      expect(await store.exists('gone/x.wav')).toBe(false);
      expect(await store.stat('gone/x.wav')).toBeUndefined();
      await expect(store.get('gone/x.wav')).rejects.toMatchObject({ kind: 'not-found' });
    });

    it.each([
      ['within the first part', 3 * MiB],
      ['after several parts', 40 * MiB],
    ])('leaves nothing at the key when the body fails %s', async (_when, failAfter) => {
      const key = `failing/${failAfter}.wav`;
      const error = await store
        .put(key, failingAfter(failAfter), { ...WAV, expectedBytes: 100 * MiB })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ kind: 'source-failed', retryable: true, code: 'ECONNRESET', key });
      expect(await store.exists(key)).toBe(false);
      expect(await place.leftovers()).toEqual([]);
    });

    it('keeps the previous object whole when a later put of the same key fails', async () => {
      const first = await store.put('kept/x.wav', generated(20 * MiB, 3), WAV);
      await expect(
        store.put('kept/x.wav', failingAfter(18 * MiB), { ...WAV, expectedBytes: 20 * MiB }),
      ).rejects.toMatchObject({ kind: 'source-failed' });
      expect(await store.stat('kept/x.wav')).toEqual(first);
      expect(await store.hash('kept/x.wav')).toEqual({ bytes: first.bytes, sha256: first.sha256 });
      expect(await place.leftovers()).toEqual([]);
    });

    it.each([
      ['shorter', 20 * MiB - 1, 20 * MiB],
      ['longer', 20 * MiB + 1, 20 * MiB],
      ['shorter, small', 999, 1000],
      ['longer, small', 1001, 1000],
    ])('refuses a body %s than expectedBytes and leaves nothing', async (_name, actual, expectedBytes) => {
      const key = `mismatch/${actual}.wav`;
      await expect(store.put(key, generated(actual, 4), { ...WAV, expectedBytes })).rejects.toMatchObject({
        kind: 'integrity',
        code: 'SizeMismatch',
        retryable: true,
      });
      expect(await store.exists(key)).toBe(false);
      expect(await place.leftovers()).toEqual([]);
    });

    it('stops when the signal fires and leaves nothing', async () => {
      const controller = new AbortController();
      const body = Readable.from(
        (function* () {
          let passed = 0;
          for (const chunk of pseudoRandomChunks(100 * MiB, 5)) {
            yield chunk;
            passed += chunk.length;
            if (passed === 30 * MiB) controller.abort();
          }
        })(),
        { objectMode: false },
      );
      await expect(
        store.put('aborted/x.wav', body, { ...WAV, signal: controller.signal }),
      ).rejects.toMatchObject({
        kind: 'aborted',
        retryable: true,
      });
      expect(await store.exists('aborted/x.wav')).toBe(false);
      expect(await place.leftovers()).toEqual([]);
    });

    it.each([
      '../escape.wav',
      'a/../../escape.wav',
      '/etc/passwd',
      'a/./b.wav',
      'a//b.wav',
      '.hidden.wav',
      'a/.x.wav.record.json',
      '.incoming/mine',
    ])('refuses the key %j', async (key) => {
      const refused = { kind: 'invalid', retryable: false, code: 'InvalidKey' };
      await expect(store.put(key, Readable.from([Buffer.from('x')]), WAV)).rejects.toMatchObject(refused);
      await expect(store.putBuffer(key, Buffer.from('x'), WAV)).rejects.toMatchObject(refused);
      await expect(store.stat(key)).rejects.toMatchObject(refused);
      await expect(store.get(key)).rejects.toMatchObject(refused);
      await expect(store.delete(key)).rejects.toMatchObject(refused);
    });

    it('refuses metadata that would pass for its own record', async () => {
      await expect(
        store.putBuffer('meta.wav', Buffer.from('x'), { ...WAV, metadata: { sha256: 'forged' } }),
      ).rejects.toMatchObject({ kind: 'invalid', retryable: false });
      expect(await store.exists('meta.wav')).toBe(false);
    });

    it('hash reads the bytes really stored: bytes changed behind its back show', async () => {
      const stored = await store.putBuffer('changed/x.wav', Buffer.alloc(4096, 1), WAV);
      // Same size, same record, other bytes.
      await place.replaceBytes('changed/x.wav', Buffer.alloc(4096, 2));
      expect(await store.stat('changed/x.wav')).toEqual(stored);
      expect(await store.hash('changed/x.wav')).toEqual({
        bytes: 4096,
        sha256: sha256(Buffer.alloc(4096, 2)),
      });
    });

    it('proves a copy stored whole or in parts, by its ETag where the server computes MD5s, else by reading it back', async () => {
      const digests = options.md5Etags ?? false;
      expect(await store.hasMd5Etags()).toBe(digests);
      const method = digests ? 'etag' : 'read-back';
      const size = 20 * MiB + 3;
      const small = await store.putBuffer('proof/small.wav', Buffer.alloc(4096, 3), WAV);
      const copies = [
        small,
        await store.put('proof/large.wav', generated(size, 9), { ...WAV, expectedBytes: size }),
      ];
      for (const copy of copies) {
        expect(await store.prove(copy.key, copy, { method })).toMatchObject({
          method,
          matches: true,
          bytesRead: digests ? 0 : copy.bytes,
        });
        expect(await store.prove(copy.key, copy, { method: 'read-back' })).toMatchObject({
          method: 'read-back',
          matches: true,
          bytesRead: copy.bytes,
        });
        // Another recording's digests, or another size, at the same key: no proof, whichever way.
        const other = {
          ...copy,
          sha256: 'e'.repeat(64),
          md5: 'e'.repeat(32),
          multipartEtag: `${'e'.repeat(32)}-3`,
        };
        for (const expected of [other, { ...copy, bytes: copy.bytes + 1 }]) {
          for (const how of ['etag', 'read-back'] as const) {
            expect(await store.prove(copy.key, expected, { method: how })).toMatchObject({ matches: false });
          }
        }
      }
      expect(await store.prove('proof/missing.wav', small, { method })).toMatchObject({
        matches: false,
        found: 'nothing',
      });
      // Bytes changed behind the store's back, its record left as it was: no proof either.
      await place.replaceBytes('proof/small.wav', Buffer.alloc(4096, 4));
      for (const how of ['etag', 'read-back'] as const) {
        expect(await store.prove('proof/small.wav', small, { method: how })).toMatchObject({
          matches: false,
        });
      }
    });

    it('refuses to report an object that has no record', async () => {
      await place.writeForeign('foreign.wav', Buffer.from('not ours'));
      expect(await store.exists('foreign.wav')).toBe(true);
      await expect(store.stat('foreign.wav')).rejects.toMatchObject({ kind: 'unrecorded', retryable: false });
    });

    it('lists every key under a prefix, never a hidden one (what the store keeps for itself)', async () => {
      const listing = storage.newPlace();
      await listing.store.ensureBucket();
      const keys = ['AC1/2026/a.wav', 'AC1/2026/a.wav.json', 'AC1/b.wav', 'AC2/c.wav', 'top.wav'];
      for (const key of keys) await listing.store.putBuffer(key, Buffer.from(key), WAV);
      // A staging upload a crashed put left behind, and a hidden name beside the keys.
      await listing.writeForeign('.incoming/leftover', Buffer.from('x'));
      await listing.writeForeign('AC1/.hidden', Buffer.from('x'));

      expect(await listed(listing.store)).toEqual(keys);
      expect(await listed(listing.store, '')).toEqual(keys);
      expect(await listed(listing.store, 'AC1/')).toEqual(keys.slice(0, 3));
      // A prefix is a string, not only whole segments.
      expect(await listed(listing.store, 'AC1/2026/a')).toEqual(keys.slice(0, 2));
      expect(await listed(listing.store, 'AC')).toEqual(keys.slice(0, 4));
      expect(await listed(listing.store, 'top.wav')).toEqual(['top.wav']);
      for (const nothing of ['AC3/', 'AC1/2027/', 'top.wav/', '.incoming/', 'AC1/.hid', '/AC1/', '../'])
        expect({ nothing, keys: await listed(listing.store, nothing) }).toEqual({ nothing, keys: [] });
    });

    it('says so when listing a bucket or folder that is missing', async () => {
      const missing = storage.newPlace().store;
      await expect(listed(missing)).rejects.toMatchObject({ kind: 'not-found' });
      await expect(listed(missing, 'AC1/')).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('reads a range: first byte, last byte, the middle of a large object, the whole', async () => {
      const size = 3 * MiB + 5;
      await store.put('range/x.wav', generated(size, 7), WAV);
      const whole = Buffer.concat([...pseudoRandomChunks(size, 7)]);
      const read = async (start: number, end: number) =>
        await bytesOf(await store.getRange('range/x.wav', start, end));
      expect(await read(0, 0)).toEqual(whole.subarray(0, 1));
      expect(await read(size - 1, size - 1)).toEqual(whole.subarray(size - 1));
      expect(await read(MiB - 3, 2 * MiB + 2)).toEqual(whole.subarray(MiB - 3, 2 * MiB + 3));
      expect(await read(0, size - 1)).toEqual(whole);
    });

    it('read gives the bytes, whole or a range, with the record stat gives, for small and large objects', async () => {
      for (const [key, size] of [
        ['read/small.wav', 1000],
        ['read/large.wav', LARGE],
      ] as const) {
        const stored = await store.put(key, generated(size, 11), WAV);
        const whole = await store.read(key);
        expect(whole.record).toEqual(await store.stat(key));
        expect(whole.record).toMatchObject({ bytes: size, sha256: stored.sha256 });
        expect(await sha256Of(whole.body)).toEqual({ bytes: size, sha256: stored.sha256 });
        const part = await store.read(key, { start: 1, end: 10 });
        expect(part.record).toEqual(whole.record);
        expect(await bytesOf(part.body)).toEqual(
          Buffer.concat([...pseudoRandomChunks(size, 11)]).subarray(1, 11),
        );
      }
      await expect(store.read('read/missing.wav')).rejects.toMatchObject({ kind: 'not-found' });
      await place.writeForeign('read/foreign.wav', Buffer.from('no record'));
      await expect(store.read('read/foreign.wav')).rejects.toMatchObject({ kind: 'unrecorded' });
    });

    it('refuses a range beyond the end or backwards, a missing object and a bad key', async () => {
      await store.putBuffer('range/small.wav', Buffer.from('0123456789'), WAV);
      await store.putBuffer('range/empty.wav', Buffer.alloc(0), WAV);
      for (const [key, start, end] of [
        ['range/small.wav', 10, 10],
        ['range/small.wav', 5, 10],
        ['range/small.wav', 5, 4],
        ['range/small.wav', -1, 3],
        ['range/small.wav', 0.5, 3],
        ['range/empty.wav', 0, 0],
      ] as const) {
        await expect(store.getRange(key, start, end), `${key} bytes ${start}-${end}`).rejects.toMatchObject({
          kind: 'invalid',
          code: 'InvalidRange',
          retryable: false,
        });
      }
      await expect(store.getRange('range/missing.wav', 0, 0)).rejects.toMatchObject({ kind: 'not-found' });
      await expect(store.getRange('../escape.wav', 0, 0)).rejects.toMatchObject({ code: 'InvalidKey' });
    });

    it('check() reports a missing bucket or folder; ensureBucket() creates it, twice is fine', async () => {
      const later = storage.newPlace().store;
      await expect(later.check()).rejects.toMatchObject({ kind: 'not-found' });
      await later.ensureBucket();
      await later.ensureBucket();
      await later.check();
    });
  });
}

function md5Of(chunks: Iterable<Buffer>): string {
  const hash = createHash('md5');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}
