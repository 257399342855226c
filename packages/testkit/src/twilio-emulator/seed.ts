import type { RecordingInput, RecordingStatus } from './recording-store.ts';
import { seededRandom } from './seeded-random.ts';
import { sidFromBytes } from './sid.ts';

export interface SeedRecordingsInput {
  accountSid: string;
  count: number;
  /** date_created is spread uniformly over [from, to]. */
  from: Date | string | number;
  to: Date | string | number;
  /** 1, 2, or a fraction of dual-channel recordings (default 0.3). */
  channels?: 1 | 2 | { dualFraction: number };
  /** Whole seconds, inclusive (default 5 to 60). */
  minDuration?: number;
  maxDuration?: number;
  status?: Exclude<RecordingStatus, 'deleted'>;
  /** Same seed, same SIDs, dates and durations (default 'seed'). */
  seed?: string;
}

/** Inputs for `count` recordings, deterministic from the seed, so benchmarks and tests can be rerun. */
export function seedRecordingInputs(input: SeedRecordingsInput): RecordingInput[] {
  const random = seededRandom(`${input.seed ?? 'seed'}:${input.accountSid}`);
  const from = new Date(input.from).getTime();
  const to = new Date(input.to).getTime();
  if (!(Number.isFinite(from) && Number.isFinite(to) && from <= to)) throw new Error('seed: need from <= to');
  const minDuration = input.minDuration ?? 5;
  const maxDuration = input.maxDuration ?? 60;
  const channels = input.channels ?? { dualFraction: 0.3 };
  const bytes = (): Uint8Array => {
    const words = new Uint32Array([
      random.nextUint32(),
      random.nextUint32(),
      random.nextUint32(),
      random.nextUint32(),
    ]);
    return new Uint8Array(words.buffer);
  };
  const inputs: RecordingInput[] = [];
  for (let i = 0; i < input.count; i++) {
    inputs.push({
      accountSid: input.accountSid,
      sid: sidFromBytes('RE', bytes()),
      callSid: sidFromBytes('CA', bytes()),
      dateCreated: from + Math.floor(random.next() * (to - from + 1)),
      duration: minDuration + Math.floor(random.next() * (maxDuration - minDuration + 1)),
      channels: typeof channels === 'number' ? channels : random.next() < channels.dualFraction ? 2 : 1,
      status: input.status ?? 'completed',
    });
  }
  return inputs;
}

/** The CLI's `--seed demo`: one of each case an operator should see. */
export function demoRecordingInputs(accountSid: string, now: number): RecordingInput[] {
  const minutesAgo = (minutes: number): number => now - minutes * 60_000;
  return [
    { accountSid, dateCreated: minutesAgo(180), duration: 42, channels: 1, source: 'DialVerb' },
    { accountSid, dateCreated: minutesAgo(150), duration: 95, channels: 2, source: 'StartCallRecordingAPI' },
    // An hour of mono WAV: about 58 MB.
    { accountSid, dateCreated: minutesAgo(120), duration: 3600, channels: 1, source: 'OutboundAPI' },
    { accountSid, dateCreated: minutesAgo(20), duration: 0, channels: 1, status: 'absent', errorCode: 16101 },
  ];
}
