import { StorageError } from '@recording-vault/storage';
import { RecordingResource, TwilioApiError } from '@recording-vault/twilio';
import { describe, expect, it } from 'vitest';
import {
  CopyMismatchError,
  decideFailure,
  type FailureDecision,
  ImpossibleJobError,
  LockLostError,
  RecordingNotReadyError,
} from './failures.ts';

const zodError = (() => {
  const result = RecordingResource.safeParse({ sid: 42 });
  if (result.success) throw new Error('expected a parse failure');
  return result.error;
})();

describe('decideFailure, the one place a failure becomes a retry decision', () => {
  it.each<[string, unknown, FailureDecision['action'], number | undefined]>([
    ['an impossible job', new ImpossibleJobError('account not configured'), 'fail', undefined],
    ['a recording Twilio is still processing', new RecordingNotReadyError('processing'), 'later', undefined],
    ['a copy that did not match', new CopyMismatchError('mismatch'), 'retry', undefined],
    ['a lost lock', new LockLostError('archive-RE1'), 'retry', undefined],
    ['Twilio 5xx or a network error', new TwilioApiError('transient', 'HTTP 503'), 'retry', undefined],
    [
      'Twilio 429 with Retry-After',
      new TwilioApiError('rate-limited', '429', { retryAfterMs: 45_000 }),
      'rate-limit',
      45_000,
    ],
    ['Twilio 429 without Retry-After', new TwilioApiError('rate-limited', '429'), 'rate-limit', undefined],
    ['refused credentials', new TwilioApiError('unauthorized', 'HTTP 401'), 'fail', undefined],
    ['a 404 before anything was archived', new TwilioApiError('not-found', 'HTTP 404'), 'fail', undefined],
    ['a request Twilio calls invalid', new TwilioApiError('invalid', 'HTTP 400, 16113'), 'fail', undefined],
    ['media that is not the recording', new TwilioApiError('bad-media', 'an HTML page'), 'retry', undefined],
    ['a download past its deadline', new TwilioApiError('deadline', 'too slow'), 'retry', undefined],
    ['a Twilio answer of the wrong shape', zodError, 'retry', undefined],
    [
      'storage that does not answer',
      new StorageError('unavailable', 'ECONNREFUSED'),
      'rate-limit',
      undefined,
    ],
    ['storage that refuses the credentials', new StorageError('denied', 'AccessDenied'), 'fail', undefined],
    ['a body of the wrong length', new StorageError('integrity', 'length'), 'retry', undefined],
    [
      'a media body that failed inside a storage write, judged by its cause',
      new StorageError('source-failed', 'body failed', { cause: new TwilioApiError('bad-media', 'empty') }),
      'retry',
      undefined,
    ],
    [
      'refused credentials met while streaming into storage',
      new StorageError('source-failed', 'body failed', { cause: new TwilioApiError('unauthorized', '401') }),
      'fail',
      undefined,
    ],
    ['anything unknown', new Error('a bug'), 'retry', undefined],
  ])('%s → %s', (_name, error, action, delayMs) => {
    const decision = decideFailure(error);
    expect(decision.action).toBe(action);
    if (decision.action === 'rate-limit') expect(decision.delayMs).toBe(delayMs);
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('names what was wrong with a Twilio answer of the wrong shape, not "invalid job data"', () => {
    const decision = decideFailure(zodError);
    expect(decision.reason).toMatch(/^Twilio's answer did not have the expected shape: sid: /);
  });
});
