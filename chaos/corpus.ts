import type { EmulatorAccount, RecordingResource, TwilioEmulator } from '@recording-vault/testkit';

export interface Corpus {
  account: EmulatorAccount;
  /**
   * What the vault must archive and then delete at Twilio. Seeded as `processing`, each is completed during
   * the run (`emulator.completeRecording`), as calls end: the reconciliation cannot find it before then.
   */
  completed: RecordingResource[];
  /** Nothing to archive: must never be deleted. */
  absent: RecordingResource[];
  /** Over one 8 MiB part (S3_PART_SIZE): stored through a multipart upload, its record beside it. */
  multipart: RecordingResource[];
}

const hour = 3_600_000;

/**
 * 1,000 recordings in one account, created over the last day and a half (inside the reconciliation's
 * 48-hour window, across UTC days): mostly short (1–20 s, 16–640 kB of WAV), ten of a few MB, two over one
 * 8 MiB part, about a third dual-channel, 5% `absent`.
 */
export function seedCorpus(emulator: TwilioEmulator, seed: string, now = Date.now()): Corpus {
  const account = emulator.addAccount();
  const range = { accountSid: account.accountSid, from: now - 36 * hour, to: now - 120_000 };
  type Batch = Omit<Parameters<TwilioEmulator['seedRecordings']>[0], keyof typeof range>;
  const batch = (name: string, input: Batch) =>
    emulator.seedRecordings({ status: 'processing', ...range, ...input, seed: `${seed}:${name}` });
  const small = batch('small', {
    count: 938,
    minDuration: 1,
    maxDuration: 20,
    channels: { dualFraction: 0.3 },
  });
  const medium = batch('medium', {
    count: 10,
    minDuration: 90,
    maxDuration: 240,
    channels: { dualFraction: 0.5 },
  });
  // 560–600 s of two-channel WAV: 17.9–19.2 MB.
  const multipart = batch('multipart', { count: 2, minDuration: 560, maxDuration: 600, channels: 2 });
  const absent = batch('absent', { count: 50, minDuration: 0, maxDuration: 0, status: 'absent' });
  return { account, completed: [...small, ...medium, ...multipart], absent, multipart };
}
