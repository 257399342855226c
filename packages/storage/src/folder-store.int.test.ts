import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFolderStore } from './folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { failingAfter, generated } from './testing/test-bodies.ts';

// What every store does is in object-store-contract.int.test.ts; here is how a folder holds it.

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

  it('maps a key to subfolders, with its record beside the data, hidden', async () => {
    await store.put(KEY, generated(3 * MiB, 1), { contentType: 'audio/x-wav' });
    const folder = KEY.split('/').slice(0, -1).join('/');
    const name = KEY.split('/').at(-1);
    expect(await filesUnder(join(root, folder))).toEqual([`.${name}.record.json`, `${name}`]);
  });

  it('keeps the bytes and the JSON as plain files', async () => {
    const body = Buffer.from('RIFF....WAVE');
    await store.put('a/small.wav', Readable.from([body]), { contentType: 'audio/x-wav' });
    expect(await readFile(join(root, 'a', 'small.wav'))).toEqual(body);
    await store.putJson('a/small.wav.json', { channels: 1 });
    expect(JSON.parse(await readFile(join(root, 'a', 'small.wav.json'), 'utf8'))).toEqual({ channels: 1 });
  });

  it('deletes the record with the data', async () => {
    await store.putBuffer('gone/x.wav', Buffer.from('x'), { contentType: 'audio/x-wav' });
    await store.delete('gone/x.wav');
    expect(await filesUnder(join(root, 'gone'))).toEqual([]);
  });

  it('leaves no file at all, record included, when a put fails, is refused or is aborted', async () => {
    await expect(
      store.put('failed/x.wav', failingAfter(3 * MiB), {
        contentType: 'audio/x-wav',
        expectedBytes: 10 * MiB,
      }),
    ).rejects.toMatchObject({ kind: 'source-failed' });
    await expect(
      store.put('failed/y.wav', generated(999, 3), { contentType: 'audio/x-wav', expectedBytes: 1000 }),
    ).rejects.toMatchObject({ kind: 'integrity' });
    await expect(
      store.put('failed/z.wav', generated(MiB, 4), {
        contentType: 'audio/x-wav',
        signal: AbortSignal.abort(),
      }),
    ).rejects.toMatchObject({ kind: 'aborted' });
    expect(await filesUnder(join(root, 'failed'))).toEqual([]);
  });

  it('creates nothing anywhere for a key it refuses', async () => {
    for (const key of ['../escape.wav', 'a/../../escape.wav', '/etc/passwd', '.hidden.wav']) {
      await expect(
        store.put(key, Readable.from([Buffer.from('x')]), { contentType: 'audio/x-wav' }),
      ).rejects.toMatchObject({ code: 'InvalidKey' });
    }
    expect(await readdir(parent)).toEqual(['archive']);
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

  it('never lists a stray temporary file, a hidden folder or a name no key can have', async () => {
    const listing = createFolderStore({ dir: join(parent, 'listing') });
    await listing.ensureBucket();
    const keys = ['AC1/a.wav', 'AC2/c.wav'];
    for (const key of keys) await listing.putBuffer(key, Buffer.from(key), { contentType: 'audio/x-wav' });
    await writeFile(join(parent, 'listing', 'AC1', '.stray.tmp'), 'x');
    await mkdir(join(parent, 'listing', '.hidden-folder'));
    await writeFile(join(parent, 'listing', '.hidden-folder', 'inside.wav'), 'x');
    await writeFile(join(parent, 'listing', 'AC2', 'back\\slash'), 'x');

    expect(await listed(listing)).toEqual(keys);
    expect(await listed(listing, 'AC1/.stray')).toEqual([]);
    expect(await listed(listing, '.hidden-folder/')).toEqual([]);
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
});
