import {
  booleanFlag,
  checkStorageEnv,
  checkTwilioEnv,
  envSchema,
  logEnv,
  port,
  positiveInt,
  redisEnv,
  storageEnv,
  twilioEnv,
} from '@recording-vault/config';
import { z } from 'zod';

export const workerEnv = envSchema(
  {
    ...logEnv,
    ...redisEnv,
    ...twilioEnv,
    ...storageEnv,
    RECORDING_FORMAT: z.enum(['wav', 'mp3']).default('wav'),
    DELETE_FROM_TWILIO: booleanFlag(true),
    /** Seconds to keep a recording at Twilio after it is archived; 0 deletes at once. */
    PURGE_DELAY: z.coerce.number().int().nonnegative().default(0),
    WORKER_CONCURRENCY: positiveInt(8),
    WORKER_METRICS_PORT: port(9464),
  },
  checkTwilioEnv,
  checkStorageEnv,
);

export type WorkerEnv = z.output<typeof workerEnv>;
