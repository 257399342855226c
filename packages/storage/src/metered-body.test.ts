import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { meterBody, multipartEtag } from './metered-body.ts';

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

  it("computes S3's multipart ETag from the parts' MD5s: the MD5 of their binary digests, then -N", () => {
    const md5 = (text: string) => createHash('md5').update(text).digest();
    // Worked out apart from this code (Python's hashlib) for parts 'aaaaaaaaaa' and 'bbb'.
    expect(multipartEtag([md5('a'.repeat(10)), md5('bbb')])).toBe('568bd1f3a3ef4a720453555306037d4b-2');
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
