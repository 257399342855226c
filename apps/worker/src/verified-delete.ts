import type { CopyProof, ExpectedCopy, ObjectStore, ProofMethod } from '@recording-vault/storage';
import type { TwilioRestClient } from '@recording-vault/twilio';
import { CopyMismatchError, ImpossibleJobError } from './failures.ts';

/** A stored copy and the size and digests measured while it was downloaded and stored. */
export interface StoredCopy extends ExpectedCopy {
  key: string;
}

/** Proves stored copies the way this worker's store allows (see `chooseProofMethod`). */
export interface CopyProver {
  readonly method: ProofMethod;
  prove(copy: StoredCopy, signal?: AbortSignal): Promise<CopyProof>;
}

export function createCopyProver(
  store: ObjectStore,
  method: ProofMethod,
  observe?: (proof: CopyProof) => void,
): CopyProver {
  return {
    method,
    async prove(copy, signal) {
      const proof = await store.prove(copy.key, copy, { method, signal });
      observe?.(proof);
      return proof;
    },
  };
}

/** The only digests a copy is held to: what was measured while it was stored, nothing else it may carry. */
export function expectedCopy(copy: StoredCopy): StoredCopy {
  return {
    key: copy.key,
    bytes: copy.bytes,
    sha256: copy.sha256,
    ...(copy.md5 === undefined ? {} : { md5: copy.md5 }),
    ...(copy.multipartEtag === undefined ? {} : { multipartEtag: copy.multipartEtag }),
  };
}

/**
 * The only path to a DELETE at Twilio. Right before it is sent, the stored copy is proved: its size and a
 * digest the storage server computed over the bytes it stored (its ETag), or the bytes read back, must equal
 * those of the download; otherwise nothing is deleted.
 */
export async function deleteAfterVerifying(
  store: ObjectStore,
  prover: CopyProver,
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
    beforeSend: () => proveCopy(store, prover, copy, options),
  });
}

/** Throws unless storage holds the copy, and unless the job is still ours. */
async function proveCopy(
  store: ObjectStore,
  prover: CopyProver,
  copy: StoredCopy,
  options: Parameters<typeof deleteAfterVerifying>[5],
): Promise<void> {
  const proof = await prover.prove(copy, options.signal);
  if (!proof.matches) {
    const expected = `${copy.bytes} bytes, sha256 ${copy.sha256}${copy.md5 ? `, md5 ${copy.md5}` : ''}`;
    const found = `${proof.found} (by ${proof.method})`;
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
