import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwilioEmulator } from './emulator.ts';
import { startTwilioEmulator } from './emulator.ts';
import type { RecordingResource } from './recording-resource.ts';
import type { EmulatorAccount } from './recording-store.ts';

let emulator: TwilioEmulator;
let account: EmulatorAccount;
let client: twilio.Twilio;

const basic = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

function sdkClient(username: string, password: string, accountSid?: string): twilio.Twilio {
  const sdk = accountSid ? twilio(username, password, { accountSid }) : twilio(username, password);
  sdk.api.baseUrl = emulator.baseUrl;
  return sdk;
}

async function rejection(promise: Promise<unknown>): Promise<twilio.RestException> {
  const error = await promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(twilio.RestException);
  return error as twilio.RestException;
}

/** The part of the SDK's page objects the tests walk (nextPage() is typed as the base Page). */
interface SdkPage {
  instances: { sid: string; status: string }[];
  nextPage(): Promise<SdkPage> | undefined;
  previousPage(): Promise<SdkPage> | undefined;
}

const newestFirst = (a: RecordingResource, b: RecordingResource): number =>
  Date.parse(b.date_created) - Date.parse(a.date_created) || (a.sid < b.sid ? 1 : -1);

beforeAll(async () => {
  emulator = await startTwilioEmulator();
  account = emulator.addAccount();
  client = sdkClient(account.accountSid, account.authToken);
});

afterAll(async () => {
  await emulator.close();
});

describe('fetch', () => {
  it('returns the resource in Twilio’s shape, readable by the SDK', async () => {
    const created = emulator.addRecording({
      accountSid: account.accountSid,
      dateCreated: '2026-11-24T03:00:00Z',
      duration: 42,
      channels: 2,
      source: 'StartConferenceRecordingAPI',
      conferenceSid: `CF${'a'.repeat(32)}`,
    });

    const response = await fetch(`${emulator.baseUrl}${created.uri}`, {
      headers: { Authorization: basic(account.accountSid, account.authToken) },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as RecordingResource;
    expect(body).toEqual({
      account_sid: account.accountSid,
      api_version: '2010-04-01',
      call_sid: expect.stringMatching(/^CA[0-9a-f]{32}$/),
      conference_sid: `CF${'a'.repeat(32)}`,
      date_created: 'Tue, 24 Nov 2026 03:00:00 +0000',
      date_updated: 'Tue, 24 Nov 2026 03:00:42 +0000',
      start_time: 'Tue, 24 Nov 2026 03:00:00 +0000',
      duration: '42',
      sid: created.sid,
      price: '-0.0025',
      price_unit: 'USD',
      status: 'completed',
      channels: 2,
      source: 'StartConferenceRecordingAPI',
      error_code: null,
      uri: `/2010-04-01/Accounts/${account.accountSid}/Recordings/${created.sid}.json`,
      encryption_details: null,
      subresource_uris: {
        add_on_results: `/2010-04-01/Accounts/${account.accountSid}/Recordings/${created.sid}/AddOnResults.json`,
        transcriptions: `/2010-04-01/Accounts/${account.accountSid}/Recordings/${created.sid}/Transcriptions.json`,
      },
      media_url: `${emulator.baseUrl}/2010-04-01/Accounts/${account.accountSid}/Recordings/${created.sid}`,
    });

    const fetched = await client.api.v2010.accounts(account.accountSid).recordings(created.sid).fetch();
    expect(fetched.sid).toBe(created.sid);
    expect(fetched.duration).toBe('42');
    expect(fetched.channels).toBe(2);
    expect(fetched.dateCreated.toISOString()).toBe('2026-11-24T03:00:00.000Z');
    expect(fetched.mediaUrl).toBe(body.media_url);
  });

  it('moves a processing recording to completed after the given number of fetches', async () => {
    const { sid } = emulator.addRecording({
      accountSid: account.accountSid,
      duration: 5,
      status: 'processing',
      completeAfterFetches: 2,
    });
    const recordings = client.api.v2010.accounts(account.accountSid).recordings;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await recordings(sid).fetch()).status);
    expect(statuses).toEqual(['processing', 'processing', 'completed']);
  });

  it('completes a processing recording at the chosen time', async () => {
    let now = Date.parse('2026-11-24T03:00:00Z');
    const clocked = await startTwilioEmulator({ clock: () => now });
    try {
      const owner = clocked.addAccount();
      const { sid } = clocked.addRecording({
        accountSid: owner.accountSid,
        duration: 5,
        status: 'processing',
        completeAt: now + 60_000,
      });
      expect(clocked.recording(sid)?.status).toBe('processing');
      now += 60_000;
      expect(clocked.recording(sid)?.status).toBe('completed');
    } finally {
      await clocked.close();
    }
  });

  it('shows encryption details, and absent recordings with their error code', async () => {
    const encrypted = emulator.addRecording({ accountSid: account.accountSid, duration: 3, encrypted: true });
    const absent = emulator.addRecording({ accountSid: account.accountSid, duration: 0, status: 'absent' });
    const recordings = client.api.v2010.accounts(account.accountSid).recordings;
    const details = (await recordings(encrypted.sid).fetch()).encryptionDetails as Record<string, string>;
    expect(details.encryption_public_key_sid).toMatch(/^CR[0-9a-f]{32}$/);
    expect(details.encryption_cek).toBeTruthy();
    expect(details.encryption_iv).toBeTruthy();
    const fetchedAbsent = await recordings(absent.sid).fetch();
    expect(fetchedAbsent.status).toBe('absent');
    expect(fetchedAbsent.errorCode).toBe(16101);
  });
});

