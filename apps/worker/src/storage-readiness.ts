import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@recording-vault/logger';
import { type ObjectStore, StorageError } from '@recording-vault/storage';

/**
 * Waits until storage answers and its bucket (or folder) exists, then runs `then` (what start-up asks of
 * storage besides, such as probing its ETags), as the worker waits for Redis: a storage outage at start-up
 * is a reason to wait, not to crash. Errors retrying cannot fix (bad credentials, a bad bucket name) are
 * thrown at once.
 */
export async function waitForStorage<T>(
  store: ObjectStore,
  logger: Logger,
  then: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      await store.ensureBucket();
      const result = await then();
      if (attempt > 1) logger.info({ storage: store.location }, 'storage reachable');
      return result;
    } catch (error) {
      if (!(error instanceof StorageError) || !error.retryable) throw error;
      const delayMs = Math.min(500 * 2 ** Math.min(attempt - 1, 6), 30_000);
      logger.warn(
        { storage: store.location, err: error, retryInMs: delayMs },
        'storage unreachable; waiting for it',
      );
      await sleep(delayMs, undefined, signal ? { signal } : {});
    }
  }
}
