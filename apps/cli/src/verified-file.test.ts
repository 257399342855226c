import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeVerifiedFile } from './verified-file.ts';

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** A copy of `body` with one byte changed. */
function flipped(body: Buffer, at: number): Buffer {
  const copy = Buffer.from(body);
  copy.writeUInt8(copy.readUInt8(at) ^ 0xff, at);
  return copy;
}

describe('writeVerifiedFile', () => {
  let dir: string;
  const body = randomBytes(200_000);
  const expected = { bytes: body.length, sha256: sha256(body) };
  /** A body in several chunks, as storage streams it. */
  const streamed = (bytes: Buffer) =>
    Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000, 150_000), bytes.subarray(150_000)]);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rv-cli-get-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the bytes when their size and SHA-256 are the expected ones, and nothing else', async () => {
    const path = join(dir, 'recording.wav');
    expect(await writeVerifiedFile(streamed(body), path, expected)).toEqual({ ...expected, matched: true });
    expect(await readFile(path)).toEqual(body);
    expect(await readdir(dir)).toEqual(['recording.wav']);
  });

  it('replaces a file already there only with the expected bytes', async () => {
    const path = join(dir, 'recording.wav');
    await writeFile(path, 'an older download');
    await writeVerifiedFile(streamed(body), path, expected);
    expect(await readFile(path)).toEqual(body);
  });

  it.each([
    ['other bytes of the same size', flipped(body, 5_000)],
    ['fewer bytes', body.subarray(0, body.length - 1)],
    ['more bytes', Buffer.concat([body, Buffer.from('x')])],
  ])('leaves no file for %s, and says what it measured', async (_name, stored) => {
    const path = join(dir, 'recording.wav');
    expect(await writeVerifiedFile(streamed(stored), path, expected)).toEqual({
      bytes: stored.length,
      sha256: sha256(stored),
      matched: false,
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves no file when the body fails or the signal fires', async () => {
    const path = join(dir, 'recording.wav');
    const failing = Readable.from(
      (async function* () {
        yield body.subarray(0, 1000);
        throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
      })(),
    );
    await expect(writeVerifiedFile(failing, path, expected)).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await readdir(dir)).toEqual([]);

    const controller = new AbortController();
    const endless = Readable.from(
      (async function* () {
        for (;;) {
          yield body.subarray(0, 1000);
          controller.abort();
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })(),
    );
    await expect(writeVerifiedFile(endless, path, expected, controller.signal)).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(await readdir(dir)).toEqual([]);
  });
});
