import { describe, expect, it } from 'vitest';
import { dayStart, parseArchiveQuery } from './archive-search.ts';

const re = `RE${'ab'.repeat(16)}`;
const ca = `CA${'cd'.repeat(16)}`;
const ac = `AC${'ef'.repeat(16)}`;
const position = `1795000000000:${re}`;

describe('parseArchiveQuery', () => {
  it('takes nothing as the recent archives of every account', () => {
    expect(parseArchiveQuery({})).toEqual({
      ok: true,
      query: {},
      form: { q: '', account: '', from: '', to: '' },
    });
  });

  it.each([
    [re, { recordingSid: re }],
    [ca, { callSid: ca }],
    [ac, { accountSid: ac }],
    [` ${re.toUpperCase().replace(/^RE/, 're')} `, { recordingSid: re }],
  ])('reads %s in the search box by its prefix', (q, query) => {
    const parsed = parseArchiveQuery({ q });
    expect(parsed.ok && parsed.query).toEqual(query);
  });

  it('reads an account, a range of UTC days and a place to continue from', () => {
    const parsed = parseArchiveQuery({
      q: ca,
      account: ac,
      from: '2026-11-01',
      to: '2026-11-30',
      before: position,
      unknown: 'ignored',
    });
    expect(parsed.ok && parsed.query).toEqual({
      callSid: ca,
      accountSid: ac,
      fromDay: '2026-11-01',
      toDay: '2026-11-30',
      before: position,
    });
  });

  it('lists every problem at once, in words', () => {
    const parsed = parseArchiveQuery({
      q: 'hello',
      account: re,
      from: '2026-02-31',
      to: 'yesterday',
      before: 'RE..',
    });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems).toEqual([
      'search for a recording SID (RE and 32 hex digits), a call SID (CA…) or an account SID (AC…)',
      'account must be an account SID (AC and 32 hex digits)',
      'from must be a day, YYYY-MM-DD (got 2026-02-31)',
      'to must be a day, YYYY-MM-DD (got yesterday)',
      'before is not a place in the archive listing (follow the page links)',
    ]);
    // The form is shown again as it was sent (the page escapes it).
    expect(parsed.form.q).toBe('hello');
  });

  it('refuses a range that ends before it starts, two different accounts, and repeated fields', () => {
    const backwards = parseArchiveQuery({ from: '2026-11-02', to: '2026-11-01' });
    expect(!backwards.ok && backwards.problems).toEqual(['from (2026-11-02) is after to (2026-11-01)']);
    const twoAccounts = parseArchiveQuery({ q: ac, account: `AC${'01'.repeat(16)}` });
    expect(!twoAccounts.ok && twoAccounts.problems).toEqual([
      'the search names one account and the account list another',
    ]);
    const repeated = parseArchiveQuery({ q: [re, ca] });
    expect(!repeated.ok && repeated.problems).toEqual(['q was given more than once']);
  });
});

describe('dayStart', () => {
  it('is midnight UTC of real days only', () => {
    expect(dayStart('2026-11-24')).toBe(Date.UTC(2026, 10, 24));
    expect(dayStart('2028-02-29')).toBe(Date.UTC(2028, 1, 29));
    expect(dayStart('2026-02-29')).toBeUndefined();
    expect(dayStart('2026-1-2')).toBeUndefined();
  });
});
