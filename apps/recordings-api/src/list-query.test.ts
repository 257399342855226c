import { describe, expect, it } from 'vitest';
import { encodePageToken, parseListQuery } from './list-query.ts';

const parse = (query: string) => parseListQuery(new URLSearchParams(query));
const CA = `CA${'1'.repeat(32)}`;
const position = `1764547200000:RE${'2'.repeat(32)}`;

describe('parseListQuery', () => {
  it('defaults to the first page of 50', () => {
    expect(parse('')).toEqual({ pageSize: 50, page: 0 });
  });

  it('reads a bare date as its whole GMT day, and date-times as inclusive instants', () => {
    expect(parse('DateCreated=2026-11-24')).toMatchObject({
      createdFrom: Date.UTC(2026, 10, 24),
      createdTo: Date.UTC(2026, 10, 25) - 1,
    });
    expect(parse('DateCreated%3C=2026-11-24')).toMatchObject({ createdTo: Date.UTC(2026, 10, 25) - 1 });
    expect(parse('DateCreated%3E=2026-11-24')).toMatchObject({ createdFrom: Date.UTC(2026, 10, 24) });
    expect(parse('DateCreated%3E=2026-11-24T03:00:01.000Z&DateCreated%3C=2026-11-24T04:00:00')).toMatchObject(
      {
        createdFrom: Date.UTC(2026, 10, 24, 3, 0, 1),
        createdTo: Date.UTC(2026, 10, 24, 4),
      },
    );
    // The SDK sends DateCreated as a date-time: its day is meant.
    expect(parse('DateCreated=2026-11-24T15:00:00Z')).toMatchObject({ createdFrom: Date.UTC(2026, 10, 24) });
  });

  it('caps PageSize at 1000 and reads filters, Page and PageToken', () => {
    const token = encodePageToken({ direction: 'older', position });
    expect(parse(`PageSize=5000&CallSid=${CA}&Page=3&PageToken=${token}`)).toEqual({
      pageSize: 1000,
      page: 3,
      callSid: CA,
      token: { direction: 'older', position },
    });
    expect(parse(`PageToken=${encodePageToken({ direction: 'newer', position })}`)).toMatchObject({
      token: { direction: 'newer', position },
    });
  });

  it.each([
    'PageSize=0',
    'PageSize=-1',
    'PageSize=2.5',
    'Page=x',
    'CallSid=CA1',
    `ConferenceSid=${CA}`,
    'DateCreated=24/11/2026',
    'DateCreated%3E=tomorrow',
    'PageToken=PAbm90LWEtcG9zaXRpb24',
    'PageToken=XX',
  ])('refuses %s', (query) => {
    expect(parse(query)).toHaveProperty('error');
  });
});
