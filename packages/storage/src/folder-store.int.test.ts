import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFolderStore } from './folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { StorageError } from './storage-error.ts';
import {
  digestOf,
  failingAfter,
  generated,
  pseudoRandomChunks,
  sha256,
  sha256Of,
} from './testing/test-bodies.ts';

const MiB = 1024 * 1024;
const KEY = `AC${'1'.repeat(32)}/2026/03/07/CA${'2'.repeat(32)}/RE${'3'.repeat(32)}.wav`;

describe('createFolderStore', () => {
  let parent: string;
  let root: string;
  let store: ObjectStore;

  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'folder-store-'));
    root = join(parent, 'archive');
    store = createFolderStore({ dir: root });
    await store.ensureBucket();
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  /** Every file under the root, hidden ones included. */
  const filesUnder = async (dir = root) =>
    (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
      .sort();
  const tempFiles = async () => (await filesUnder()).filter((file) => file.endsWith('.tmp'));

  it('stores 100 MiB, reads it back and reports the recorded size and hash', async () => {
    const size = 100 * MiB;
    const stored = await store.put(KEY, generated(size, 1), {
      contentType: 'audio/x-wav',
      expectedBytes: size,
      metadata: { 'recording-sid': `RE${'3'.repeat(32)}` },
    });
    const expected = digestOf(size, 1);
    expect(stored).toEqual({
      key: KEY,
      bytes: size,
      sha256: expected,
      contentType: 'audio/x-wav',
      metadata: { 'recording-sid': `RE${'3'.repeat(32)}` },
    });
    expect(await store.stat(KEY)).toEqual(stored);
    expect(await sha256Of(await store.get(KEY))).toEqual({ bytes: size, sha256: expected });
    expect(await store.hash(KEY)).toEqual({ bytes: size, sha256: expected });

    // The key maps to subfolders; the record sits beside the data, hidden.
    const folder = KEY.split('/').slice(0, -1).join('/');
    const name = KEY.split('/').at(-1);
    expect(await filesUnder(join(root, folder))).toEqual([`.${name}.record.json`, `${name}`]);
    expect(await tempFiles()).toEqual([]);
  });

  it('stores small bodies, an empty one and sidecar JSON with their records', async () => {
    const body = Buffer.from('RIFF....WAVE');
    const stored = await store.put('a/small.wav', Readable.from([body]), { contentType: 'audio/x-wav' });
    expect(stored).toMatchObject({ bytes: body.length, sha256: sha256(body) });
    expect(await readFile(join(root, 'a', 'small.wav'))).toEqual(body);

    expect(await store.put('a/empty.wav', Readable.from([]), { contentType: 'audio/x-wav' })).toMatchObject({
      bytes: 0,
      sha256: sha256(Buffer.alloc(0)),
    });

    const json = await store.putJson('a/small.wav.json', { channels: 1 });
    expect(json.contentType).toBe('application/json');
    expect(JSON.parse(await readFile(join(root, 'a', 'small.wav.json'), 'utf8'))).toEqual({ channels: 1 });
    expect(await store.stat('a/small.wav.json')).toEqual(json);
  });

  it('reports a missing object as undefined, absent and not found; deleting it is fine', async () => {
    expect(await store.stat('missing/x.wav')).toBeUndefined();
    expect(await store.exists('missing/x.wav')).toBe(false);
    await expect(store.get('missing/x.wav')).rejects.toMatchObject({ kind: 'not-found', retryable: false });
    await expect(store.hash('missing/x.wav')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(store.delete('missing/x.wav')).resolves.toBeUndefined();
  });

  it('deletes the data and its record', async () => {
    await store.putBuffer('gone/x.wav', Buffer.from('x'), { contentType: 'audio/x-wav' });
    await store.delete('gone/x.wav');
    expect(await store.exists('gone/x.wav')).toBe(false);
    expect(await filesUnder(join(root, 'gone'))).toEqual([]);
  });

  it('leaves no file at the key and no temporary file when the body fails mid-way', async () => {
    const error = await store
      .put('failing/x.wav', failingAfter(30 * MiB), { contentType: 'audio/x-wav', expectedBytes: 100 * MiB })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ kind: 'source-failed', retryable: true, code: 'ECONNRESET' });
    expect(await store.exists('failing/x.wav')).toBe(false);
    expect(await filesUnder(join(root, 'failing'))).toEqual([]);
  });

  it('keeps the previous object whole when a later put of the same key fails', async () => {
    const first = await store.put('kept/x.wav', generated(5 * MiB, 2), { contentType: 'audio/x-wav' });
    await expect(
      store.put('kept/x.wav', failingAfter(4 * MiB), { contentType: 'audio/x-wav' }),
    ).rejects.toMatchObject({ kind: 'source-failed' });
    expect(await store.stat('kept/x.wav')).toEqual(first);
    expect(await store.hash('kept/x.wav')).toEqual({ bytes: first.bytes, sha256: first.sha256 });
    expect(await tempFiles()).toEqual([]);
  });

  it.each([
    ['shorter', 999],
    ['longer', 1001],
  ])('refuses a body %s than expectedBytes and leaves nothing', async (_name, actual) => {
    await expect(
      store.put('mismatch/x.wav', generated(actual, 3), { contentType: 'audio/x-wav', expectedBytes: 1000 }),
    ).rejects.toMatchObject({ kind: 'integrity', code: 'SizeMismatch' });
    expect(await filesUnder(join(root, 'mismatch'))).toEqual([]);
  });

  it('stops when the signal fires and leaves nothing', async () => {
    const controller = new AbortController();
    const body = Readable.from(
      (function* () {
        let passed = 0;
        for (const chunk of pseudoRandomChunks(100 * MiB, 4)) {
          yield chunk;
          passed += chunk.length;
          if (passed === 10 * MiB) controller.abort();
        }
      })(),
      { objectMode: false },
    );
    await expect(
      store.put('aborted/x.wav', body, { contentType: 'audio/x-wav', signal: controller.signal }),
    ).rejects.toMatchObject({ kind: 'aborted', retryable: true });
    expect(await filesUnder(join(root, 'aborted'))).toEqual([]);
  });

  it.each([
    '../escape.wav',
    'a/../../escape.wav',
    '/etc/passwd',
    'a/./b.wav',
    'a//b.wav',
    '.hidden.wav',
    'a/.x.wav.record.json',
  ])('refuses the key %j', async (key) => {
    await expect(
      store.put(key, Readable.from([Buffer.from('x')]), { contentType: 'audio/x-wav' }),
    ).rejects.toMatchObject({ kind: 'invalid', retryable: false, code: 'InvalidKey' });
    await expect(store.stat(key)).rejects.toMatchObject({ kind: 'invalid' });
    await expect(store.delete(key)).rejects.toMatchObject({ kind: 'invalid' });
    expect(await readdir(parent)).toEqual(['archive']);
  });

  it('hash reads the bytes really stored: a file changed behind its back shows', async () => {
    const stored = await store.putBuffer('changed/x.wav', Buffer.alloc(4096, 1), {
      contentType: 'audio/x-wav',
    });
    await writeFile(join(root, 'changed', 'x.wav'), Buffer.alloc(4096, 2));
    expect(await store.stat('changed/x.wav')).toEqual(stored);
    expect(await store.hash('changed/x.wav')).toEqual({ bytes: 4096, sha256: sha256(Buffer.alloc(4096, 2)) });
  });

  it('refuses to report a file that has no record', async () => {
    await writeFile(join(root, 'foreign.wav'), 'not ours');
    expect(await store.exists('foreign.wav')).toBe(true);
    await expect(store.stat('foreign.wav')).rejects.toMatchObject({ kind: 'unrecorded', retryable: false });
  });

  // Root writes anywhere.
  it.skipIf(process.getuid?.() === 0)('reports a folder it may not write to as denied', async () => {
    const locked = join(parent, 'locked');
    const lockedStore = createFolderStore({ dir: locked });
    await lockedStore.ensureBucket();
    await chmod(locked, 0o500);
    try {
      await expect(lockedStore.check()).rejects.toMatchObject({ kind: 'denied', retryable: false });
    } finally {
      await chmod(locked, 0o700);
    }
  });

  it('check() reports a missing folder, ensureBucket() creates it', async () => {
    const missing = createFolderStore({ dir: join(parent, 'later', 'archive') });
    await expect(missing.check()).rejects.toMatchObject({ kind: 'not-found' });
    await missing.ensureBucket();
    await missing.check();
  });
});
