import {
  checkRedisEnv,
  checkStorageEnv,
  checkTwilioEnv,
  envExamplePlaceholder,
  envSchema,
  logEnv,
  metricsEnv,
  port,
  redisEnv,
  redisTopologyEnv,
  secret,
  secretText,
  storageEnv,
  trustProxy,
  twilioEnv,
  url,
} from '@recording-vault/config';
import { z } from 'zod';

export const recordingsApiEnv = envSchema(
  {
    ...logEnv,
    ...redisEnv,
    ...redisTopologyEnv,
    // The same accounts as the worker's: the API takes their credentials to authenticate its callers.
    ...twilioEnv,
    ...storageEnv,
    ...metricsEnv,
    RECORDINGS_API_PORT: port(3002),
    RECORDINGS_API_HOST: z.string().default('0.0.0.0'),
    /**
     * The public origin (and any path prefix) put in `media_url` and in signed links; unset, the address the
     * API listens on.
     */
    RECORDINGS_API_PUBLIC_URL: url(['https', 'http'])
      .transform((text) => text.replace(/\/+$/, ''))
      .optional(),
    /** Signs the links that play a recording without credentials. */
    RECORDINGS_LINK_SECRET: secret(
      secretText(32, 'must be at least 32 characters: a random secret that signs playback links'),
      envExamplePlaceholder(
        'RECORDINGS_LINK_SECRET',
        'choose a random secret of your own (openssl rand -base64 32)',
      ),
    ),
    /**
     * Express `trust proxy` for a proxy in front of the API: its addresses or subnets, or a hop count; `false`,
     * the default, trusts none. Failed authentications are throttled per client address, so `true` (believe any
     * sender's X-Forwarded-For) is refused.
     */
    RECORDINGS_API_TRUST_PROXY: trustProxy(),
  },
  checkRedisEnv,
  checkTwilioEnv,
  checkStorageEnv,
);

export type RecordingsApiEnv = z.output<typeof recordingsApiEnv>;
