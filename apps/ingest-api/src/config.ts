import {
  checkRedisEnv,
  checkTwilioEnv,
  envSchema,
  logEnv,
  metricsEnv,
  nonNegativeInt,
  port,
  positiveInt,
  redisEnv,
  redisTopologyEnv,
  retryEnv,
  twilioEnv,
  url,
} from '@recording-vault/config';
import { z } from 'zod';

/** INGEST_REPLICA_TIMEOUT_MS's ceiling. */
const maxReplicaTimeoutMs = 3_000;

export const ingestEnv = envSchema(
  {
    ...logEnv,
    ...redisEnv,
    ...redisTopologyEnv,
    /**
     * Replicas a job must reach before its callback is acknowledged (WAIT). Unset: 1 when the primary
     * serving the vault has a replica (asked at the first callback, and again while it has none), 0
     * otherwise; once a replica was seen, 1 for good. 0 acknowledges once the primary holds the job.
     */
    INGEST_MIN_REPLICAS: nonNegativeInt(0).unwrap().optional(),
    /** How long a callback waits for those replicas before it is answered 503. */
    INGEST_REPLICA_TIMEOUT_MS: positiveInt(2_000, 'milliseconds'),
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
  checkRedisEnv,
  checkTwilioEnv,
  (env, ctx) => {
    // A callback may wait for its job's writes behind a WAIT, then for the WAIT in flight and its own (see
    // createArchiveEnqueuer and createWriteReplication): about 2.5 s plus three times this at worst, which
    // must stay inside Twilio's 15 s.
    if (
      typeof env.INGEST_REPLICA_TIMEOUT_MS === 'number' &&
      env.INGEST_REPLICA_TIMEOUT_MS > maxReplicaTimeoutMs
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['INGEST_REPLICA_TIMEOUT_MS'],
        message: `must be at most ${maxReplicaTimeoutMs} milliseconds (got ${env.INGEST_REPLICA_TIMEOUT_MS}): a callback may wait up to about three times this, and Twilio gives up after 15 s`,
      });
    }
  },
);

export type IngestEnv = z.output<typeof ingestEnv>;

/** `true`/`false`, a hop count, or addresses and subnets (Express's own syntax). */
export function trustProxySetting(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}
