import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type S3TestServer, startS3Server } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFolderStore } from './folder-store.ts';
import type { ObjectStore } from './object-store.ts';
import { s3StoreOn } from './testing/s3-test-clients.ts';
import { generated } from './testing/test-bodies.ts';

const BUCKET = 'recordings';
const MiB = 1024 * 1024;
const PART = 5 * MiB;
const key = (name: string) => `AC${'1'.repeat(32)}/2026/03/07/${name}.wav`;

describe('proving a copy on the S3 test server by the ETag it computed', () => {
  let server: S3TestServer;
  let store: ObjectStore;

  beforeAll(async () => {
    server = await startS3Server({ buckets: [BUCKET] });
    store = s3StoreOn(server, BUCKET, { partSize: PART });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('shows the MD5 of what it stores as the ETag, so the probe says digests can prove copies', async () => {
    expect(await store.hasMd5Etags()).toBe(true);
  });

  it.each([
    ['one PUT', 1 * MiB + 3],
    ['parts, straight to its key', 2 * PART + 77],
  ])('proves a copy stored with %s by a HEAD, reading nothing back', async (_path, size) => {
    const copy = await store.put(key(`proof-${size}`), generated(size, 5), {
      contentType: 'audio/x-wav',
      expectedBytes: size,
    });
    expect(copy.md5).toMatch(/^[0-9a-f]{32}$/);
    server.clearOperations();

    const proof = await store.prove(copy.key, copy, { method: 'etag' });

    expect(proof).toMatchObject({ method: 'etag', matches: true, bytesRead: 0 });
    expect(server.operationCount('GetObject')).toBe(0);
    // What stat records is what the worker holds a copy to after a restart.
    expect(await store.stat(copy.key)).toMatchObject({ md5: copy.md5, sha256: copy.sha256 });
  });

  it('refuses a copy whose ETag is another digest, and one of another size, without reading it back', async () => {
    const copy = await store.put(key('other'), generated(MiB, 6), { contentType: 'audio/x-wav' });
    const otherBytes = await store.put(key('other-bytes'), generated(MiB, 7), { contentType: 'audio/x-wav' });

    // The key holds other bytes of the same length than those the worker measured.
    expect(await store.prove(copy.key, otherBytes, { method: 'etag' })).toMatchObject({
      method: 'etag',
      matches: false,
      bytesRead: 0,
    });
    expect(await store.prove(copy.key, { ...copy, bytes: copy.bytes + 1 }, { method: 'etag' })).toMatchObject(
      {
        method: 'etag',
        matches: false,
        bytesRead: 0,
      },
    );
    expect(await store.prove(key('missing'), copy, { method: 'etag' })).toMatchObject({
      matches: false,
      found: 'nothing',
    });
  });

  it('reads back when the ETag is of neither form, and when no MD5 was recorded', async () => {
    const copy = await store.put(key('fallback'), generated(MiB, 8), { contentType: 'audio/x-wav' });
    server.clearOperations();

    const unpredicted = await store.prove(copy.key, { ...copy, md5: 'f'.repeat(32) }, { method: 'etag' });
    expect(unpredicted).toMatchObject({ method: 'read-back', matches: true, bytesRead: MiB });

    const { md5: _, ...older } = copy;
    expect(await store.prove(copy.key, older, { method: 'etag' })).toMatchObject({
      method: 'read-back',
      matches: true,
    });
    expect(server.operationCount('GetObject')).toBe(2);
  });

  it('reads back in read-back mode', async () => {
    const copy = await store.put(key('read-back'), generated(MiB, 9), { contentType: 'audio/x-wav' });
    expect(await store.prove(copy.key, copy, { method: 'read-back' })).toMatchObject({
      method: 'read-back',
      matches: true,
      bytesRead: MiB,
    });
  });
});

describe('proving a copy in a folder', () => {
  let dir: string;
  let store: ObjectStore;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rv-proof-'));
    store = createFolderStore({ dir });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has no server digest: every proof reads the bytes back', async () => {
    expect(await store.hasMd5Etags()).toBe(false);
    const copy = await store.put(key('folder'), generated(MiB, 3), { contentType: 'audio/x-wav' });
    expect(await store.prove(copy.key, copy, { method: 'etag' })).toMatchObject({
      method: 'read-back',
      matches: true,
      bytesRead: MiB,
    });
    expect(
      await store.prove(copy.key, { ...copy, sha256: '0'.repeat(64) }, { method: 'read-back' }),
    ).toMatchObject({ matches: false });
  });
});
