import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerMetrics, serveMetrics } from './metrics.ts';

const token = 'worker-metrics-token-0123';

describe('the worker metrics server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await new Promise((resolve) => server?.close(resolve));
    server = undefined;
  });

  async function start(options?: { token?: string }): Promise<string> {
    server = serveMetrics(createWorkerMetrics(), () => true, options).listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('serves /metrics to anyone without a token', async () => {
    const origin = await start();
    const response = await fetch(`${origin}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('rv_worker_');
  });

  it('with a token, serves /metrics only to its bearer and keeps /healthz open', async () => {
    const origin = await start({ token });
    const refusals = await Promise.all(
      [undefined, 'Bearer wrong-token-0123456789', token, `Basic ${token}`].map((authorization) =>
        fetch(`${origin}/metrics`, { headers: authorization ? { authorization } : {} }),
      ),
    );
    for (const refused of refusals) {
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const body = await refused.text();
      expect(JSON.parse(body)).toEqual({ error: expect.any(String) });
      expect(body).not.toContain(token);
    }

    const allowed = await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('rv_worker_');
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  });
});
