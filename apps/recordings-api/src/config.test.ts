import { configProblems, envExamplePlaceholders, parseEnv } from '@recording-vault/config';
import { describe, expect, it } from 'vitest';
import { recordingsApiEnv } from './config.ts';

const base = {
  TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: '2'.repeat(32),
  RECORDINGS_LINK_SECRET: 'x'.repeat(32),
};

describe('recordings API configuration', () => {
  it('has the documented defaults', () => {
    const env = parseEnv(recordingsApiEnv, base);
    expect(env).toMatchObject({
      RECORDINGS_API_PORT: 3002,
      RECORDINGS_API_HOST: '0.0.0.0',
      RECORDINGS_API_TRUST_PROXY: false,
      QUEUE_PREFIX: 'rv',
      STORAGE_DIR: './data/recordings',
    });
    expect(env.RECORDINGS_API_PUBLIC_URL).toBeUndefined();
  });

  it('trims a trailing slash off the public URL', () => {
    const env = parseEnv(recordingsApiEnv, {
      ...base,
      RECORDINGS_API_PUBLIC_URL: 'https://vault.example.com/rv/',
    });
    expect(env.RECORDINGS_API_PUBLIC_URL).toBe('https://vault.example.com/rv');
  });

  it('lists every problem at once, never showing the link secret', () => {
    const problems = configProblems(recordingsApiEnv, {
      RECORDINGS_LINK_SECRET: 'too-short-secret',
      RECORDINGS_API_TRUST_PROXY: 'true',
      RECORDINGS_API_PUBLIC_URL: 'vault.example.com',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^RECORDINGS_LINK_SECRET: must be at least 32 characters/),
        expect.stringMatching(/^RECORDINGS_API_TRUST_PROXY: true would let every client/),
        expect.stringMatching(/^RECORDINGS_API_PUBLIC_URL: needs a scheme/),
        expect.stringMatching(/^TWILIO_ACCOUNT_SID: is required/),
      ]),
    );
    expect(problems.join('\n')).not.toContain('too-short-secret');
  });

  it("refuses .env.example's link secret as it stands", () => {
    expect(
      configProblems(recordingsApiEnv, {
        ...base,
        RECORDINGS_LINK_SECRET: envExamplePlaceholders.RECORDINGS_LINK_SECRET,
      }),
    ).toEqual([
      'RECORDINGS_LINK_SECRET: is the placeholder from .env.example: choose a random secret of your own (openssl rand -base64 32)',
    ]);
  });

  it('requires the link secret', () => {
    const { RECORDINGS_LINK_SECRET: _, ...withoutSecret } = base;
    expect(configProblems(recordingsApiEnv, withoutSecret)).toEqual(['RECORDINGS_LINK_SECRET: is required']);
  });
});
