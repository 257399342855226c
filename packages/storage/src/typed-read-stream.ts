import { PassThrough, type Readable } from 'node:stream';
import { toStorageError } from './storage-error.ts';

/** The same bytes, with errors that happen while they flow turned into StorageErrors. */
export function typedReadStream(source: Readable, action: string, key: string): Readable {
  const out = new PassThrough();
  source.once('error', (error) => out.destroy(toStorageError(error, action, key)));
  // A consumer that stops early releases the connection or the file.
  out.once('close', () => source.destroy());
  source.pipe(out);
  return out;
}
