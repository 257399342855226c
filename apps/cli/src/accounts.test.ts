import { errorFromResponse, errorFromTransport, TwilioApiError } from '@recording-vault/twilio';
import { describe, expect, it } from 'vitest';
import {
  type AccountCheck,
  accountsJsonLines,
  checkOutcome,
  checkText,
  formatAccounts,
  listing,
} from './accounts.ts';

const withToken = {
  accountSid: `AC${'1'.repeat(32)}`,
  authTokens: ['a'.repeat(32), 'b'.repeat(32)],
  region: 'us1' as const,
  apiOrigin: 'https://api.twilio.com',
};
const withKey = {
  accountSid: `AC${'2'.repeat(32)}`,
  authTokens: ['c'.repeat(32)],
  apiKey: { sid: `SK${'3'.repeat(32)}`, secret: 'the-secret-of-the-key' },
  region: 'ie1' as const,
  edge: 'dublin',
  apiOrigin: 'https://api.dublin.ie1.twilio.com',
};

describe('vault accounts', () => {
  it('lists where each account is and how it signs in, never a secret', () => {
    const listed = [withToken, withKey].map(listing);
    expect(listed).toEqual([
      {
        sid: withToken.accountSid,
        region: 'us1',
        edge: null,
        apiOrigin: 'https://api.twilio.com',
        credential: 'auth-token',
      },
      {
        sid: withKey.accountSid,
        region: 'ie1',
        edge: 'dublin',
        apiOrigin: 'https://api.dublin.ie1.twilio.com',
        credential: 'api-key',
        apiKeySid: withKey.apiKey.sid,
      },
    ]);
    const printed = [
      formatAccounts(listed, undefined, true),
      formatAccounts(listed, undefined, false),
      accountsJsonLines(listed, undefined),
    ].join('\n');
    for (const secret of [...withToken.authTokens, ...withKey.authTokens, withKey.apiKey.secret])
      expect(printed).not.toContain(secret);
  });

  it('drops a user and password from an origin', () => {
    expect(listing({ ...withToken, apiOrigin: 'https://user:pass@api.twilio.com' }).apiOrigin).toBe(
      'https://api.twilio.com/',
    );
  });

  it('aligns a table on a terminal, and separates the same columns by tabs otherwise', () => {
    const listed = [withToken, withKey].map(listing);
    const checks: AccountCheck[] = [{ result: 'ok' }, { result: 'unreachable', reason: 'ENOTFOUND' }];
    expect(formatAccounts(listed, checks, true).split('\n')).toEqual([
      'ACCOUNT                             REGION  API ORIGIN                         CREDENTIAL                                  CHECK',
      `${withToken.accountSid}  us1     https://api.twilio.com             auth token                                  ok`,
      `${withKey.accountSid}  ie1     https://api.dublin.ie1.twilio.com  API key ${withKey.apiKey.sid}  unreachable (ENOTFOUND)`,
    ]);
    expect(formatAccounts(listed, undefined, false).split('\n')).toEqual([
      `${withToken.accountSid}\tus1\thttps://api.twilio.com\tauth token`,
      `${withKey.accountSid}\tie1\thttps://api.dublin.ie1.twilio.com\tAPI key ${withKey.apiKey.sid}`,
    ]);
  });

  it('prints one JSON object a line, with the check when there was one', () => {
    const lines = accountsJsonLines([listing(withToken)], [{ result: 'ok' }]).split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { ...listing(withToken), check: { result: 'ok' } },
    ]);
  });

  it('tells a refusal, an origin that does not answer and other failures apart by the error, not its text', () => {
    const what = 'Twilio GET /2010-04-01/Accounts/AC…/Recordings.json';
    const refused = checkOutcome(errorFromResponse(what, 401, { code: 20003, message: 'Authenticate' }, {}));
    expect(refused).toEqual({ result: 'refused', status: 401, code: 20003 });
    expect(checkText(refused)).toBe('refused (HTTP 401, Twilio error 20003)');

    const refusedCause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
      code: 'ECONNREFUSED',
    });
    const unreachable = checkOutcome(errorFromTransport(what, refusedCause));
    expect(checkText(unreachable)).toBe('unreachable (ECONNREFUSED)');

    const down = checkOutcome(errorFromResponse(what, 503, '', {}));
    expect(checkText(down)).toBe('failed (HTTP 503)');
    expect(checkText(checkOutcome(new TwilioApiError('invalid', 'x', { status: 400, code: 20001 })))).toBe(
      'failed (HTTP 400, Twilio error 20001)',
    );
  });
});
