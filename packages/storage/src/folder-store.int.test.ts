import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
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
      md5: expect.stringMatching(/^[0-9a-f]{32}$/),
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

  /** Every key `list` gives, sorted. */
  const listed = async (from: ObjectStore, prefix?: string) => {
    const keys: string[] = [];
    for await (const key of from.list(prefix)) keys.push(key);
    return keys.sort();
  };

  it('lists every key under a prefix, never a record, a temporary file or a hidden folder', async () => {
    const listing = createFolderStore({ dir: join(parent, 'listing') });
    await listing.ensureBucket();
    const keys = ['AC1/2026/a.wav', 'AC1/2026/a.wav.json', 'AC1/b.wav', 'AC2/c.wav', 'top.wav'];
    for (const key of keys) await listing.putBuffer(key, Buffer.from(key), { contentType: 'audio/x-wav' });
    // What else a folder may hold: a stray temporary file, a hidden folder, a name no key can have.
    await writeFile(join(parent, 'listing', 'AC1', '.stray.tmp'), 'x');
    await mkdir(join(parent, 'listing', '.incoming'));
    await writeFile(join(parent, 'listing', '.incoming', 'staged'), 'x');
    await writeFile(join(parent, 'listing', 'AC2', 'back\\slash'), 'x');

    expect(await listed(listing)).toEqual(keys);
    expect(await listed(listing, '')).toEqual(keys);
    expect(await listed(listing, 'AC1/')).toEqual(keys.slice(0, 3));
    // A prefix is a string, not only whole segments.
    expect(await listed(listing, 'AC1/2026/a')).toEqual(keys.slice(0, 2));
    expect(await listed(listing, 'AC')).toEqual(keys.slice(0, 4));
    expect(await listed(listing, 'top.wav')).toEqual(['top.wav']);
    for (const nothing of ['AC3/', 'AC1/2027/', 'top.wav/', '.incoming/', 'AC1/.stray', '/AC1/', '../'])
      expect({ nothing, keys: await listed(listing, nothing) }).toEqual({ nothing, keys: [] });
  });

  it('never lists the temporary file of a put in progress', async () => {
    const listing = createFolderStore({ dir: join(parent, 'listing-put') });
    await listing.ensureBucket();
    const body = new PassThrough();
    const put = listing.put('AC1/slow.wav', body, { contentType: 'audio/x-wav' });
    body.write(Buffer.alloc(64 * 1024, 1));
    const tmp = async () =>
      (await readdir(join(parent, 'listing-put'), { recursive: true })).filter((f) => f.endsWith('.tmp'));
    await expect.poll(tmp).not.toEqual([]);
    expect(await listed(listing)).toEqual([]);
    body.end();
    await put;
    expect(await listed(listing)).toEqual(['AC1/slow.wav']);
  });

  it('lists nothing but says so when its folder is missing', async () => {
    const missing = createFolderStore({ dir: join(parent, 'never-made') });
    await expect(listed(missing)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(listed(missing, 'AC1/')).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('reads a range: first byte, last byte, the middle of a large file, the whole', async () => {
    const size = 3 * MiB + 5;
    await store.put('range/x.wav', generated(size, 7), { contentType: 'audio/x-wav' });
    const whole = Buffer.concat([...pseudoRandomChunks(size, 7)]);
    const read = async (start: number, end: number) =>
      Buffer.concat(await (await store.getRange('range/x.wav', start, end)).toArray());
    expect(await read(0, 0)).toEqual(whole.subarray(0, 1));
    expect(await read(size - 1, size - 1)).toEqual(whole.subarray(size - 1));
    expect(await read(MiB - 3, 2 * MiB + 2)).toEqual(whole.subarray(MiB - 3, 2 * MiB + 3));
    expect(await read(0, size - 1)).toEqual(whole);
  });

  it('refuses a range beyond the end or backwards, a missing object and a bad key', async () => {
    await store.putBuffer('range/small.wav', Buffer.from('0123456789'), { contentType: 'audio/x-wav' });
    await store.putBuffer('range/empty.wav', Buffer.alloc(0), { contentType: 'audio/x-wav' });
    for (const [key, start, end] of [
      ['range/small.wav', 10, 10],
      ['range/small.wav', 5, 10],
      ['range/small.wav', 5, 4],
      ['range/small.wav', -1, 3],
      ['range/small.wav', 0.5, 3],
      ['range/empty.wav', 0, 0],
    ] as const) {
      await expect(store.getRange(key, start, end)).rejects.toMatchObject({
        kind: 'invalid',
        code: 'InvalidRange',
        retryable: false,
      });
    }
    await expect(store.getRange('range/missing.wav', 0, 0)).rejects.toMatchObject({ kind: 'not-found' });
    await expect(store.getRange('../escape.wav', 0, 0)).rejects.toMatchObject({ code: 'InvalidKey' });
  });

  it('check() reports a missing folder, ensureBucket() creates it', async () => {
    const missing = createFolderStore({ dir: join(parent, 'later', 'archive') });
    await expect(missing.check()).rejects.toMatchObject({ kind: 'not-found' });
    await missing.ensureBucket();
    await missing.check();
  });
});
