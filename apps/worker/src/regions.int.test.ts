import { archiveJobId } from '@recording-vault/contract';
import { type EmulatorAccount, startTwilioEmulator, type TwilioEmulator } from '@recording-vault/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArchiveRig,
  assertEveryDeleteWasSafe,
  startArchiveRig,
  waitFor,
} from './testing/archive-rig.ts';

// Two accounts in one worker, each on its own host (the rig's emulator stands for api.twilio.com, a second
// one for an account's regional host): every request of an account, REST, media, listing and delete, must
// reach its own account's host, with its own credentials.
describe('an account per region', () => {
  let rig: ArchiveRig;
  let dublin: TwilioEmulator;
  let irish: EmulatorAccount;
  beforeAll(async () => {
    rig = await startArchiveRig({ driver: 'folder' });
    dublin = await startTwilioEmulator({ seed: 'dublin' });
    irish = dublin.addAccount();
    await rig.startWorker(
      {},
      {
        reconcileEveryMs: 500,
        reconcileWindowMs: 3_600_000,
        extraAccounts: [
          {
            accountSid: irish.accountSid,
            authTokens: [irish.authToken],
            region: 'ie1',
            apiOrigin: dublin.baseUrl,
          },
        ],
      },
    );
  });
  afterAll(async () => {
    await rig.close();
    await dublin.close();
  });

  it("sends each account's lookups, media, listings and deletes to its own host only", async () => {
    const home = rig.addRecording({ duration: 4 });
    const away = dublin.addRecording({ accountSid: irish.accountSid, duration: 4, channels: 2 });
    // The callback-less path: the reconciliation lists both accounts, each at its own host.
    await waitFor(
      async () =>
        (await rig.queue.getJobState(archiveJobId(home.sid))) === 'completed' &&
        (await rig.queue.getJobState(archiveJobId(away.sid))) === 'completed',
      'both recordings archived through the reconciliation',
    );
    expect(rig.emulator.isDeleted(home.sid)).toBe(true);
    expect(dublin.isDeleted(away.sid)).toBe(true);

    const homeHost = new URL(rig.emulator.baseUrl).host;
    const dublinHost = new URL(dublin.baseUrl).host;
    for (const [emulator, host, accountSid] of [
      [rig.emulator, homeHost, rig.account.accountSid],
      [dublin, dublinHost, irish.accountSid],
    ] as const) {
      const requests = emulator.requests;
      // Every request this host saw was its own account's, authenticated, to its own host name.
      expect(requests.every((r) => r.accountSid === accountSid && r.host === host)).toBe(true);
      expect(requests.every((r) => r.auth !== 'none' && r.status !== 401)).toBe(true);
      expect(new Set(requests.map((r) => r.route))).toEqual(
        new Set(['list', 'fetch', 'media', 'transcriptions', 'delete']),
      );
    }
    // Both channels of the dual-channel recording came from its own host.
    expect(
      dublin.requests.some(
        (r) => r.route === 'media' && r.query.RequestedChannels === '2' && r.status === 200,
      ),
    ).toBe(true);
    await assertEveryDeleteWasSafe(rig);
  });
});
