import { createHash } from 'node:crypto';
import type { ArchivedRecording } from '@recording-vault/archive-index/testing/archived-fixtures';
import { sidOf } from '@recording-vault/archive-index/testing/archived-fixtures';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRig, startApiRig } from './testing/api-rig.ts';

const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);

/** The real twilio SDK, pointed at the vault by its one switch: the API domain's base URL. */
function vaultClient(rig: ApiRig, user: string, password: string, accountSid?: string) {
  const client = twilio(user, password, accountSid ? { accountSid } : {});
  client.api.baseUrl = rig.api.origin;
  return client;
}

describe('the twilio SDK against the recordings API', () => {
  let rig: ApiRig;
  let client: ReturnType<typeof twilio>;
  const call = sidOf('CA');
  let onCall: ArchivedRecording[];
  let all: ArchivedRecording[];

  beforeAll(async () => {
    rig = await startApiRig('folder');
    client = vaultClient(rig, rig.a.accountSid, rig.a.authTokens[0] as string);
    onCall = [
      await rig.archive({ callSid: call, dateCreated: new Date(T0), channels: 2 }),
      await rig.archive({ callSid: call, dateCreated: new Date(T0 + 60_000) }),
    ];
    const others = [];
    for (let i = 1; i <= 5; i++)
      others.push(await rig.archive({ dateCreated: new Date(T0 + i * 3_600_000) }));
    all = [...onCall, ...others];
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('fetches an archived recording: recordings(sid).fetch()', async () => {
    const recording = onCall[0] as ArchivedRecording;
    const fetched = await client.recordings(recording.entry.recordingSid).fetch();
    expect(fetched.sid).toBe(recording.entry.recordingSid);
    expect(fetched.accountSid).toBe(rig.a.accountSid);
    expect(fetched.callSid).toBe(call);
    expect(fetched.channels).toBe(2);
    expect(fetched.duration).toBe('2');
    expect(fetched.dateCreated.getTime()).toBe(T0);
    expect(fetched.mediaUrl).toBe(
      `${rig.api.publicUrl}/2010-04-01/Accounts/${rig.a.accountSid}/Recordings/${recording.entry.recordingSid}`,
    );
    // What an app does next: fetch the media from media_url with the same credentials.
    const media = await fetch(`${fetched.mediaUrl}.wav`, {
      headers: {
        Authorization: `Basic ${Buffer.from(`${rig.a.accountSid}:${rig.a.authTokens[0]}`).toString('base64')}`,
      },
    });
    expect(
      createHash('sha256')
        .update(Buffer.from(await media.arrayBuffer()))
        .digest('hex'),
    ).toBe(recording.entry.sha256);
  });

  it('lists by call: recordings.list({callSid})', async () => {
    const listed = await client.recordings.list({ callSid: call });
    expect(listed.map((r) => r.sid)).toEqual([onCall[1], onCall[0]].map((r) => r?.entry.recordingSid));
  });

  it('pages through next_page_uri, newest first, and filters by dates', async () => {
    const newestFirst = [...all].reverse().map((r) => r.entry.recordingSid);
    const listed = await client.recordings.list({ pageSize: 2 });
    expect(listed.map((r) => r.sid)).toEqual(newestFirst);
    const limited = await client.recordings.list({ pageSize: 2, limit: 3 });
    expect(limited.map((r) => r.sid)).toEqual(newestFirst.slice(0, 3));
    const between = await client.recordings.list({
      dateCreatedAfter: new Date(T0 + 2 * 3_600_000),
      dateCreatedBefore: new Date(T0 + 4 * 3_600_000),
    });
    expect(between.map((r) => r.sid)).toEqual(newestFirst.slice(1, 4));
    const page = await client.recordings.page({ pageSize: 3 });
    const next = await page.nextPage();
    expect(next?.instances.map((r) => r.sid)).toEqual(newestFirst.slice(3, 6));
    const previous = await next?.previousPage();
    expect(previous?.instances.map((r) => r.sid)).toEqual(newestFirst.slice(0, 3));
  });

  it('authenticates with an API key of the account', async () => {
    const keyed = vaultClient(
      rig,
      rig.a.apiKey?.sid as string,
      rig.a.apiKey?.secret as string,
      rig.a.accountSid,
    );
    const fetched = await keyed.recordings((onCall[1] as ArchivedRecording).entry.recordingSid).fetch();
    expect(fetched.sid).toBe((onCall[1] as ArchivedRecording).entry.recordingSid);
  });

  it("raises Twilio's errors: 20003 for wrong credentials, 20404 for another account's recording", async () => {
    const wrong = vaultClient(rig, rig.a.accountSid, 'f'.repeat(32));
    await expect(
      wrong.recordings((onCall[0] as ArchivedRecording).entry.recordingSid).fetch(),
    ).rejects.toMatchObject({
      status: 401,
      code: 20003,
    });
    const other = vaultClient(rig, rig.b.accountSid, rig.b.authTokens[0] as string);
    await expect(
      other.recordings((onCall[0] as ArchivedRecording).entry.recordingSid).fetch(),
    ).rejects.toMatchObject({
      status: 404,
      code: 20404,
    });
    expect(await other.recordings.list({ callSid: call })).toEqual([]);
  });

  it('refuses a delete: the vault never deletes through its read API', async () => {
    const sid = (onCall[0] as ArchivedRecording).entry.recordingSid;
    await expect(client.recordings(sid).remove()).rejects.toMatchObject({ status: 405, code: 20004 });
    expect((await client.recordings(sid).fetch()).sid).toBe(sid);
  });
});
