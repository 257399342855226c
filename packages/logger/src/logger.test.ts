import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with the app name and a readable level', () => {
    const { lines, destination } = capture();
    createLogger({ name: 'worker', destination }).info({ recordingSid: 'RE1' }, 'archived');
    expect(lines[0]).toMatchObject({ name: 'worker', level: 'info', recordingSid: 'RE1', msg: 'archived' });
  });

  it('redacts credentials and signatures wherever they appear', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'ingest', destination });
    logger.warn({
      req: { headers: { authorization: 'Basic c2VjcmV0', 'x-twilio-signature': 'sig=', host: 'vault' } },
      account: { accountSid: 'AC1', authToken: 'token-value', authTokens: ['a', 'b'] },
      apiKeySecret: 'x',
    });
    const text = JSON.stringify(lines[0]);
    for (const secret of ['c2VjcmV0', 'sig=', 'token-value', '"a"']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ req: { headers: { host: 'vault' } }, account: { accountSid: 'AC1' } });
  });
});
