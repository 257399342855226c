import { describe, expect, it } from 'vitest';
import { sameOriginVerdict, type WriteRequest } from './same-origin.ts';

const host = 'board.example:3001';

// [what it is, method, Host, Origin, Sec-Fetch-Site, allowed]
const cases: Array<
  [
    name: string,
    method: string,
    host: string | undefined,
    origin: string | undefined,
    site: string | undefined,
    allowed: boolean,
  ]
> = [
  // Reads pass whatever they carry: a cross-site GET cannot change anything here.
  ['a plain GET', 'GET', host, undefined, undefined, true],
  ['a cross-site GET', 'GET', host, 'http://evil.example', 'cross-site', true],
  ['a HEAD', 'HEAD', host, undefined, undefined, true],
  ['an OPTIONS', 'OPTIONS', host, 'http://evil.example', undefined, true],
  ['a lower-case get', 'get', host, undefined, undefined, true],

  // What the board's own UI sends.
  ['the UI: Origin and Sec-Fetch-Site', 'PUT', host, `http://${host}`, 'same-origin', true],
  ['Origin alone (a script)', 'POST', host, `http://${host}`, undefined, true],
  ['Sec-Fetch-Site: same-origin alone', 'PUT', host, undefined, 'same-origin', true],
  ['an https Origin behind a TLS proxy', 'PUT', host, `https://${host}`, 'same-origin', true],
  [
    'host names compare without case',
    'PUT',
    'Board.Example:3001',
    'http://board.EXAMPLE:3001',
    undefined,
    true,
  ],
  [
    'the default https port left out of Host',
    'PUT',
    'board.example',
    'https://board.example',
    'same-origin',
    true,
  ],
  [
    'the default http port written out in Host',
    'PUT',
    'board.example:80',
    'http://board.example',
    undefined,
    true,
  ],
  ['an IPv6 host', 'DELETE', '[::1]:3001', 'http://[::1]:3001', undefined, true],
  ['Sec-Fetch-Site: none with the own Origin', 'PATCH', host, `http://${host}`, 'none', true],

  // Another site.
  ['a cross-site POST', 'POST', host, 'http://evil.example', 'cross-site', false],
  ['a foreign Origin alone', 'POST', host, 'http://evil.example', undefined, false],
  ['Sec-Fetch-Site: cross-site alone', 'PUT', host, undefined, 'cross-site', false],
  ['Sec-Fetch-Site: same-site (a sibling subdomain)', 'PUT', host, undefined, 'same-site', false],
  ['same-site even with the own Origin', 'PUT', host, `http://${host}`, 'same-site', false],
  ['a foreign Origin that claims same-origin', 'PUT', host, 'http://evil.example', 'same-origin', false],
  ['the same name on another port', 'PUT', host, 'http://board.example:3002', undefined, false],
  ['the same name without the port', 'PUT', host, 'http://board.example', undefined, false],
  [
    'a name that only starts like the board',
    'PUT',
    host,
    'http://board.example:3001.evil.example',
    undefined,
    false,
  ],
  ['Origin: null (a sandboxed frame)', 'POST', host, 'null', undefined, false],
  ['an Origin with a path', 'POST', host, `http://${host}/x`, undefined, false],
  ['an Origin with user info', 'POST', host, `http://x@${host}`, undefined, false],
  ['a non-http Origin', 'POST', host, `file://${host}`, undefined, false],
  ['an Origin and no Host', 'POST', undefined, `http://${host}`, undefined, false],
  [
    'a Host that is not a host',
    'POST',
    'evil.example/@board.example:3001',
    `http://${host}`,
    undefined,
    false,
  ],

  // No proof at all: what curl or a forgotten header sends.
  ['a write with neither header', 'POST', host, undefined, undefined, false],
  ['a DELETE with neither header', 'DELETE', host, undefined, undefined, false],
  ['Sec-Fetch-Site: none alone (not a page of the board)', 'PUT', host, undefined, 'none', false],
];

describe('sameOriginVerdict', () => {
  it.each(cases)(
    '%s (%s, Host %s, Origin %s, Sec-Fetch-Site %s) → allowed %s',
    (_name, method, ownHost, origin, site, allowed) => {
      const request: WriteRequest = { method, host: ownHost, origin, secFetchSite: site };
      expect(sameOriginVerdict(request).allowed).toBe(allowed);
    },
  );

  it('tells a script which header it must send', () => {
    const verdict = sameOriginVerdict({ method: 'POST', host, origin: undefined, secFetchSite: undefined });
    expect(verdict).toEqual({ allowed: false, reason: expect.stringContaining(`Origin: http(s)://${host}`) });
  });

  it('names the refused origin', () => {
    const verdict = sameOriginVerdict({
      method: 'POST',
      host,
      origin: 'http://evil.example',
      secFetchSite: undefined,
    });
    expect(verdict).toEqual({ allowed: false, reason: expect.stringContaining('http://evil.example') });
  });
});
