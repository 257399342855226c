import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createFolderStore, type ObjectStore } from '@recording-vault/storage';
import { startTwilioEmulator, type TwilioEmulator } from '@recording-vault/testkit';
import { createTwilioRestClient, type Permit, type RequestGate } from '@recording-vault/twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyMismatchError } from './failures.ts';
import { createCopyProver, deleteAfterVerifying } from './verified-delete.ts';

/** A gate the test opens by hand, to put a wait exactly where a real window's would be. */
function handGate() {
  const waiting: Array<(permit: Permit) => void> = [];
  const released: unknown[] = [];
  const gate: RequestGate = {
    acquire: () => new Promise<Permit>((resolve) => waiting.push(resolve)),
  };
  return {
    gate,
    released,
    waiting: () => waiting.length,
    open() {
      waiting.shift()?.({ release: (outcome) => released.push(outcome) });
    },
  };
}

describe('the proof before a DELETE comes after the wait for a request slot', () => {
  let emulator: TwilioEmulator;
  let store: ObjectStore;
  let dir: string;

  beforeAll(async () => {
    emulator = await startTwilioEmulator();
    dir = await mkdtemp(join(tmpdir(), 'rv-verified-delete-'));
    store = createFolderStore({ dir });
    await store.ensureBucket();
  });
  afterAll(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A recording at the emulator, its copy in the store, and a REST client whose slots the test hands out. */
  async function storedCopy() {
    const account = emulator.addAccount();
    const recording = emulator.addRecording({ accountSid: account.accountSid, duration: 1 });
    const hand = handGate();
    const rest = createTwilioRestClient(
      { accountSid: account.accountSid, authToken: account.authToken },
      { baseUrl: emulator.baseUrl, gate: hand.gate },
    );
    const key = `${account.accountSid}/copy.wav`;
    const copy = await store.put(key, Readable.from([Buffer.from('the recording')]), {
      contentType: 'audio/x-wav',
    });
    return { recording, hand, rest, key, copy };
  }

  it('a copy that changes while the DELETE waits for its slot is caught, and nothing is deleted', async () => {
    const { recording, hand, rest, key, copy } = await storedCopy();

    const deleting = deleteAfterVerifying(
      store,
      createCopyProver(store, 'read-back'),
      rest,
      recording.sid,
      copy,
      { onMismatch: 'remove-copy' },
    );
    await expect.poll(() => hand.waiting()).toBe(1);
    // While the DELETE waits for a slot, the stored object is overwritten.
    await store.putBuffer(key, Buffer.from('something else'), { contentType: 'audio/x-wav' });
    hand.open();

    await expect(deleting).rejects.toBeInstanceOf(CopyMismatchError);
    expect(emulator.requests.filter((entry) => entry.route === 'delete')).toEqual([]);
    expect(emulator.isDeleted(recording.sid)).toBe(false);
    expect(await store.exists(key)).toBe(false);
    // The slot was given back, saying nothing of Twilio's limit.
    expect(hand.released).toEqual([{ status: 'error' }]);
  });

  it('a proven copy is deleted once its slot is held', async () => {
    const { recording, hand, rest, copy } = await storedCopy();
    const deleting = deleteAfterVerifying(
      store,
      createCopyProver(store, 'read-back'),
      rest,
      recording.sid,
      copy,
      { onMismatch: 'remove-copy' },
    );
    await expect.poll(() => hand.waiting()).toBe(1);
    hand.open();
    expect(await deleting).toBe('deleted');
    expect(emulator.isDeleted(recording.sid)).toBe(true);
    expect(hand.released).toEqual([{ status: 204 }]);
  });
});
