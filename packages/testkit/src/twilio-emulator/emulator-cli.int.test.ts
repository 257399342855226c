import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../emulator-cli.ts', import.meta.url));

describe('emulator CLI', () => {
  it('starts with the demo seed, prints its credentials as JSON, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--conditions=source', cli, '--port', '0', '--seed', 'demo'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let output = '';
      child.stdout.setEncoding('utf8');
      while (!output.includes('\n')) {
        const [chunk] = (await once(child.stdout, 'data')) as [string];
        output += chunk;
      }
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

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
