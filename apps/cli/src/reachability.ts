import { producerConnection } from '@recording-vault/redis';
import { TwilioApiError, type TwilioRestClient } from '@recording-vault/twilio';
import type { Redis } from 'ioredis';
import { CliError, withoutCredentials } from './cli-error.ts';

/** A Redis connection that answered PING, or a one-line error naming the address. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = producerConnection(url, { retryStrategy: () => null, lazyConnect: true });
  // The cause (ECONNREFUSED, ENOTFOUND, NOAUTH…) arrives as an 'error' event; connect() only says "closed".
  let cause: unknown;
  redis.on('error', (error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    const reason = (cause ?? error) as { code?: string; message?: string };
    const code = reason.code ?? reason.message ?? 'error';
    throw new CliError(`cannot reach Redis at ${withoutCredentials(url)} (${code})`);
  }
}

/** Asks each account for one recording: wrong credentials or an unreachable API stop the command first. */
export async function checkTwilio(clients: readonly TwilioRestClient[], baseUrl: string): Promise<void> {
  for (const client of clients) {
    try {
      await client.listRecordingPages({ pageSize: 1 }).next();
    } catch (error) {
      if (error instanceof TwilioApiError && error.kind === 'unauthorized') {
        throw new CliError(`Twilio refused the credentials of ${client.accountSid} (HTTP ${error.status})`);
      }
      const reason = error instanceof TwilioApiError ? error.message : String(error);
      throw new CliError(
        `cannot reach Twilio at ${withoutCredentials(baseUrl)} for ${client.accountSid}: ${reason}`,
      );
    }
  }
}
