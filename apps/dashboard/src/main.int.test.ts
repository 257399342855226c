import { fileURLToPath } from 'node:url';
import { freePort, type RedisTestServer, startAppProcess, startRedisServer } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function startDashboard(env: Record<string, string>) {
  return startAppProcess(main, [], env);
}

describe('dashboard process', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('refuses to start without credentials unless DASHBOARD_AUTH=off', async () => {
    const run = startDashboard({ REDIS_URL: redis.url, DASHBOARD_PASSWORD: 'short' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('DASHBOARD_USER: is required (or set DASHBOARD_AUTH=off explicitly)');
    expect(run.stderr()).toContain('DASHBOARD_PASSWORD: must be at least 12 characters');
  });

  it('with DASHBOARD_AUTH=off, warns, serves the board and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const run = startDashboard({
      REDIS_URL: redis.url,
      DASHBOARD_AUTH: 'off',
      DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_PORT: String(port),
    });
    try {
      let status = 0;
      for (let i = 0; i < 200 && status !== 200 && run.child.exitCode === null; i++) {
        status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (response) => response.status,
          () => 0,
        );
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/api/queues`)).status).toBe(200);
      expect(run.stdout()).toMatch(/"level":"warn".*the board is unauthenticated/);

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
