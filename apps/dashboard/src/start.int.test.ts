import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchiveIndex } from '@recording-vault/archive-index';
import { archiveRecording, sidOf } from '@recording-vault/archive-index/testing/archived-fixtures';
import { parseEnv } from '@recording-vault/config';
import { serverOrigin } from '@recording-vault/lifecycle';
import { createLogger } from '@recording-vault/logger';
import { createFolderStore } from '@recording-vault/storage';
import { type RedisTestServer, startRedisServer } from '@recording-vault/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardEnv } from './config.ts';
import { startDashboard } from './start.ts';

const user = 'operator';
const password = 'correct horse battery staple';
const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('startDashboard: the archive pages from the configuration', () => {
  let redis: RedisTestServer;
  let work: string;
  let connection: Redis;
  const prefix = `{t${sidOf('RE').slice(2, 10)}}`;
  let recordingSid: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    work = await mkdtemp(join(tmpdir(), 'rv-dashboard-start-'));
    connection = new Redis(redis.url);
    // A recording archived as the worker leaves one, in the folder and index the dashboard is given.
    const store = createFolderStore({ dir: join(work, 'recordings') });
    await store.ensureBucket();
    const archived = await archiveRecording(
      store,
      { accountSid: sidOf('AC'), dateCreated: new Date('2026-11-24T03:00:00Z') },
      createArchiveIndex({ redis: connection, prefix }),
    );
    recordingSid = archived.entry.recordingSid;
  });

  afterAll(async () => {
    connection?.disconnect();
    await redis?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function started(extra: Record<string, string>) {
    const env = parseEnv(dashboardEnv, {
      REDIS_URL: redis.url,
      QUEUE_PREFIX: prefix,
      STORAGE_DIR: join(work, 'recordings'),
      DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_PORT: '0',
      DASHBOARD_USER: user,
      DASHBOARD_PASSWORD: password,
      ...extra,
    });
    const dashboard = await startDashboard(env, createLogger({ name: 'dashboard', level: 'silent' }));
    const origin = serverOrigin(dashboard.server);
    // Its Redis connection fails fast: the pages answer once /healthz says Redis does.
    while ((await fetch(`${origin}/healthz`)).status !== 200)
      await new Promise((done) => setTimeout(done, 50));
    const page = async (path: string) => {
      const response = await fetch(`${origin}${path}`, { headers: { authorization } });
      return { status: response.status, body: await response.text() };
    };
    return { dashboard, page };
  }

  it('reads the index under QUEUE_PREFIX and the sidecars in storage, and plays through the recordings API', async () => {
    const { dashboard, page } = await started({
      RECORDINGS_API_PUBLIC_URL: 'https://recordings.example.com/',
      RECORDINGS_LINK_SECRET: 'b'.repeat(32),
    });
    try {
      const list = await page('/archive');
      expect(list.status).toBe(200);
      expect(list.body).toContain(`/archive/recordings/${recordingSid}`);
      const recording = await page(`/archive/recordings/${recordingSid}`);
      expect(recording.status).toBe(200);
      expect(recording.body).toContain('<dt>Source</dt><dd>DialVerb</dd>');
      expect(recording.body).toMatch(
        new RegExp(
          `<audio id="player" [^>]*src="https://recordings\\.example\\.com/v1/media/AC[0-9a-f]{32}/${recordingSid}\\.wav\\?Expires=`,
        ),
      );
    } finally {
      await dashboard.close();
    }
  });

  it('without the link settings, shows the metadata and says what playback needs', async () => {
    const { dashboard, page } = await started({});
    try {
      const recording = await page(`/archive/recordings/${recordingSid}`);
      expect(recording.status).toBe(200);
      expect(recording.body).not.toContain('<audio');
      expect(recording.body).toContain('need RECORDINGS_API_PUBLIC_URL and RECORDINGS_LINK_SECRET');
    } finally {
      await dashboard.close();
    }
  });
});
