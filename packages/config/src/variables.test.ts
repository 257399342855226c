import { describe, expect, it } from 'vitest';
import {
  checkStorageEnv,
  checkTwilioEnv,
  envSchema,
  logEnv,
  metricsEnv,
  redisEnv,
  retryEnv,
  storageEnv,
  twilioEnv,
} from './env-schemas.ts';
import { configProblems, parseEnv } from './parse-env.ts';
import {
  booleanFlag,
  choice,
  duration,
  nonNegativeInt,
  port,
  positiveInt,
  secret,
  secretText,
  url,
} from './variables.ts';

const problemsOf = configProblems;

const account = `AC${'a'.repeat(32)}`;
const token = 'b'.repeat(32);

describe('each kind of variable says what is wrong in plain words', () => {
  const schema = envSchema({
    PORT: port(3000),
    COUNT: positiveInt(1),
    DELAY: nonNegativeInt(0, 'seconds'),
    EVERY: duration('15m'),
    FLAG: booleanFlag(true),
    LEVEL: choice(['info', 'debug'], 'info'),
    BASE_URL: url(['https', 'http'], 'is required: the public URL, e.g. https://vault.example.com'),
    PASSWORD: secret(secretText(12).optional()),
  });
  const valid = { BASE_URL: 'https://vault.example.com' };

  it.each([
    ['PORT', '70000', 'PORT: must be a port number from 0 to 65535 (got 70000)'],
    ['PORT', '-1', 'PORT: must be a port number from 0 to 65535 (got -1)'],
    ['PORT', '80a', 'PORT: must be a port number from 0 to 65535 (got 80a)'],
    ['COUNT', '0', 'COUNT: must be a whole number, 1 or more (got 0)'],
    ['COUNT', '1.5', 'COUNT: must be a whole number, 1 or more (got 1.5)'],
    ['DELAY', '5s', 'DELAY: must be a whole number of seconds, 0 or more (got 5s)'],
    ['EVERY', '15', 'EVERY: must be a duration such as 90s, 15m, 48h or 0 (got 15)'],
    ['EVERY', '15 m', 'EVERY: must be a duration such as 90s, 15m, 48h or 0 (got "15 m")'],
    ['FLAG', 'maybe', 'FLAG: must be true or false (got maybe)'],
    ['LEVEL', 'verbose', 'LEVEL: must be info or debug (got verbose)'],
    [
      'BASE_URL',
      'vault.example.com',
      'BASE_URL: needs a scheme: https://vault.example.com (got vault.example.com)',
    ],
    [
      'BASE_URL',
      'ftp://vault.example.com',
      'BASE_URL: must start with https:// or http:// (got ftp://vault.example.com)',
    ],
    ['BASE_URL', 'https://', 'BASE_URL: is not a valid URL (got https://)'],
    ['PASSWORD', 'hunter2', 'PASSWORD: must be at least 12 characters'],
  ])('%s=%s', (name, value, message) => {
    expect(problemsOf(schema, { ...valid, [name]: value })).toEqual([message]);
  });

  it('names a missing required variable with what it should be', () => {
    expect(problemsOf(schema, {})).toEqual([
      'BASE_URL: is required: the public URL, e.g. https://vault.example.com',
    ]);
  });

  it('takes what it should', () => {
    const env = parseEnv(schema, {
      ...valid,
      PORT: '0',
      COUNT: '3',
      DELAY: '0',
      EVERY: '90s',
      FLAG: 'off',
      LEVEL: 'debug',
      PASSWORD: 'twelve chars',
    });
    expect(env).toMatchObject({ PORT: 0, COUNT: 3, DELAY: 0, EVERY: 90_000, FLAG: false, LEVEL: 'debug' });
  });
});

describe('the shared variables', () => {
  const schema = envSchema(
    { ...logEnv, ...redisEnv, ...retryEnv, ...twilioEnv, ...storageEnv, ...metricsEnv },
    checkTwilioEnv,
    checkStorageEnv,
  );
  const secrets = {
    TWILIO_AUTH_TOKEN: 'not-a-token-but-a-secret-value',
    TWILIO_API_KEY_SECRET: 'too-short',
    S3_ACCESS_KEY: 'access-key-value',
    S3_SECRET_KEY: 'secret-key-value',
    METRICS_TOKEN: 'metrics-short',
  };
  const problems = problemsOf(schema, {
    ...secrets,
    LOG_LEVEL: 'loud',
    REDIS_URL: 'redis-host:6379',
    QUEUE_PREFIX: 'rv:prod',
    JOB_ATTEMPTS: 'ten',
    TWILIO_ACCOUNT_SID: 'AC123',
    TWILIO_API_KEY_SID: 'SK123',
    TWILIO_API_BASE_URL: 'api.twilio.com',
    S3_ENDPOINT: 'http://',
    S3_BUCKET: 'My_Bucket',
  });

  it('fail one line each, by name, with no library wording and no array index', () => {
    const names = problems.map((problem) => problem.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'LOG_LEVEL',
        'REDIS_URL',
        'QUEUE_PREFIX',
        'JOB_ATTEMPTS',
        'TWILIO_ACCOUNT_SID',
        'TWILIO_AUTH_TOKEN',
        'TWILIO_API_KEY_SID',
        'TWILIO_API_KEY_SECRET',
        'TWILIO_API_BASE_URL',
        'S3_ENDPOINT',
        'S3_BUCKET',
        'METRICS_TOKEN',
      ]),
    );
    for (const problem of problems) {
      expect(problem).toMatch(/^[A-Z0-9_]+: (must|needs|is|its) /);
      expect(problem).not.toMatch(/expected|received|Invalid|Too (big|small)|[A-Z_]\.\d/);
    }
    expect(problems).toContain('REDIS_URL: needs a scheme: redis://redis-host:6379 (got redis-host:6379)');
    expect(problems).toContain(
      'TWILIO_API_BASE_URL: needs a scheme: https://api.twilio.com (got api.twilio.com)',
    );
    expect(problems).toContain(
      'TWILIO_AUTH_TOKEN: must be 32 lowercase hex digits: the auth token from the Twilio Console',
    );
  });

  it('never show a secret', () => {
    const text = problems.join('\n');
    for (const value of Object.values(secrets)) expect(text).not.toContain(value);
  });

  it('say which of several rotated tokens is wrong, not what it is', () => {
    const text = problemsOf(schema, {
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: `${token},oops-secret`,
    });
    expect(text).toEqual([
      'TWILIO_AUTH_TOKEN: must be tokens of 32 lowercase hex digits each, comma-separated: the second is not',
    ]);
  });

  it('show a URL without its password', () => {
    const text = problemsOf(schema, {
      TWILIO_ACCOUNT_SID: account,
      TWILIO_AUTH_TOKEN: token,
      REDIS_URL: 'http://:hunter2-password@redis:6379',
    });
    expect(text).toEqual(['REDIS_URL: must start with redis:// or rediss:// (got http://:***@redis:6379)']);
  });
});
