import { describe, expect, it } from 'vitest';
import { type ListQuery, parseListQuery } from './list-query.ts';
import { encodePageToken } from './page-token.ts';

const parse = (query: Record<string, string>): ListQuery => {
  const parsed = parseListQuery(new URLSearchParams(query));
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
};
const ms = (iso: string): number => Date.parse(iso);

describe('list query', () => {
  it('reads bare dates as whole GMT days', () => {
    const query = parse({ 'DateCreated>': '2026-11-03', 'DateCreated<': '2026-11-05' });
    expect(query.createdFrom).toBe(ms('2026-11-03T00:00:00Z'));
    expect(query.createdTo).toBe(ms('2026-11-05T23:59:59.999Z'));
    const day = parse({ DateCreated: '2026-11-04' });
    expect([day.createdFrom, day.createdTo]).toEqual([
      ms('2026-11-04T00:00:00Z'),
      ms('2026-11-04T23:59:59.999Z'),
    ]);
  });

  it('reads the SDK’s date-times as inclusive instants, zoneless ones as GMT', () => {
    const query = parse({ 'DateCreated>': '2026-11-03T10:00:00Z', 'DateCreated<': '2026-11-05T12:30:00' });
    expect(query.createdFrom).toBe(ms('2026-11-03T10:00:00Z'));
    expect(query.createdTo).toBe(ms('2026-11-05T12:30:00Z'));
    // DateCreated= with a date-time (what the SDK sends for a Date) means that day.
    const day = parse({ DateCreated: '2026-11-04T00:00:00Z' });
    expect(day.createdTo).toBe(ms('2026-11-04T23:59:59.999Z'));
  });

  it('defaults and caps the page size, and reads flags and tokens', () => {
    expect(parse({}).pageSize).toBe(50);
    expect(parse({ PageSize: '5000' }).pageSize).toBe(1000);
    expect(parse({ IncludeSoftDeleted: 'true' }).includeSoftDeleted).toBe(true);
    const token = { direction: 'after', dateCreated: 1_700_000_000_000, sid: `RE${'a'.repeat(32)}` } as const;
    expect(parse({ PageToken: encodePageToken(token), Page: '2' })).toMatchObject({
      pageToken: token,
      page: 2,
    });
  });

  it('reports bad values', () => {
    const queries: Record<string, string>[] = [
      { 'DateCreated<': 'soon' },
      { PageSize: '0' },
      { PageSize: 'ten' },
      { PageToken: 'PAxyz' },
    ];
    for (const query of queries) {
      expect(parseListQuery(new URLSearchParams(query))).toHaveProperty('error');
    }
  });
});