describe('delete', () => {
  it('deletes, then answers 404 with code 20404 unless soft-deleted recordings are asked for', async () => {
    const { sid } = emulator.addRecording({ accountSid: account.accountSid, duration: 7 });
    const recordings = client.api.v2010.accounts(account.accountSid).recordings;

    expect(await recordings(sid).remove()).toBe(true);
    expect(emulator.isDeleted(sid)).toBe(true);

    const fetchError = await rejection(recordings(sid).fetch());
    expect(fetchError.status).toBe(404);
    expect(fetchError.code).toBe(20404);
    const deleteError = await rejection(recordings(sid).remove());
    expect(deleteError.status).toBe(404);
    expect(deleteError.code).toBe(20404);

    const soft = await recordings(sid).fetch({ includeSoftDeleted: true });
    expect(soft.status).toBe('deleted');

    const raw = await fetch(
      `${emulator.baseUrl}/2010-04-01/Accounts/${account.accountSid}/Recordings/${sid}.json`,
      {
        headers: { Authorization: basic(account.accountSid, account.authToken) },
      },
    );
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({
      code: 20404,
      message: `The requested resource /2010-04-01/Accounts/${account.accountSid}/Recordings/${sid}.json was not found`,
      more_info: 'https://www.twilio.com/docs/errors/20404',
      status: 404,
    });
  });
});

