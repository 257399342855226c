import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkStorageEnv,
  checkTwilioEnv,
  envSchema,
  envSpecOf,
  metricsEnv,
  redisEnv,
  redisTopologyEnv,
  storageEnv,
  twilioEnv,
} from './env-schemas.ts';
import { configProblems, parseEnv } from './parse-env.ts';

const schema = envSchema(
  { ...redisEnv, ...redisTopologyEnv, ...twilioEnv, ...storageEnv, ...metricsEnv },
  checkTwilioEnv,
  checkStorageEnv,
);
const account = `AC${'a'.repeat(32)}`;
const token = 'b'.repeat(32);

const problemsOf = (env: Record<string, string>) => configProblems(schema, env);

describe('<NAME>_FILE (Docker secrets)', () => {
  let dir: string;
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rv-secret-files-'));
  });

  it('exists for every secret, and for the Redis URL, which may carry a password', () => {
    expect(envSpecOf(schema)?.readableFromFile).toEqual([
      'REDIS_URL',
      'REDIS_PASSWORD',
      'REDIS_SENTINEL_PASSWORD',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_API_KEY_SECRET',
      'S3_ACCESS_KEY',
      'S3_SECRET_KEY',
      'METRICS_TOKEN',
    ]);
  });

  it("takes the file's content, trailing newlines trimmed", async () => {
    const env = parseEnv(schema, {
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN_FILE: await file('token', `${token}\n`),
      TWILIO_API_KEY_SID: `SK${'c'.repeat(32)}`,
      TWILIO_API_KEY_SECRET_FILE: await file('api-key-secret', 'an api key secret, spaces kept\r\n'),
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_FILE: await file('access-key', 'vault'),
      S3_SECRET_KEY_FILE: await file('secret-key', 'a secret key\n\n'),
      METRICS_TOKEN_FILE: await file('metrics-token', 'a-metrics-token-of-some-length\n'),
      REDIS_URL_FILE: await file('redis-url', 'redis://:password@redis:6379/0\n'),
    });
    expect(env.TWILIO_AUTH_TOKEN).toEqual([token]);
    expect(env.TWILIO_API_KEY_SECRET).toBe('an api key secret, spaces kept');
    expect(env.S3_ACCESS_KEY).toBe('vault');
    expect(env.S3_SECRET_KEY).toBe('a secret key');
    expect(env.METRICS_TOKEN).toBe('a-metrics-token-of-some-length');
    expect(env.REDIS_URL).toBe('redis://:password@redis:6379/0');
  });

  it('refuses the variable and its _FILE both set', async () => {
    expect(
      problemsOf({
        TWILIO_ACCOUNT_SID: account,
        TWILIO_AUTH_TOKEN: token,
        TWILIO_AUTH_TOKEN_FILE: await file('token-too', token),
      }),
    ).toEqual(['TWILIO_AUTH_TOKEN_FILE: set TWILIO_AUTH_TOKEN or TWILIO_AUTH_TOKEN_FILE, not both']);
  });

  it('names the variable and the path of a file it cannot read or use, never the content', async () => {
    const unreadable = await file('unreadable', `${token}\n`);
    await chmod(unreadable, 0o000);
    const asRoot = process.getuid?.() === 0;
    const empty = await file('empty', '\n');
    const wrong = await file('wrong', 'not-a-token-but-a-secret\n');
    const problems = problemsOf({
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN_FILE: wrong,
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY_FILE: join(dir, 'missing'),
      S3_SECRET_KEY_FILE: empty,
      METRICS_TOKEN_FILE: asRoot ? dir : unreadable,
    });
    expect(problems).toEqual([
      `S3_ACCESS_KEY_FILE: cannot read ${join(dir, 'missing')} (ENOENT: no such file)`,
      `S3_SECRET_KEY_FILE: ${empty} is empty`,
      asRoot
        ? `METRICS_TOKEN_FILE: cannot read ${dir} (EISDIR: it is a folder)`
        : `METRICS_TOKEN_FILE: cannot read ${unreadable} (EACCES: permission denied)`,
      `TWILIO_AUTH_TOKEN_FILE: the content of ${wrong} must be 32 lowercase hex digits: the auth token from the Twilio Console`,
    ]);
    expect(problems.join('\n')).not.toContain('not-a-token-but-a-secret');
  });

  it('is refused for a variable that is not a secret', async () => {
    expect(
      problemsOf({
        TWILIO_ACCOUNT_SID_FILE: await file('sid', account),
        TWILIO_AUTH_TOKEN: token,
        TWILIO_ACCOUNT_SID: account,
      }),
    ).toEqual([
      'TWILIO_ACCOUNT_SID_FILE: TWILIO_ACCOUNT_SID cannot be read from a file; set TWILIO_ACCOUNT_SID itself',
    ]);
  });
});
