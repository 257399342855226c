import { configProblems } from '@recording-vault/config';
import type { ObjectStore } from '@recording-vault/storage';
import { describe, expect, it } from 'vitest';
import { workerEnv } from './config.ts';
import { chooseProofMethod, ProofUnavailableError } from './proof-method.ts';

/** A store that answers only the probe; nothing else is asked at this point. */
const storeWith = (md5Etags: boolean) => {
  let probes = 0;
  const store = {
    location: 's3://test',
    hasMd5Etags: async () => {
      probes++;
      return md5Etags;
    },
  } as unknown as ObjectStore;
  return { store, probes: () => probes };
};

const lines = () => {
  const logged: { level: string; proof: unknown }[] = [];
  const log = (level: string) => (details: { proof?: unknown }) =>
    logged.push({ level, proof: details.proof });
  return { logger: { info: log('info'), warn: log('warn') } as never, logged };
};

describe('how the worker proves copies', () => {
  it('auto: by ETag where the probe shows MD5 ETags, and says so', async () => {
    const { store } = storeWith(true);
    const { logger, logged } = lines();
    expect(await chooseProofMethod(store, 'auto', logger)).toBe('etag');
    expect(logged).toEqual([{ level: 'info', proof: 'etag' }]);
  });

  it('auto: by reading back where ETags are not digests, with a warning', async () => {
    const { store } = storeWith(false);
    const { logger, logged } = lines();
    expect(await chooseProofMethod(store, 'auto', logger)).toBe('read-back');
    expect(logged).toEqual([{ level: 'warn', proof: 'read-back' }]);
  });

  it('digest: refuses to start where ETags are not digests', async () => {
    const { store } = storeWith(false);
    await expect(chooseProofMethod(store, 'digest', lines().logger)).rejects.toThrow(ProofUnavailableError);
    await expect(chooseProofMethod(store, 'digest', lines().logger)).rejects.toThrow(
      /VERIFY_MODE=auto or read-back/,
    );
  });

  it('read-back: reads back without probing', async () => {
    const { store, probes } = storeWith(true);
    expect(await chooseProofMethod(store, 'read-back', lines().logger)).toBe('read-back');
    expect(probes()).toBe(0);
  });

  it('VERIFY_MODE=digest on the folder driver is a configuration error, listed with the others', () => {
    expect(configProblems(workerEnv, { VERIFY_MODE: 'digest', WORKER_CONCURRENCY: '0' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^VERIFY_MODE: digest needs an S3 store/),
        expect.stringMatching(/^WORKER_CONCURRENCY/),
      ]),
    );
    expect(configProblems(workerEnv, { VERIFY_MODE: 'sometimes' })).toContain(
      'VERIFY_MODE: must be auto, digest or read-back (got sometimes)',
    );
  });
});
