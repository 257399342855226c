import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { meterBody } from './metered-body.ts';

const drain = async (chunks: AsyncIterable<Buffer>) => {
  const seen: Buffer[] = [];
  for await (const chunk of chunks) seen.push(chunk);
  return Buffer.concat(seen);
};

describe('meterBody', () => {
  it('counts and hashes the bytes as they pass, in slices of at most 1 MiB', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 5, 7);
    const metered = meterBody(Readable.from([body]), { key: 'k', expectedBytes: body.length });
    const sizes: number[] = [];
    for await (const chunk of metered.chunks) sizes.push(chunk.length);
    expect(sizes).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 5]);
    expect(metered.result()).toEqual({
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
      md5: createHash('md5').update(body).digest('hex'),
    });
  });

  it("predicts S3's multipart ETag from parts of partSize, whatever the chunks the body arrives in", async () => {
    const partSize = 5 * 1024 * 1024;
    const body = Buffer.alloc(2 * partSize + 12_345);
    for (let at = 0; at < body.length; at++) body[at] = (at * 31) % 251;
    // Chunks that straddle the part boundaries.
    const chunks = [];
    for (let at = 0; at < body.length; at += 777_777) chunks.push(body.subarray(at, at + 777_777));
    const metered = meterBody(Readable.from(chunks), { key: 'k', partSize });
    await drain(metered.chunks);

    const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest();
    const parts = [0, partSize, 2 * partSize].map((at) => md5(body.subarray(at, at + partSize)));
    expect(metered.result()).toMatchObject({
      bytes: body.length,
      md5: md5(body).toString('hex'),
      multipartEtag: `${md5(Buffer.concat(parts)).toString('hex')}-3`,
    });
  });

  it('gives no multipart ETag to a body of one part, which is stored with one PUT', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 1);
    const metered = meterBody(Readable.from([body]), { key: 'k', partSize: body.length });
    await drain(metered.chunks);
    expect(metered.result()).not.toHaveProperty('multipartEtag');
  });

  it('ends quietly when the body fails, and reports the failure from result()', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('partial');
        throw Object.assign(new Error('download cut'), { code: 'ECONNRESET', retryable: true });
      })(),
    );
    const metered = meterBody(failing, { key: 'k' });
    expect((await drain(metered.chunks)).toString()).toBe('partial');
    expect(() => metered.result()).toThrow(
      expect.objectContaining({ kind: 'source-failed', retryable: true, code: 'ECONNRESET' }),
    );
  });

  it('keeps a non-retryable body failure non-retryable', async () => {
    const failing = new Readable({
      read() {
        this.destroy(Object.assign(new Error('gone'), { retryable: false }));
      },
    });
    const metered = meterBody(failing, { key: 'k' });
    await drain(metered.chunks);
    expect(() => metered.result()).toThrow(
      expect.objectContaining({ kind: 'source-failed', retryable: false }),
    );
  });

  it.each([
    ['shorter', 10, 9],
    ['longer', 10, 11],
  ])('refuses a body %s than expected', async (_name, expectedBytes, actual) => {
    const metered = meterBody(Readable.from([Buffer.alloc(actual)]), { key: 'k', expectedBytes });
    await drain(metered.chunks);
    expect(() => metered.result()).toThrow(
      expect.objectContaining({ kind: 'integrity', code: 'SizeMismatch' }),
    );
  });

  it.each([-1, 1.5, Number.NaN])('refuses expectedBytes %s', (expectedBytes) => {
    expect(() => meterBody(Readable.from([]), { key: 'k', expectedBytes })).toThrow(
      expect.objectContaining({ kind: 'invalid', retryable: false }),
    );
  });

  it('stops when the signal fires', async () => {
    const controller = new AbortController();
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
      },
    });
    const metered = meterBody(endless, { key: 'k', signal: controller.signal });
    let seen = 0;
    for await (const chunk of metered.chunks) {
      seen += chunk.length;
      if (seen >= 10 * 1024) controller.abort();
    }
    expect(() => metered.result()).toThrow(expect.objectContaining({ kind: 'aborted', retryable: true }));
    expect(endless.destroyed).toBe(true);
  });
});
