import { archiveJobId } from '@recording-vault/contract';
import { StorageError } from '@recording-vault/storage';
import { readRequestWindows } from '@recording-vault/twilio';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ArchiveRig,
  assertEveryDeleteWasSafe,
  startArchiveRig,
  waitFor,
} from './testing/archive-rig.ts';

// Twilio refuses (429) a request beyond an account's concurrency limit. Two workers share each account's
// window through Redis; the emulator enforces the limit and counts what it refused.

describe('adaptive per-account concurrency', () => {
  let rig: ArchiveRig;

  afterEach(async () => {
    await rig?.close();
  });

  it('two workers learn from the 429s of an account limit they were not told, archive everything, and count every answer', async () => {
    rig = await startArchiveRig({ driver: 'folder', accounts: 2 });
    rig.emulator.setConcurrencyLimit(3);
    // Answers take a while, as Twilio's do, so that requests overlap.
    rig.emulator.injectFault({ route: 'fetch', kind: 'latency', ms: 20 });
    const recordings = rig.accounts.flatMap((account) =>
      Array.from({ length: 30 }, () =>
        rig.emulator.addRecording({ accountSid: account.accountSid, duration: 2 }),
      ),
    );
    const windows = { twilioWindows: { ceiling: 12, initial: 2 }, concurrency: 8 };
    await rig.startWorker({}, windows);
    await rig.startWorker({}, windows);
    for (const recording of recordings) await rig.enqueue(recording);
    for (const recording of recordings) {
      const job = await rig.settle(recording.sid, 120_000);
      expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    }
    expect(await assertEveryDeleteWasSafe(rig)).toBe(recordings.length);

    const reader = new Redis(rig.redis.url);
    const states = await readRequestWindows(
      reader,
      rig.prefix,
      rig.accounts.map((account) => account.accountSid),
    );
    reader.disconnect();
    // The windows grew past the limit, so the emulator had something to refuse.
    expect(rig.accounts.some((account) => rig.emulator.concurrency(account.accountSid).refused > 0)).toBe(
      true,
    );
    for (const account of rig.accounts) {
      const load = rig.emulator.concurrency(account.accountSid);
      const state = states.find((candidate) => candidate.accountSid === account.accountSid);
      // The emulator refused requests beyond 3, and only those: the window counted each and cut on them.
      // The limit a cut learns is what the window held when the refused request was sent, less itself; on a
      // busy machine that is more than Twilio's 3, as answered requests wait to be released, so its value is
      // tested where it is exact, in the twilio package.
      expect(load.peak).toBeLessThanOrEqual(3);
      expect(state?.limited).toBe(load.refused);
      if (load.refused > 0) expect(state?.cuts).toBeGreaterThanOrEqual(1);
      expect(state?.inFlight).toBe(0);
      // Every request was counted by the window: what the emulator accepted, plus what it refused.
      expect(state?.answered).toBe(load.accepted + load.refused);
    }
  });

  it("a Retry-After pauses only its account: the other account's recordings are archived meanwhile", async () => {
    rig = await startArchiveRig({ driver: 'folder', accounts: 2 });
    const [paused, free] = rig.accounts;
    if (!paused || !free) throw new Error('two accounts expected');
    const held = rig.emulator.addRecording({ accountSid: paused.accountSid, duration: 2 });
    rig.emulator.injectFault({
      route: 'fetch',
      recordingSid: held.sid,
      kind: 'rateLimit',
      retryAfterSeconds: 120,
      times: 1,
    });
    await rig.startWorker({}, { twilioWindows: { ceiling: 8 }, retryAfterMaxMs: 120_000 });
    await rig.enqueue(held);
    await waitFor(
      () => rig.emulator.requests.some((entry) => entry.recordingSid === held.sid && entry.status === 429),
      'the 429',
    );
    const others = Array.from({ length: 10 }, () =>
      rig.emulator.addRecording({ accountSid: free.accountSid, duration: 2 }),
    );
    for (const recording of others) await rig.enqueue(recording);
    for (const recording of others) {
      expect((await rig.settle(recording.sid)).returnvalue).toMatchObject({ twilio: 'deleted' });
    }
    // Meanwhile the paused account sent nothing more, and its job waits (not failed, no attempt used).
    const sent = rig.emulator.requests.filter((entry) => entry.accountSid === paused.accountSid);
    expect(sent.map((entry) => entry.status)).toEqual([429]);
    expect(await rig.queue.getJobState(archiveJobId(held.sid))).toBe('active');
    expect(rig.emulator.isDeleted(held.sid)).toBe(false);
  });
  it('storage that does not answer still pauses the queue, using up no attempt, with adaptive windows', async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    let outages = 2;
    await rig.startWorker(
      {},
      {
        twilioWindows: { ceiling: 8 },
        wrapStore: (store) => ({
          ...store,
          async put(key, body, options) {
            if (outages > 0) {
              outages -= 1;
              body.resume();
              throw new StorageError('unavailable', 'storage is down', { code: 'ECONNREFUSED' });
            }
            return await store.put(key, body, options);
          },
        }),
      },
    );
    const recording = rig.addRecording({ duration: 2 });
    await rig.enqueue(recording);
    const job = await rig.settle(recording.sid);
    expect(job.returnvalue).toMatchObject({ outcome: 'archived', twilio: 'deleted' });
    expect(job.attemptsMade).toBe(1);
    const { logs } = await rig.queue.getJobLogs(job.id ?? '');
    expect(logs.filter((line) => line.startsWith('queue paused for'))).toHaveLength(2);
    expect(await assertEveryDeleteWasSafe(rig)).toBe(1);
  });
});
