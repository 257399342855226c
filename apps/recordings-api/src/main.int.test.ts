import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RedisTestServer, startAppProcess, startRedisServer } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('recordings API process', () => {
  let redis: RedisTestServer;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedisServer();
    dir = await mkdtemp(join(tmpdir(), 'rv-recordings-main-'));
  });
  afterAll(async () => {
    await redis?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start without a link secret or accounts, naming each variable', async () => {
    const run = startAppProcess(main, [], { REDIS_URL: redis.url, RECORDINGS_LINK_SECRET: 'short' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('RECORDINGS_LINK_SECRET: must be at least 32 characters');
    expect(run.stderr()).toContain('TWILIO_ACCOUNT_SID: is required');
  });

  it('answers /healthz and the Twilio routes, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const accountSid = `AC${'1'.repeat(32)}`;
    const run = startAppProcess(main, [], {
      REDIS_URL: redis.url,
      STORAGE_DIR: dir,
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: 'a'.repeat(32),
      RECORDINGS_LINK_SECRET: 'l'.repeat(32),
      RECORDINGS_API_HOST: '127.0.0.1',
      RECORDINGS_API_PORT: String(port),
    });
    try {
      await expect
        .poll(
          async () =>
            await fetch(`http://127.0.0.1:${port}/healthz`).then(
              (response) => response.status,
              () => 0,
            ),
          { timeout: 20_000, interval: 50 },
        )
        .toBe(200);
      const unauthenticated = await fetch(
        `http://127.0.0.1:${port}/2010-04-01/Accounts/${accountSid}/Recordings.json`,
      );
      expect(unauthenticated.status).toBe(401);
      expect(run.stdout()).toContain(`"publicUrl":"http://127.0.0.1:${port}"`);

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
