import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkRedisEnv,
  envSchema,
  hasHashTag,
  redisEnv,
  redisSettings,
  redisTopologyEnv,
} from './env-schemas.ts';
import { configProblems, parseEnv } from './parse-env.ts';

const schema = envSchema({ ...redisEnv, ...redisTopologyEnv }, checkRedisEnv);
const settingsOf = (env: Record<string, string>) => redisSettings(parseEnv(schema, env));
const problemsOf = (env: Record<string, string>) => configProblems(schema, env);

describe('the Redis mode', () => {
  it('is a single server at REDIS_URL by default', () => {
    expect(settingsOf({})).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379', prefix: 'rv' });
    expect(settingsOf({ REDIS_URL: 'rediss://:pw@redis:6380', QUEUE_PREFIX: 'vault' })).toEqual({
      mode: 'single',
      url: 'rediss://:pw@redis:6380',
      prefix: 'vault',
    });
  });

  it('is a cluster with REDIS_CLUSTER_NODES, whose credentials and TLS come from their own variables', () => {
    expect(
      settingsOf({
        REDIS_CLUSTER_NODES: 'redis-1:6379, redis-2:6380,[::1]:7000',
        REDIS_USERNAME: 'vault',
        REDIS_PASSWORD: 'cluster-password',
        REDIS_TLS: 'true',
        QUEUE_PREFIX: '{rv}',
      }),
    ).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'redis-1', port: 6379 },
        { host: 'redis-2', port: 6380 },
        { host: '::1', port: 7000 },
      ],
      auth: { username: 'vault', password: 'cluster-password', tls: true },
      prefix: '{rv}',
      url: 'redis://127.0.0.1:6379',
    });
  });

  it('asks sentinels with REDIS_SENTINELS and REDIS_SENTINEL_NAME', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rv-redis-env-'));
    const passwordFile = join(dir, 'redis-password');
    await writeFile(passwordFile, 'sentinel-mode-password\n');
    const settings = settingsOf({
      REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379',
      REDIS_SENTINEL_NAME: 'vault',
      REDIS_PASSWORD_FILE: passwordFile,
      REDIS_SENTINEL_PASSWORD: 'sentinels-own-password',
    });
    await rm(dir, { recursive: true, force: true });
    expect(settings).toMatchObject({
      mode: 'sentinel',
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
        { host: 'sentinel-3', port: 26379 },
      ],
      name: 'vault',
      auth: { password: 'sentinel-mode-password', tls: false },
      sentinelPassword: 'sentinels-own-password',
      prefix: 'rv',
    });
  });
});

describe('cluster mode', () => {
  it('refuses a queue prefix without a hash tag, saying why', () => {
    const problems = problemsOf({ REDIS_CLUSTER_NODES: 'redis-1:6379', QUEUE_PREFIX: 'rv' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^QUEUE_PREFIX: must contain a hash tag such as \{rv\} with REDIS_CLUSTER_NODES \(got rv\)/,
    );
    expect(problems[0]).toContain('one slot');
    // The default prefix, rv, has none either.
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-1:6379' })).toEqual(problems);
  });

  it('finds a hash tag where Redis does', () => {
    for (const prefix of ['{rv}', 'vault-{rv}', '{rv}-prod', 'a{b}c{']) {
      expect(hasHashTag(prefix), prefix).toBe(true);
    }
    // An empty tag makes Redis hash the whole key; a tag without its closing brace is no tag.
    for (const prefix of ['rv', '{}rv', 'rv{', 'rv}', '}rv{', '{}{rv}x{']) {
      expect(hasHashTag(prefix), prefix).toBe(false);
    }
  });
});

describe('Redis variables that do not go together', () => {
  it('are listed all at once, by name', () => {
    const problems = problemsOf({
      REDIS_CLUSTER_NODES: 'redis-1:6379',
      REDIS_SENTINELS: 'sentinel-1',
      QUEUE_PREFIX: 'rv',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'QUEUE_PREFIX',
      'REDIS_SENTINELS',
      'REDIS_SENTINELS',
      'REDIS_SENTINEL_NAME',
    ]);
    expect(problems).toContain(
      'REDIS_SENTINELS: must be comma-separated host:port pairs such as redis-1:6379,redis-2:6379 (got sentinel-1)',
    );
    expect(problems).toContain(
      'REDIS_SENTINELS: must not be set with REDIS_CLUSTER_NODES: Redis is either a cluster or a primary watched by sentinels',
    );
    expect(problems).toContain(
      'REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS: the name they monitor the primary under',
    );
    for (const problem of problems) expect(problem).toMatch(/^[A-Z0-9_]+: (must|needs|is|its) /);
  });

  it('refuse credentials and TLS beside REDIS_URL alone, which carries its own, never showing the password', () => {
    const problems = problemsOf({
      REDIS_USERNAME: 'vault',
      REDIS_PASSWORD: 'a-password-to-hide',
      REDIS_TLS: 'yes',
      REDIS_SENTINEL_NAME: 'vault',
    });
    expect(problems).toEqual([
      'REDIS_SENTINEL_NAME: is only used with REDIS_SENTINELS',
      'REDIS_USERNAME: is only used with REDIS_CLUSTER_NODES or REDIS_SENTINELS: put it in REDIS_URL (redis://user:password@host:6379)',
      'REDIS_PASSWORD: is only used with REDIS_CLUSTER_NODES or REDIS_SENTINELS: put it in REDIS_URL (redis://user:password@host:6379)',
      'REDIS_TLS: is only used with REDIS_CLUSTER_NODES or REDIS_SENTINELS: use rediss:// in REDIS_URL',
    ]);
  });

  it('refuse addresses without a port or with an impossible one', () => {
    for (const nodes of ['redis-1', 'redis-1:0', 'redis-1:70000', 'redis://redis-1:6379', ',']) {
      expect(problemsOf({ REDIS_CLUSTER_NODES: nodes, QUEUE_PREFIX: '{rv}' }), nodes).toEqual([
        expect.stringMatching(/^REDIS_CLUSTER_NODES: must be comma-separated host:port pairs/),
      ]);
    }
  });

  it('are refused by redisSettings too, for a schema that left out checkRedisEnv', () => {
    const unchecked = envSchema({ ...redisEnv, ...redisTopologyEnv });
    const env = parseEnv(unchecked, { REDIS_CLUSTER_NODES: 'redis-1:6379', QUEUE_PREFIX: 'rv' });
    expect(() => redisSettings(env)).toThrow(/QUEUE_PREFIX: must contain a hash tag/);
  });
});
