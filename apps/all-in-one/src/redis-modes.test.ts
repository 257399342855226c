import { ConfigError, configProblems, parseEnv, redisSettings } from '@recording-vault/config';
import { dashboardEnv } from '@recording-vault/dashboard/config';
import { ingestEnv } from '@recording-vault/ingest-api/config';
import { recordingsApiEnv } from '@recording-vault/recordings-api/config';
import { workerEnv } from '@recording-vault/worker/config';
import { describe, expect, it } from 'vitest';
import { parseStackEnv } from './config.ts';

const twilio = { TWILIO_ACCOUNT_SID: `AC${'a1b2'.repeat(8)}`, TWILIO_AUTH_TOKEN: 'c3d4'.repeat(8) };

/** Each app's schema with what it requires besides Redis. */
const apps = [
  { app: 'ingest-api', schema: ingestEnv, env: { ...twilio, PUBLIC_BASE_URL: 'https://vault.example.com' } },
  { app: 'worker', schema: workerEnv, env: twilio },
  {
    app: 'dashboard',
    schema: dashboardEnv,
    env: { DASHBOARD_USER: 'operator', DASHBOARD_PASSWORD: 'correct horse battery staple' },
  },
  {
    app: 'recordings-api',
    schema: recordingsApiEnv,
    env: { ...twilio, RECORDINGS_LINK_SECRET: 'a link secret of at least thirty-two characters' },
  },
] as const;

const cluster = { REDIS_CLUSTER_NODES: 'redis-1:6379,redis-2:6379' };
const stackEnv = Object.assign({}, ...apps.map(({ env }) => env)) as Record<string, string>;

describe.each(apps)('the $app schema', ({ schema, env }) => {
  it('refuses a Redis Cluster without a hash tag in QUEUE_PREFIX, saying why', () => {
    const problems = configProblems(schema, { ...env, ...cluster, QUEUE_PREFIX: 'rv' });
    expect(problems).toEqual([
      expect.stringMatching(/^QUEUE_PREFIX: must contain a hash tag such as \{rv\}/),
    ]);
    // The default prefix has none either.
    expect(configProblems(schema, { ...env, ...cluster })).toEqual(problems);
  });

  it('connects to a Redis Cluster with one, or through sentinels', () => {
    expect(redisSettings(parseEnv(schema, { ...env, ...cluster, QUEUE_PREFIX: '{rv}' }))).toMatchObject({
      mode: 'cluster',
      prefix: '{rv}',
      nodes: [
        { host: 'redis-1', port: 6379 },
        { host: 'redis-2', port: 6379 },
      ],
    });
    const sentinels = { REDIS_SENTINELS: 'sentinel-1:26379', REDIS_SENTINEL_NAME: 'vault' };
    expect(redisSettings(parseEnv(schema, { ...env, ...sentinels }))).toMatchObject({
      mode: 'sentinel',
      name: 'vault',
    });
  });
});

describe('pnpm start', () => {
  it('refuses a Redis Cluster without a hash tag once, for the four apps', () => {
    let problems: readonly string[] = [];
    try {
      parseStackEnv({ ...stackEnv, ...cluster, QUEUE_PREFIX: 'rv' });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems.filter((problem) => problem.startsWith('QUEUE_PREFIX:'))).toHaveLength(1);
  });
});
