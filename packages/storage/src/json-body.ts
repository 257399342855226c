import { StorageError } from './storage-error.ts';

/** The bytes `putJson` stores: indented JSON and a final newline, readable by people and tools alike. */
export function jsonBody(key: string, value: unknown): Buffer {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) {
    throw new StorageError('invalid', `${key}: value has no JSON form`, { code: 'InvalidArgument', key });
  }
  return Buffer.from(`${text}\n`);
}