describe('list', () => {
  let owner: EmulatorAccount;
  let seeded: RecordingResource[];

  beforeAll(() => {
    owner = emulator.addAccount();
    seeded = emulator.seedRecordings({
      accountSid: owner.accountSid,
      count: 120,
      from: '2026-11-01T00:00:00Z',
      to: '2026-11-10T23:59:59Z',
    });
  });

  it('pages newest first through date filters with page() and nextPage()', async () => {
    const after = new Date('2026-11-03T00:00:00Z');
    const before = new Date('2026-11-08T12:00:00Z');
    const expected = seeded
      .filter(
        (r) =>
          Date.parse(r.date_created) >= after.getTime() && Date.parse(r.date_created) <= before.getTime(),
      )
      .sort(newestFirst)
      .map((r) => r.sid);

    const sdk = sdkClient(owner.accountSid, owner.authToken);
    let page: SdkPage = await sdk.api.v2010
      .accounts(owner.accountSid)
      .recordings.page({ pageSize: 15, dateCreatedAfter: after, dateCreatedBefore: before });
    const seen: string[] = [];
    let pages = 0;
    for (;;) {
      pages++;
      seen.push(...page.instances.map((r) => r.sid));
      const next = page.nextPage();
      if (!next) break;
      page = await next;
    }
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBe(Math.ceil(expected.length / 15));
    expect(seen).toEqual(expected);
  });

  it('accepts Twilio’s documented YYYY-MM-DD filters, whole GMT days inclusive', async () => {
    const expected = seeded
      .filter((r) => {
        const created = Date.parse(r.date_created);
        return created >= Date.parse('2026-11-03T00:00:00Z') && created < Date.parse('2026-11-06T00:00:00Z');
      })
      .sort(newestFirst)
      .map((r) => r.sid);
    const query = new URLSearchParams({
      'DateCreated>': '2026-11-03',
      'DateCreated<': '2026-11-05',
      PageSize: '1000',
    });
    const response = await fetch(
      `${emulator.baseUrl}/2010-04-01/Accounts/${owner.accountSid}/Recordings.json?${query}`,
      {
        headers: { Authorization: basic(owner.accountSid, owner.authToken) },
      },
    );
    const body = (await response.json()) as { recordings: RecordingResource[]; next_page_uri: string | null };
    expect(body.recordings.map((r) => r.sid)).toEqual(expected);
    expect(body.next_page_uri).toBeNull();

    const oneDay = await sdkClient(owner.accountSid, owner.authToken)
      .api.v2010.accounts(owner.accountSid)
      .recordings.list({ dateCreated: new Date('2026-11-04T00:00:00Z'), pageSize: 1000 });
    expect(oneDay.map((r) => r.sid)).toEqual(
      seeded
        .filter((r) => r.date_created.includes(' 04 Nov 2026 '))
        .sort(newestFirst)
        .map((r) => r.sid),
    );
  });

  it('returns Twilio’s page envelope', async () => {
    const response = await fetch(
      `${emulator.baseUrl}/2010-04-01/Accounts/${owner.accountSid}/Recordings.json?PageSize=50`,
      { headers: { Authorization: basic(owner.accountSid, owner.authToken) } },
    );
    const body = (await response.json()) as Record<string, unknown> & { recordings: unknown[] };
    expect(body.recordings).toHaveLength(50);
    expect(body).toMatchObject({
      first_page_uri: `/2010-04-01/Accounts/${owner.accountSid}/Recordings.json?PageSize=50&Page=0`,
      next_page_uri: expect.stringMatching(/Recordings\.json\?PageSize=50&Page=1&PageToken=PA/),
      previous_page_uri: null,
      page: 0,
      page_size: 50,
      start: 0,
      end: 49,
      uri: `/2010-04-01/Accounts/${owner.accountSid}/Recordings.json?PageSize=50`,
    });
  });

  it('filters by CallSid and ConferenceSid', async () => {
    const callSid = `CA${'b'.repeat(32)}`;
    const conferenceSid = `CF${'c'.repeat(32)}`;
    const other = emulator.addAccount();
    emulator.addRecording({ accountSid: other.accountSid, duration: 1 });
    const onCall = emulator.addRecording({ accountSid: other.accountSid, duration: 1, callSid });
    const inConference = emulator.addRecording({ accountSid: other.accountSid, duration: 1, conferenceSid });
    const recordings = sdkClient(other.accountSid, other.authToken).api.v2010.accounts(
      other.accountSid,
    ).recordings;
    expect((await recordings.list({ callSid })).map((r) => r.sid)).toEqual([onCall.sid]);
    expect((await recordings.list({ conferenceSid })).map((r) => r.sid)).toEqual([inConference.sid]);
  });

  it('misses and repeats nothing when recordings are deleted between pages', async () => {
    const churn = emulator.addAccount();
    const all = emulator
      .seedRecordings({
        accountSid: churn.accountSid,
        count: 45,
        from: '2026-10-01',
        to: '2026-10-02',
        seed: 'churn',
      })
      .sort(newestFirst);
    const sdk = sdkClient(churn.accountSid, churn.authToken);
    const recordings = sdk.api.v2010.accounts(churn.accountSid).recordings;
    const seen: string[] = [];
    const deletedUnseen = new Set<string>();

    let page: SdkPage = await recordings.page({ pageSize: 10 });
    for (;;) {
      seen.push(...page.instances.map((r) => r.sid));
      // What the archiver does: delete what it has just listed, while someone else deletes a later one.
      for (const recording of page.instances) await recordings(recording.sid).remove();
      const unseen = all.filter((r) => !seen.includes(r.sid) && !deletedUnseen.has(r.sid));
      const victim = unseen[Math.floor(unseen.length / 2)];
      if (victim) {
        emulator.deleteRecording(victim.sid);
        deletedUnseen.add(victim.sid);
      }
      const next = page.nextPage();
      if (!next) break;
      page = await next;
    }

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all.map((r) => r.sid).filter((sid) => !deletedUnseen.has(sid)));
    expect(emulator.counts(churn.accountSid)).toEqual({ total: 45, active: 0, deleted: 45 });

    const soft = await recordings.list({ includeSoftDeleted: true, pageSize: 1000 });
    expect(soft).toHaveLength(45);
    expect(new Set(soft.map((r) => r.status))).toEqual(new Set(['deleted']));
    expect(await recordings.list({})).toHaveLength(0);
  });

  it('pages back with previous_page_uri', async () => {
    const sdk = sdkClient(owner.accountSid, owner.authToken);
    const first = await sdk.api.v2010.accounts(owner.accountSid).recordings.page({ pageSize: 20 });
    const second = await first.nextPage();
    const back = await second?.previousPage();
    expect(back?.instances.map((r) => r.sid)).toEqual(first.instances.map((r) => r.sid));
  });

  it('rejects a malformed filter or token with 400', async () => {
    for (const query of ['DateCreated%3E=yesterday', 'PageToken=nonsense', 'PageSize=0']) {
      const response = await fetch(
        `${emulator.baseUrl}/2010-04-01/Accounts/${owner.accountSid}/Recordings.json?${query}`,
        {
          headers: { Authorization: basic(owner.accountSid, owner.authToken) },
        },
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ status: 400, code: 20001 });
    }
  });
});

