import { ConfigError, parseEnv } from '@recording-vault/config';
import { recordingsApiEnv } from '@recording-vault/recordings-api/config';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { dashboardEnv, dashboardPlayback } from './config.ts';

const required = { DASHBOARD_USER: 'operator', DASHBOARD_PASSWORD: 'correct horse battery staple' };

describe('DASHBOARD_TRUST_PROXY', () => {
  it('trusts no proxy unless set', () => {
    expect(parseEnv(dashboardEnv, required).DASHBOARD_TRUST_PROXY).toBe(false);
    expect(
      parseEnv(dashboardEnv, { ...required, DASHBOARD_TRUST_PROXY: 'false' }).DASHBOARD_TRUST_PROXY,
    ).toBe(false);
  });

  it.each([
    ['1', 1],
    ['loopback', 'loopback'],
    ['10.0.0.0/8, 192.168.1.7', '10.0.0.0/8,192.168.1.7'],
    ['fd00::/8,uniquelocal', 'fd00::/8,uniquelocal'],
    ['172.16.0.0/255.240.0.0', '172.16.0.0/255.240.0.0'],
  ])('takes %s as Express takes it', (value, setting) => {
    const env = parseEnv(dashboardEnv, { ...required, DASHBOARD_TRUST_PROXY: value });
    expect(env.DASHBOARD_TRUST_PROXY).toEqual(setting);
    // And Express accepts it (it throws on an address it cannot read).
    expect(() => express().set('trust proxy', setting)).not.toThrow();
  });

  it('refuses true: every client could name its own address and dodge the login throttle', () => {
    const attempt = () => parseEnv(dashboardEnv, { ...required, DASHBOARD_TRUST_PROXY: 'true' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DASHBOARD_TRUST_PROXY: true would let every client choose its own address/);
  });

  it.each(['proxy.example', '10.0.0.0/8/8', '300.1.1.1', 'loopback,,'])('refuses %s', (value) => {
    expect(() => parseEnv(dashboardEnv, { ...required, DASHBOARD_TRUST_PROXY: value })).toThrow(
      /DASHBOARD_TRUST_PROXY: must be false, a hop count, or comma-separated/,
    );
  });
});

describe('the archive page settings', () => {
  const linkSecret = 'a'.repeat(32);

  it('plays recordings once both the recordings API URL and its link secret are set', () => {
    const env = parseEnv(dashboardEnv, {
      ...required,
      RECORDINGS_API_PUBLIC_URL: 'https://recordings.example.com/',
      RECORDINGS_LINK_SECRET: linkSecret,
    });
    expect(dashboardPlayback(env)).toEqual({
      enabled: true,
      publicUrl: 'https://recordings.example.com',
      linkSecret,
    });
  });

  it('names what is missing when playback is off', () => {
    expect(dashboardPlayback(parseEnv(dashboardEnv, required))).toEqual({
      enabled: false,
      missing: ['RECORDINGS_API_PUBLIC_URL', 'RECORDINGS_LINK_SECRET'],
    });
    expect(
      dashboardPlayback(parseEnv(dashboardEnv, { ...required, RECORDINGS_LINK_SECRET: linkSecret })),
    ).toEqual({ enabled: false, missing: ['RECORDINGS_API_PUBLIC_URL'] });
  });

  it("refuses what the recordings API refuses, in the API's words (one line each when both apps start)", () => {
    const bad = {
      RECORDINGS_API_PUBLIC_URL: 'recordings.example.com',
      RECORDINGS_LINK_SECRET: 'short-link-secret',
      S3_ENDPOINT: 'http://minio:9000',
    };
    const problemsOf = (schema: Parameters<typeof parseEnv>[0], env: Record<string, string>) => {
      try {
        parseEnv(schema, env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    const dashboard = problemsOf(dashboardEnv, { ...required, ...bad });
    const api = problemsOf(recordingsApiEnv, { ...bad, TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}` });
    expect(dashboard).toEqual([
      'RECORDINGS_API_PUBLIC_URL: needs a scheme: https://recordings.example.com (got recordings.example.com)',
      'RECORDINGS_LINK_SECRET: must be at least 32 characters: a random secret that signs playback links',
      'S3_ACCESS_KEY: is required when S3_ENDPOINT is set',
      'S3_SECRET_KEY: is required when S3_ENDPOINT is set',
    ]);
    for (const problem of dashboard) expect(api).toContain(problem);
    expect(dashboard.join('\n')).not.toContain('short-link-secret');
  });

  it('refuses the link secret placeholder of .env.example', () => {
    expect(() =>
      parseEnv(dashboardEnv, {
        ...required,
        RECORDINGS_LINK_SECRET: 'change-me-recordings-link-secret-of-32-characters-or-more',
      }),
    ).toThrow(/RECORDINGS_LINK_SECRET: is the placeholder from .env.example/);
  });
});
