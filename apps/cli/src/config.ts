import { checkTwilioEnv, envSchema, redisEnv, retryEnv, twilioEnv } from '@recording-vault/config';
import { z } from 'zod';

export const cliEnv = envSchema(
  {
    ...redisEnv,
    ...retryEnv,
    ...twilioEnv,
    /** What the workers store: sizes in a dry run are estimated for this format. */
    RECORDING_FORMAT: z.enum(['wav', 'mp3']).default('wav'),
  },
  checkTwilioEnv,
);

export type CliEnv = z.output<typeof cliEnv>;