describe('authentication', () => {
  it('answers 401 with code 20003 without credentials or with wrong ones', async () => {
    const { sid } = emulator.addRecording({ accountSid: account.accountSid, duration: 2 });
    const url = `${emulator.baseUrl}/2010-04-01/Accounts/${account.accountSid}/Recordings/${sid}.json`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(await anonymous.json()).toMatchObject({ code: 20003, status: 401 });

    const wrong = await rejection(
      sdkClient(account.accountSid, 'not-the-token')
        .api.v2010.accounts(account.accountSid)
        .recordings(sid)
        .fetch(),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.code).toBe(20003);

    // Valid credentials of another account do not open this one.
    const stranger = emulator.addAccount();
    const crossed = await fetch(url, {
      headers: { Authorization: basic(stranger.accountSid, stranger.authToken) },
    });
    expect(crossed.status).toBe(401);

    const kinds = emulator.requests.filter((entry) => entry.recordingSid === sid).map((entry) => entry.auth);
    expect(kinds).toEqual(['none', 'invalid', 'account']);
  });

  it('accepts an API key and its secret', async () => {
    const { sid } = emulator.addRecording({ accountSid: account.accountSid, duration: 2 });
    const key = account.apiKeys[0];
    if (!key) throw new Error('the account has an API key by default');
    const sdk = sdkClient(key.sid, key.secret, account.accountSid);
    expect((await sdk.api.v2010.accounts(account.accountSid).recordings(sid).fetch()).sid).toBe(sid);
    expect(emulator.requests.at(-1)).toMatchObject({ route: 'fetch', auth: 'apiKey', status: 200 });
  });

  it('answers unknown routes with Twilio’s 404 JSON', async () => {
    const auth = { Authorization: basic(account.accountSid, account.authToken) };
    for (const path of ['/nothing-here', `/2010-04-01/Accounts/${account.accountSid}/Calls.json`]) {
      const response = await fetch(`${emulator.baseUrl}${path}`, { headers: auth });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 20404, status: 404 });
    }
  });
});

describe('request log', () => {
  it('records requests in order with route, status and recording', async () => {
    const { sid } = emulator.addRecording({ accountSid: account.accountSid, duration: 1 });
    emulator.resetLog();
    const recordings = client.api.v2010.accounts(account.accountSid).recordings;
    await recordings(sid).fetch();
    await recordings.page({ pageSize: 5 });
    await recordings(sid).remove();
    await rejection(recordings(sid).fetch());

    const log = emulator.requests;
    expect(log.map((entry) => [entry.method, entry.route, entry.status])).toEqual([
      ['GET', 'fetch', 200],
      ['GET', 'list', 200],
      ['DELETE', 'delete', 204],
      ['GET', 'fetch', 404],
    ]);
    expect(log.map((entry) => entry.seq)).toEqual([...log.map((entry) => entry.seq)].sort((a, b) => a - b));
    expect(log[0]).toMatchObject({ accountSid: account.accountSid, recordingSid: sid, auth: 'account' });
    expect(log[1]?.query).toEqual({ PageSize: '5' });
    expect(typeof log[0]?.at).toBe('number');
  });
});
