import {
  checkRedisEnv,
  checkStorageEnv,
  checkTwilioEnv,
  envSchema,
  redisEnv,
  redisTopologyEnv,
  retryEnv,
  secret,
  secretText,
  storageEnv,
  twilioEnv,
  url,
} from '@recording-vault/config';
import { z } from 'zod';

export const cliEnv = envSchema(
  {
    ...redisEnv,
    ...redisTopologyEnv,
    ...retryEnv,
    ...twilioEnv,
    // Where the workers store: `vault get` reads recordings back, `vault reindex` their sidecars.
    ...storageEnv,
    /** What the workers store: sizes in a dry run are estimated for this format. */
    RECORDING_FORMAT: z.enum(['wav', 'mp3']).default('wav'),
    /** The recordings API's public origin, which `vault link` puts in its links: the API's own setting. */
    RECORDINGS_API_PUBLIC_URL: url(['https', 'http'])
      .transform((text) => text.replace(/\/+$/, ''))
      .optional(),
    /** The recordings API's link secret: `vault link` signs with it, as the API verifies. */
    RECORDINGS_LINK_SECRET: secret(
      secretText(
        32,
        'must be at least 32 characters: the secret the recordings API checks playback links with',
      ).optional(),
    ),
  },
  checkRedisEnv,
  checkTwilioEnv,
  checkStorageEnv,
);

export type CliEnv = z.output<typeof cliEnv>;
