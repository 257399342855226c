import type { ObjectStore } from '@recording-vault/storage';
import type { TwilioRestClient } from '@recording-vault/twilio';
import { CopyMismatchError, ImpossibleJobError } from './failures.ts';

export interface StoredCopy {
  key: string;
  bytes: number;
  sha256: string;
}

/**
 * The only path to a DELETE at Twilio. Right before it is sent, the stored object is read back and hashed;
 * the delete happens only when its byte count and SHA-256 equal those of the download.
 */
export async function deleteAfterVerifying(
  store: ObjectStore,
  twilio: TwilioRestClient,
  recordingSid: string,
  copy: StoredCopy,
  options: {
    signal?: AbortSignal | undefined;
    onMismatch: 'remove-copy' | 'keep-copy';
    /** Throws unless the caller still owns the job; asked right before the bad copy is removed or the DELETE. */
    confirmOwnership?: () => Promise<void>;
  },
): Promise<'deleted' | 'already-gone'> {
  return await twilio.deleteRecording(recordingSid, {
    signal: options.signal,
    // Once the account's request slot is held, so that no wait for it comes between the proof and the
    // DELETE; again before each resend of a DELETE Twilio refused with 429.
    beforeSend: () => proveCopy(store, copy, options),
  });
}

/** Reads the stored object back and hashes it; throws unless it is the copy, and unless the job is still ours. */
async function proveCopy(
  store: ObjectStore,
  copy: StoredCopy,
  options: Parameters<typeof deleteAfterVerifying>[4],
): Promise<void> {
  const actual = await store.hash(copy.key, options.signal ? { signal: options.signal } : {});
  if (actual.bytes !== copy.bytes || actual.sha256 !== copy.sha256) {
    const found = `${actual.bytes} bytes, sha256 ${actual.sha256}`;
    const expected = `${copy.bytes} bytes, sha256 ${copy.sha256}`;
    if (options.onMismatch === 'keep-copy') {
      throw new ImpossibleJobError(
        `stored copy ${copy.key} no longer matches the archived recording (${found}, expected ${expected}); the recording is kept at Twilio`,
      );
    }
    // Removing the bad copy makes the retry download the recording again instead of trusting it.
    await options.confirmOwnership?.();
    await store.delete(copy.key);
    throw new CopyMismatchError(
      `stored copy did not match the download (${found}, expected ${expected}); it was removed and the recording is kept at Twilio`,
    );
  }
  await options.confirmOwnership?.();
}
