import { describe, expect, it } from 'vitest';
import { groupReasons, readableReason, reasonMaxLength } from './failure-reasons.ts';

const sid = (prefix: string, digit: string) => `${prefix}${digit.repeat(32)}`;

describe('failure reasons', () => {
  it('keeps a reason whole, Twilio message included, and cuts only past the limit', () => {
    const reason = `Twilio GET /2010-04-01/Accounts/${sid('AC', 'a')}/Recordings.json: HTTP 401, Twilio error 20003, Authenticate`;
    expect(readableReason(reason)).toBe(reason);
    const long = readableReason('x'.repeat(2_000));
    expect(long).toHaveLength(reasonMaxLength);
    expect(long.endsWith('…')).toBe(true);
    expect(readableReason(undefined)).toBe('no reason recorded');
  });

  it('counts reasons that differ only by SIDs and numbers as one cause, shown by the first', () => {
    const notFound = (digit: string) =>
      `Twilio GET /2010-04-01/Accounts/${sid('AC', 'a')}/Recordings/${sid('RE', digit)}.json: HTTP 404, Twilio error 20404, The requested resource was not found`;
    expect(groupReasons([notFound('1'), 'storage refused the write', notFound('2'), notFound('3')])).toEqual([
      { reason: notFound('1'), count: 3 },
      { reason: 'storage refused the write', count: 1 },
    ]);
  });
});
