import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioEmulator, type TwilioEmulator } from './emulator.ts';
import type { EmulatorAccount } from './recording-store.ts';

describe('the per-account concurrency limit', () => {
  let emulator: TwilioEmulator;
  let a: EmulatorAccount;
  let b: EmulatorAccount;

  beforeAll(async () => {
    emulator = await startTwilioEmulator({ concurrencyLimit: 2 });
    a = emulator.addAccount();
    b = emulator.addAccount();
  });
  afterAll(async () => emulator.close());

  const fetchRecording = (account: EmulatorAccount, sid: string) =>
    fetch(`${emulator.baseUrl}/2010-04-01/Accounts/${account.accountSid}/Recordings/${sid}.json`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`,
      },
    });

  it('refuses with 429 (20429) a request beyond the limit of its account only, and measures the load', async () => {
    const ofA = emulator.addRecording({ accountSid: a.accountSid, duration: 5 });
    const ofB = emulator.addRecording({ accountSid: b.accountSid, duration: 5 });
    // Slow answers keep the first two requests in flight while the third arrives.
    emulator.injectFault({ route: 'fetch', kind: 'latency', ms: 400, times: 3 });
    emulator.resetConcurrency();
    const first = [fetchRecording(a, ofA.sid), fetchRecording(a, ofA.sid)];
    await expect.poll(() => emulator.concurrency(a.accountSid).inFlight).toBe(2);
    const third = await fetchRecording(a, ofA.sid);
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ code: 20429, status: 429 });
    // Another account's request goes through while A is at its limit.
    expect((await fetchRecording(b, ofB.sid)).status).toBe(200);
    expect((await Promise.all(first)).map((response) => response.status)).toEqual([200, 200]);

    const load = emulator.concurrency(a.accountSid);
    expect(load).toMatchObject({ limit: 2, inFlight: 0, peak: 2, accepted: 2, refused: 1 });
    expect(load.averageInFlight).toBeGreaterThan(0);
    expect(load.averageInFlight).toBeLessThanOrEqual(2);

    emulator.setConcurrencyLimit(undefined);
    emulator.injectFault({ route: 'fetch', kind: 'latency', ms: 200, times: 3 });
    const unlimited = await Promise.all([1, 2, 3].map(() => fetchRecording(a, ofA.sid)));
    expect(unlimited.map((response) => response.status)).toEqual([200, 200, 200]);
  });
});
