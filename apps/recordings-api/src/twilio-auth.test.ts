import { describe, expect, it } from 'vitest';
import { twilioCredentialsCheck } from './twilio-auth.ts';

const A = `AC${'1'.repeat(32)}`;
const B = `AC${'2'.repeat(32)}`;
const KEY = `SK${'3'.repeat(32)}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const check = twilioCredentialsCheck([
  {
    accountSid: A,
    authTokens: ['new'.padEnd(32, '0'), 'old'.padEnd(32, '0')],
    apiKey: { sid: KEY, secret: 'k'.repeat(32) },
  },
  { accountSid: B, authTokens: ['b'.repeat(32)] },
]);

describe('twilioCredentialsCheck', () => {
  it('accepts either token of a rotation, and the API key, as the account', () => {
    expect(check(basic(A, 'new'.padEnd(32, '0')))).toEqual({
      kind: 'right',
      accountSid: A,
      credential: 'auth-token',
      user: A,
    });
    expect(check(basic(A, 'old'.padEnd(32, '0')), A)).toMatchObject({ kind: 'right', accountSid: A });
    expect(check(basic(KEY, 'k'.repeat(32)), A)).toEqual({
      kind: 'right',
      accountSid: A,
      credential: 'api-key',
      user: KEY,
    });
  });

  it('tells missing from wrong', () => {
    expect(check(undefined)).toEqual({ kind: 'missing' });
    expect(check('')).toEqual({ kind: 'missing' });
    expect(check(basic(A, 'x'.repeat(32)))).toEqual({ kind: 'wrong' });
    expect(check(basic(`AC${'9'.repeat(32)}`, 'x'))).toEqual({ kind: 'wrong' });
    expect(check('Bearer abc')).toEqual({ kind: 'wrong' });
    expect(check(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toEqual({ kind: 'wrong' });
  });

  it("refuses one account's credentials for another account's URL", () => {
    expect(check(basic(B, 'b'.repeat(32)), A)).toEqual({ kind: 'wrong' });
    expect(check(basic(KEY, 'k'.repeat(32)), B)).toEqual({ kind: 'wrong' });
  });

  it('takes a password with colons whole', () => {
    const withColon = twilioCredentialsCheck([{ accountSid: A, authTokens: ['a:b:c'] }]);
    expect(withColon(basic(A, 'a:b:c'))).toMatchObject({ kind: 'right' });
  });
});
