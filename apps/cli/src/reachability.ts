import type { RedisSettings } from '@recording-vault/config';
import { describeRedisTarget, producerConnection, type RedisConnection } from '@recording-vault/redis';
import type { TwilioRestClient } from '@recording-vault/twilio';
import { checkAccount } from './accounts.ts';
import { CliError, withoutCredentials } from './cli-error.ts';

/**
 * A Redis connection that answered PING, in the configured mode, or a one-line error naming where Redis was
 * looked for. One attempt: a command line says what is wrong rather than wait for Redis.
 */
export async function connectRedis(settings: RedisSettings): Promise<RedisConnection> {
  const redis = producerConnection(settings, { retryStrategy: () => null, lazyConnect: true });
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
    throw new CliError(`cannot reach ${describeRedisTarget(settings)} (${code})`);
  }
}

/** Asks each account for one recording: wrong credentials or an unreachable API stop the command first. */
export async function checkTwilio(
  targets: ReadonlyArray<{ client: TwilioRestClient; apiOrigin: string }>,
): Promise<void> {
  const checks = await Promise.all(targets.map(({ client }) => checkAccount(client)));
  for (const [i, check] of checks.entries()) {
    const { client, apiOrigin } = targets[i] as { client: TwilioRestClient; apiOrigin: string };
    if (check.result === 'refused') {
      throw new CliError(`Twilio refused the credentials of ${client.accountSid} (HTTP ${check.status})`);
    }
    if (check.result !== 'ok') {
      throw new CliError(
        `cannot reach Twilio at ${withoutCredentials(apiOrigin)} for ${client.accountSid}: ${check.reason}`,
      );
    }
  }
}
