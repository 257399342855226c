import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { startAppProcess } from '../app-process.ts';

const cli = fileURLToPath(new URL('../emulator-cli.ts', import.meta.url));

describe('emulator CLI', () => {
  it('starts with the demo seed, prints its credentials as JSON, and stops on SIGTERM', async () => {
    const emulator = startAppProcess(cli, ['--port', '0', '--seed', 'demo']);
    const { child } = emulator;
    try {
      await vi.waitUntil(() => emulator.stdout().includes('\n'), { timeout: 30_000, interval: 20 });
      const output = emulator.stdout();
      const started = JSON.parse(output.slice(0, output.indexOf('\n'))) as {
        baseUrl: string;
        accountSid: string;
        authToken: string;
        recordings: { sid: string; status: string; channels: number }[];
      };
      expect(started.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.recordings.map((r) => [r.status, r.channels])).toEqual([
        ['completed', 1],
        ['completed', 2],
        ['completed', 1],
        ['absent', 1],
      ]);

      const auth = `Basic ${Buffer.from(`${started.accountSid}:${started.authToken}`).toString('base64')}`;
      const response = await fetch(
        `${started.baseUrl}/2010-04-01/Accounts/${started.accountSid}/Recordings.json`,
        {
          headers: { Authorization: auth },
        },
      );
      const body = (await response.json()) as { recordings: { sid: string }[] };
      expect(body.recordings).toHaveLength(4);

      child.kill('SIGTERM');
      expect(await emulator.exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
