import { randomBytes, randomInt } from 'node:crypto';
import { type ObjectStore, recordingObjectKey, sidecarKey } from '@recording-vault/storage';
import { makeSid } from '@recording-vault/testkit';
import { type ArchiveIndex, entryFromSidecar } from '../packages/archive-index/src/index.ts';
import { rfc2822 } from '../packages/archive-index/src/testing/archived-fixtures.ts';

export interface PopulationOptions {
  accountSid: string;
  recordings: number;
  /** Recordings per call (the legs of one call, a few seconds apart). */
  perCall: number;
  /** The first UTC day; recordings are spread at random over `days` days from it. */
  from: Date;
  days: number;
  /** Sidecars written and entries indexed at once. */
  concurrency: number;
  onProgress?: (done: number) => void;
}

export interface Population {
  recordingSids: string[];
  calls: Array<{ callSid: string; recordings: number }>;
  /** Recordings per UTC day, `YYYY-MM-DD`. */
  perDay: Map<string, number>;
}

/**
 * An archive of synthetic recordings as the index and the list route see it: each one's sidecar in storage
 * (the shape the worker writes, as in archived-fixtures.ts, checked by `entryFromSidecar`) and its index
 * entry, but no media object: only the lookups and listings are measured on these. Sidecars only, since a
 * hundred thousand media objects would make this a disk benchmark.
 */
export async function populateArchive(
  deps: { store: ObjectStore; index: ArchiveIndex },
  options: PopulationOptions,
): Promise<Population> {
  const { accountSid, perCall } = options;
  const calls: Population['calls'] = [];
  for (let left = options.recordings; left > 0; left -= perCall) {
    calls.push({ callSid: makeSid('CA'), recordings: Math.min(perCall, left) });
  }
  const recordingSids: string[] = [];
  const perDay = new Map<string, number>();
  const archivedAt = new Date().toISOString();

  const archiveCall = async (call: Population['calls'][number]) => {
    const callStart = options.from.getTime() + randomInt(options.days * 86_400) * 1000;
    for (let leg = 0; leg < call.recordings; leg++) {
      const recordingSid = makeSid('RE');
      const dateCreated = new Date(callStart + leg * 5_000);
      const duration = randomInt(10, 600);
      const key = recordingObjectKey({
        accountSid,
        callSid: call.callSid,
        recordingSid,
        startTime: dateCreated,
        format: 'wav',
      });
      const path = `/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}`;
      const sidecar = {
        recording: {
          account_sid: accountSid,
          api_version: '2010-04-01',
          call_sid: call.callSid,
          conference_sid: null,
          date_created: rfc2822(dateCreated),
          date_updated: rfc2822(dateCreated),
          start_time: rfc2822(dateCreated),
          duration: String(duration),
          sid: recordingSid,
          price: '-0.0025',
          price_unit: 'USD',
          status: 'completed',
          channels: 1,
          source: 'DialVerb',
          error_code: null,
          uri: `${path}.json`,
          encryption_details: null,
          subresource_uris: {
            add_on_results: `${path}/AddOnResults.json`,
            transcriptions: `${path}/Transcriptions.json`,
          },
          media_url: `https://api.twilio.com${path}`,
        },
        callback: null,
        archive: {
          key,
          bytes: 44 + duration * 16_000,
          sha256: randomBytes(32).toString('hex'),
          contentType: 'audio/x-wav',
          format: 'wav',
          channels: 1,
          origin: 'backfill',
          archivedAt,
        },
      };
      await deps.store.putJson(sidecarKey(key), sidecar);
      await deps.index.recordArchived(entryFromSidecar(sidecar));
      recordingSids.push(recordingSid);
      const day = dateCreated.toISOString().slice(0, 10);
      perDay.set(day, (perDay.get(day) ?? 0) + 1);
    }
  };

  let next = 0;
  let reported = 0;
  const step = Math.max(1, Math.floor(options.recordings / 10));
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < calls.length) {
        await archiveCall(calls[next++] as Population['calls'][number]);
        if (recordingSids.length - reported >= step) {
          reported = recordingSids.length;
          options.onProgress?.(reported);
        }
      }
    }),
  );
  return { recordingSids, calls, perDay };
}
