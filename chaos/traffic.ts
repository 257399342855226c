import type { RecordingResource, SeededRandom } from '@recording-vault/testkit';
import type { Delivery } from './callbacks.ts';
import type { Corpus } from './corpus.ts';

export interface Traffic {
  /** When each recording is completed at Twilio, in ms from the start of the chaos. */
  completions: { sid: string; atMs: number }[];
  /** Every callback delivery, in the order they fall due. */
  deliveries: Delivery[];
  /** Completed recordings no callback announces: only the reconciliation can find them. */
  unannounced: RecordingResource[];
}

/**
 * The calls of the run: every recording ends at a random moment within `spreadMs`; 900 of the 1,000 then
 * have their callback sent (`completed`, or `absent`) a moment later, as Twilio does. Besides: 45 duplicate
 * deliveries up to 30 s after the first (Twilio's retry, a replay), 5 forged and 5 malformed ones.
 */
export function planTraffic(corpus: Corpus, random: SeededRandom, spreadMs: number): Traffic {
  const completedSids = new Set(corpus.completed.map((recording) => recording.sid));
  const everything = [...corpus.completed, ...corpus.absent];
  const endsAt = new Map(everything.map((recording) => [recording.sid, random.between(0, spreadMs)]));
  const completions = corpus.completed.map((recording) => ({
    sid: recording.sid,
    atMs: endsAt.get(recording.sid) as number,
  }));
  const announced = random.sample(everything, 900);
  const announcedSids = new Set(announced.map((recording) => recording.sid));
  const deliveries: Delivery[] = announced.map((recording) => ({
    recording,
    status: completedSids.has(recording.sid) ? 'completed' : 'absent',
    kind: 'first',
    dueMs: (endsAt.get(recording.sid) as number) + random.between(50, 400),
    attempts: [],
  }));
  const announcedCompleted = deliveries.filter((delivery) => delivery.status === 'completed');
  for (const first of random.sample(announcedCompleted, 45)) {
    deliveries.push({
      ...first,
      kind: 'duplicate',
      dueMs: first.dueMs + random.between(1_000, 30_000),
      attempts: [],
    });
  }
  for (const kind of ['forged', 'malformed'] as const) {
    for (const recording of random.sample(corpus.completed, 5)) {
      const dueMs = (endsAt.get(recording.sid) as number) + random.between(50, 400);
      deliveries.push({ recording, status: 'completed', kind, dueMs, attempts: [] });
    }
  }
  deliveries.sort((a, b) => a.dueMs - b.dueMs);
  return {
    completions: completions.sort((a, b) => a.atMs - b.atMs),
    deliveries,
    unannounced: corpus.completed.filter((recording) => !announcedSids.has(recording.sid)),
  };
}
