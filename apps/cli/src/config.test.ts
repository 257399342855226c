import { configProblems, parseEnv, redisSettings } from '@recording-vault/config';
import { describe, expect, it } from 'vitest';
import { cliEnv } from './config.ts';

const twilio = { TWILIO_ACCOUNT_SID: `AC${'a1b2'.repeat(8)}`, TWILIO_AUTH_TOKEN: 'c3d4'.repeat(8) };
const cluster = { REDIS_CLUSTER_NODES: 'redis-1:6379,redis-2:6379' };

describe('pnpm vault on a Redis Cluster', () => {
  it('refuses a QUEUE_PREFIX without a hash tag, saying why', () => {
    expect(configProblems(cliEnv, { ...twilio, ...cluster, QUEUE_PREFIX: 'rv' })).toEqual([
      expect.stringMatching(/^QUEUE_PREFIX: must contain a hash tag such as \{rv\}/),
    ]);
  });

  it('takes the same settings as the workers, in every mode', () => {
    expect(redisSettings(parseEnv(cliEnv, { ...twilio, ...cluster, QUEUE_PREFIX: '{rv}' }))).toMatchObject({
      mode: 'cluster',
      prefix: '{rv}',
    });
    expect(
      redisSettings(
        parseEnv(cliEnv, { ...twilio, REDIS_SENTINELS: 'sentinel-1:26379', REDIS_SENTINEL_NAME: 'vault' }),
      ),
    ).toMatchObject({ mode: 'sentinel', name: 'vault' });
  });
});
