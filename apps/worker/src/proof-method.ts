import type { Logger } from '@recording-vault/logger';
import type { ObjectStore, ProofMethod } from '@recording-vault/storage';

export type VerifyMode = 'auto' | 'digest' | 'read-back';

/** Refused at start-up: VERIFY_MODE=digest on a store whose ETags are not digests of the bytes. */
export class ProofUnavailableError extends Error {
  override name = 'ProofUnavailableError';
}

/**
 * How this worker proves copies, from VERIFY_MODE and what the store can do: an ETag proves a copy only
 * where the server shows the MD5 of the bytes it stored as the ETag, which a probe object tells (SSE-KMS,
 * SSE-C and some gateways give other ETags). Logged, so an operator knows which proof every delete rests on.
 */
export async function chooseProofMethod(
  store: ObjectStore,
  mode: VerifyMode,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<ProofMethod> {
  if (mode === 'read-back') {
    logger.info({ storage: store.location, proof: 'read-back' }, 'copies are proved by reading them back');
    return 'read-back';
  }
  const md5Etags = await store.hasMd5Etags();
  if (md5Etags) {
    logger.info(
      { storage: store.location, proof: 'etag' },
      "copies are proved by the storage server's digest (ETag) of the bytes it stored",
    );
    return 'etag';
  }
  if (mode === 'digest') {
    throw new ProofUnavailableError(
      `VERIFY_MODE=digest, but ${store.location} does not show the MD5 of the bytes it stores as their ETag (server-side encryption with KMS or customer keys, or a gateway); set VERIFY_MODE=auto or read-back`,
    );
  }
  logger.warn(
    { storage: store.location, proof: 'read-back' },
    "the store's ETags are not digests of the bytes it stores: copies are proved by reading them back",
  );
  return 'read-back';
}
