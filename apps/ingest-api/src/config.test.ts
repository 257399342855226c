import { ConfigError, parseEnv } from '@recording-vault/config';
import { describe, expect, it } from 'vitest';
import { ingestEnv } from './config.ts';

const required = {
  TWILIO_ACCOUNT_SID: `AC${'a1b2'.repeat(8)}`,
  TWILIO_AUTH_TOKEN: 'c3d4'.repeat(8),
  PUBLIC_BASE_URL: 'https://vault.example.com',
};

describe('METRICS_TOKEN', () => {
  it('is optional, and empty means unset', () => {
    expect(parseEnv(ingestEnv, required).METRICS_TOKEN).toBeUndefined();
    expect(parseEnv(ingestEnv, { ...required, METRICS_TOKEN: '' }).METRICS_TOKEN).toBeUndefined();
  });

  it('is taken when at least 16 characters long', () => {
    const token = 'x'.repeat(16);
    expect(parseEnv(ingestEnv, { ...required, METRICS_TOKEN: token }).METRICS_TOKEN).toBe(token);
  });

  it('is refused when shorter, named without its value', () => {
    const attempt = () => parseEnv(ingestEnv, { ...required, METRICS_TOKEN: 'short-secret' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
    expect(attempt).not.toThrow(/short-secret/);
  });
});
