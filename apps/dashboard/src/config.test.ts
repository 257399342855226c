import { ConfigError, parseEnv } from '@recording-vault/config';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { dashboardEnv } from './config.ts';

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
