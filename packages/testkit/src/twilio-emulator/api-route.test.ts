import { describe, expect, it } from 'vitest';
import { matchApiRoute } from './api-route.ts';

const AC = `AC${'a'.repeat(32)}`;
const RE = `RE${'b'.repeat(32)}`;
const base = `/2010-04-01/Accounts/${AC}`;

describe('API routes', () => {
  it('tells list, fetch and the media forms apart', () => {
    expect(matchApiRoute(`${base}/Recordings.json`)).toEqual({
      route: 'list',
      accountSid: AC,
      recordingSid: null,
      format: null,
    });
    expect(matchApiRoute(`${base}/Recordings/${RE}.json`)).toMatchObject({
      route: 'fetch',
      recordingSid: RE,
    });
    expect(matchApiRoute(`${base}/Recordings/${RE}`)).toMatchObject({ route: 'media', format: 'wav' });
    expect(matchApiRoute(`${base}/Recordings/${RE}.wav`)).toMatchObject({ route: 'media', format: 'wav' });
    expect(matchApiRoute(`${base}/Recordings/${RE}.mp3`)).toMatchObject({ route: 'media', format: 'mp3' });
  });

  it('keeps the account of unknown paths under an account, so they still need authentication', () => {
    expect(matchApiRoute(`${base}/Calls.json`)).toEqual({
      route: 'unknown',
      accountSid: AC,
      recordingSid: null,
      format: null,
    });
    expect(matchApiRoute(`${base}/Recordings/${RE}.ogg`)).toMatchObject({ route: 'unknown', accountSid: AC });
    expect(matchApiRoute('/2010-04-01/Recordings.json')).toMatchObject({
      route: 'unknown',
      accountSid: null,
    });
  });
});
