import { describe, expect, it } from 'vitest';
import {
  checkStorageEnv,
  checkTwilioEnv,
  envSchema,
  redisEnv,
  storageEnv,
  storageSettings,
  twilioEnv,
  twilioSettings,
} from './env-schemas.ts';
import { configProblems, parseEnv } from './parse-env.ts';
import { booleanFlag, duration } from './variables.ts';

const schema = envSchema(
  { ...redisEnv, ...twilioEnv, ...storageEnv, DELETE: booleanFlag(true) },
  checkTwilioEnv,
  checkStorageEnv,
);

const account = `AC${'a'.repeat(32)}`;
const token = 'b'.repeat(32);

const problemsOf = (env: Record<string, string>) => configProblems(schema, env);

describe('parseEnv', () => {
  it('applies defaults and returns a frozen object', () => {
    const env = parseEnv(schema, { TWILIO_ACCOUNT_SID: account, TWILIO_AUTH_TOKEN: token });
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.QUEUE_PREFIX).toBe('rv');
    expect(env.TWILIO_API_BASE_URL).toBeUndefined();
    expect(env.TWILIO_ACCOUNT_REGION).toBe('us1');
    expect(env.DELETE).toBe(true);
    expect(Object.isFrozen(env)).toBe(true);
    expect(Object.isFrozen(env.TWILIO_AUTH_TOKEN)).toBe(true);
    expect(storageSettings(env)).toEqual({ driver: 'folder', dir: './data/recordings' });
  });

  it('lists every bad variable at once, by name, without echoing secret values', () => {
    const problems = problemsOf({
      TWILIO_AUTH_TOKEN: 'not-a-token-secret-value',
      REDIS_URL: 'http://localhost',
      S3_ENDPOINT: 'http://minio:9000',
      TWILIO_API_KEY_SID: `SK${'c'.repeat(32)}`,
      DELETE: 'maybe',
    });
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'TWILIO_ACCOUNT_SID',
        'TWILIO_AUTH_TOKEN',
        'REDIS_URL',
        'DELETE',
        'TWILIO_API_KEY_SECRET',
        'S3_ACCESS_KEY',
        'S3_SECRET_KEY',
      ]),
    );
    expect(problems.join('\n')).not.toContain('not-a-token-secret-value');
  });

  it('treats empty variables as unset', () => {
    const env = parseEnv(schema, { TWILIO_ACCOUNT_SID: account, TWILIO_AUTH_TOKEN: token, S3_ENDPOINT: '' });
    expect(env.S3_ENDPOINT).toBeUndefined();
  });

  it('splits a rotated token list and selects S3 when an endpoint is set', () => {
    const second = 'd'.repeat(32);
    const env = parseEnv(schema, {
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: `${token}, ${second}`,
      TWILIO_API_BASE_URL: 'http://127.0.0.1:4010/',
      S3_ENDPOINT: 'http://minio:9000',
      S3_ACCESS_KEY: 'vault',
      S3_SECRET_KEY: 'vault-secret',
    });
    expect(twilioSettings(env)).toEqual({
      accounts: [
        {
          accountSid: account,
          authTokens: [token, second],
          region: 'us1',
          apiOrigin: 'http://127.0.0.1:4010',
        },
      ],
    });
    expect(storageSettings(env)).toMatchObject({ driver: 's3', bucket: 'recordings', region: 'us-east-1' });
  });
});

describe('TWILIO_ACCOUNTS_FILE', () => {
  const write = async (name: string, text: string) => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const path = join(await mkdtemp(join(tmpdir(), 'rv-accounts-')), name);
    await writeFile(path, text);
    return path;
  };
  const sub = `AC${'e'.repeat(32)}`;

  it('adds accounts from YAML to the one from the variables, each with its own credentials', async () => {
    const path = await write(
      'accounts.yaml',
      `- accountSid: ${sub}\n  authToken: [${'1'.repeat(32)}, ${'2'.repeat(32)}]\n  apiKeySid: SK${'3'.repeat(32)}\n  apiKeySecret: a-long-enough-secret\n`,
    );
    const env = parseEnv(schema, {
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: token,
      TWILIO_ACCOUNTS_FILE: path,
    });
    expect(twilioSettings(env).accounts).toEqual([
      { accountSid: account, authTokens: [token], region: 'us1', apiOrigin: 'https://api.twilio.com' },
      {
        accountSid: sub,
        authTokens: ['1'.repeat(32), '2'.repeat(32)],
        apiKey: { sid: `SK${'3'.repeat(32)}`, secret: 'a-long-enough-secret' },
        region: 'us1',
        apiOrigin: 'https://api.twilio.com',
      },
    ]);
  });

  it('is enough on its own, as JSON', async () => {
    const path = await write('accounts.json', JSON.stringify([{ accountSid: sub, authToken: token }]));
    const env = parseEnv(schema, { TWILIO_ACCOUNTS_FILE: path });
    expect(twilioSettings(env).accounts.map((a) => a.accountSid)).toEqual([sub]);
  });

  it('lists every problem in the file by position, without echoing its secrets', async () => {
    const path = await write(
      'bad.yaml',
      `- accountSid: AC1\n  authToken: secret-token-value\n- accountSid: ${sub}\n  authToken: ${token}\n  apiKeySid: SK${'3'.repeat(32)}\n`,
    );
    const problems = problemsOf({ TWILIO_ACCOUNTS_FILE: path });
    const text = problems.join('\n');
    expect(text).toContain('[0].accountSid');
    expect(text).toContain('[0].authToken');
    expect(text).toContain('apiKeySid and apiKeySecret go together');
    expect(text).not.toContain('secret-token-value');
  });

  it('names a missing file and the account listed twice', async () => {
    expect(problemsOf({ TWILIO_ACCOUNTS_FILE: '/nonexistent/accounts.yaml' })).toContain(
      'TWILIO_ACCOUNTS_FILE: cannot read /nonexistent/accounts.yaml (ENOENT: no such file)',
    );
    const path = await write('dup.json', JSON.stringify([{ accountSid: account, authToken: token }]));
    expect(
      problemsOf({ TWILIO_ACCOUNT_SID: account, TWILIO_AUTH_TOKEN: token, TWILIO_ACCOUNTS_FILE: path })[0],
    ).toMatch(/^TWILIO_ACCOUNTS_FILE: lists AC/);
  });
});

describe('duration', () => {
  it('reads units into milliseconds and refuses anything else', () => {
    const schema = envSchema({ EVERY: duration('15m') });
    expect(parseEnv(schema, {}).EVERY).toBe(900_000);
    expect(parseEnv(schema, { EVERY: '48h' }).EVERY).toBe(172_800_000);
    expect(parseEnv(schema, { EVERY: '0' }).EVERY).toBe(0);
    expect(() => parseEnv(schema, { EVERY: '15' })).toThrow(
      'EVERY: must be a duration such as 90s, 15m, 48h or 0 (got 15)',
    );
  });
});
