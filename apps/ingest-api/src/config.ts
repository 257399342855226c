import {
  checkTwilioEnv,
  envSchema,
  logEnv,
  metricsEnv,
  port,
  redisEnv,
  retryEnv,
  twilioEnv,
  url,
} from '@recording-vault/config';
import { z } from 'zod';

export const ingestEnv = envSchema(
  {
    ...logEnv,
    ...redisEnv,
    ...retryEnv,
    ...twilioEnv,
    /** The public origin Twilio calls (scheme, host, optional port and path prefix), which signatures cover. */
    PUBLIC_BASE_URL: url(
      ['https', 'http'],
      'is required: the public http(s) URL Twilio calls, e.g. https://vault.example.com',
    ).transform((text) => text.replace(/\/+$/, '')),
    INGEST_PORT: port(3000),
    INGEST_HOST: z.string().default('0.0.0.0'),
    /**
     * Express `trust proxy`: which proxies may set X-Forwarded-For (client addresses in logs). Signatures
     * never depend on it: they are checked against PUBLIC_BASE_URL.
     */
    TRUST_PROXY: z.string().default('loopback'),
    ...metricsEnv,
  },
  checkTwilioEnv,
);

export type IngestEnv = z.output<typeof ingestEnv>;

/** `true`/`false`, a hop count, or addresses and subnets (Express's own syntax). */
export function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
