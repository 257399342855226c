import { randomBytes } from 'node:crypto';

/** Two-letter prefixes of the Twilio SIDs the emulator deals in. */
export type SidPrefix = 'AC' | 'CA' | 'RE' | 'CF' | 'SK' | 'RQ' | 'CR' | 'TR';

const SID_PATTERN = /^[A-Z]{2}[0-9a-f]{32}$/;

/** A valid random SID: the prefix and 32 lowercase hex digits. */
export function makeSid(prefix: SidPrefix): string {
  return prefix + randomBytes(16).toString('hex');
}

/** A SID made from 16 caller-supplied bytes, for deterministic seeding. */
export function sidFromBytes(prefix: SidPrefix, bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a SID needs 16 bytes, got ${bytes.length}`);
  return prefix + Buffer.from(bytes).toString('hex');
}

export function isSid(value: string, prefix?: SidPrefix): boolean {
  return SID_PATTERN.test(value) && (prefix === undefined || value.startsWith(prefix));
}
