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

describe('acknowledged once replicated', () => {
  it('learns how many replicas to wait for from the primary unless INGEST_MIN_REPLICAS is set', () => {
    const env = parseEnv(ingestEnv, required);
    expect(env.INGEST_MIN_REPLICAS).toBeUndefined();
    expect(env.INGEST_REPLICA_TIMEOUT_MS).toBe(2_000);
    expect(parseEnv(ingestEnv, { ...required, INGEST_MIN_REPLICAS: '0' }).INGEST_MIN_REPLICAS).toBe(0);
    expect(parseEnv(ingestEnv, { ...required, INGEST_MIN_REPLICAS: '2' }).INGEST_MIN_REPLICAS).toBe(2);
  });

  it('refuses a wait for replicas that could outlast Twilio’s 15 s', () => {
    expect(
      parseEnv(ingestEnv, { ...required, INGEST_REPLICA_TIMEOUT_MS: '3000' }).INGEST_REPLICA_TIMEOUT_MS,
    ).toBe(3_000);
    expect(() => parseEnv(ingestEnv, { ...required, INGEST_REPLICA_TIMEOUT_MS: '5000' })).toThrow(
      /INGEST_REPLICA_TIMEOUT_MS: must be at most 3000 milliseconds \(got 5000\)/,
    );
    expect(() => parseEnv(ingestEnv, { ...required, INGEST_MIN_REPLICAS: 'one' })).toThrow(
      /INGEST_MIN_REPLICAS: must be a whole number, 0 or more/,
    );
  });
});
