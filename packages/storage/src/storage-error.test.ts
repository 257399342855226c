import { describe, expect, it } from 'vitest';
import { StorageError, toStorageError } from './storage-error.ts';

const withCode = (code: string) => Object.assign(new Error(`failure ${code}`), { code });

describe('toStorageError', () => {
  it.each([
    ['ECONNREFUSED', 'unavailable', true],
    ['ECONNRESET', 'unavailable', true],
    ['ETIMEDOUT', 'unavailable', true],
    ['ENOSPC', 'unavailable', true],
    ['InternalError', 'unavailable', true],
    ['SlowDown', 'unavailable', true],
    ['AccessDenied', 'denied', false],
    ['InvalidAccessKeyId', 'denied', false],
    ['SignatureDoesNotMatch', 'denied', false],
    ['EACCES', 'denied', false],
    ['NoSuchBucket', 'not-found', false],
    ['NoSuchKey', 'not-found', false],
    ['ENOENT', 'not-found', false],
    ['InvalidBucketName', 'invalid', false],
    ['SomethingNew', 'unknown', true],
  ])('classifies %s as %s (retryable: %s)', (code, kind, retryable) => {
    const error = toStorageError(withCode(code), 'put', 'a/b.wav');
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ kind, retryable, code, key: 'a/b.wav' });
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('reads the code of the first address that failed in an AggregateError', () => {
    const error = new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed');
    expect(toStorageError(error, 'stat')).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('passes StorageErrors through', () => {
    const original = new StorageError('integrity', 'size differs');
    expect(toStorageError(original, 'put')).toBe(original);
  });

  it('treats an error without a code as unknown but retryable', () => {
    expect(toStorageError(new Error('odd'), 'get')).toMatchObject({ kind: 'unknown', retryable: true });
  });
});
