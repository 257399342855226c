import { StorageError } from './storage-error.ts';

const MAX_KEY_BYTES = 1024;

/**
 * Refuses keys that could escape a folder root or collide with the stores' own files: keys are
 * `/`-separated segments, none empty, none starting with `.` (which also rules out `.` and `..`, and keeps
 * `.incoming/` probes, `.records/`, temporary files and records out of reach of callers).
 */
export function assertObjectKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== undefined) {
    throw new StorageError('invalid', `invalid object key ${JSON.stringify(key)}: ${problem}`, {
      code: 'InvalidKey',
      key,
    });
  }
}

/** Whether a store accepts `key`: what listings keep, since a caller must be able to read what is listed. */
export function isObjectKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

/** Refuses a range that is not whole byte offsets with `0 <= start <= end`, before anything is read. */
export function assertByteRange(key: string, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new StorageError('invalid', `read ${key}: bytes ${start}-${end} is not a range of bytes`, {
      code: 'InvalidRange',
      key,
    });
  }
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key === '') return 'empty';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (hasForbiddenCharacter(key)) return 'contains a control character or a backslash';
  if (key.startsWith('/')) return 'absolute';
  for (const segment of key.split('/')) {
    if (segment === '') return 'empty path segment';
    if (segment.startsWith('.')) return `segment ${JSON.stringify(segment)} starts with "."`;
  }
  return undefined;
}

/** Control characters break logs and file names; a backslash is a separator on some file systems. */
function hasForbiddenCharacter(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}
