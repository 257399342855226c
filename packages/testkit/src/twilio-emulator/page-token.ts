/**
 * A position in the newest-first list: the sort key of the item the page stopped at. `after` continues
 * with older items (next page), `before` goes back to newer ones (previous page). Because it names a
 * key, not an offset, deleting recordings between two pages neither skips nor repeats anything.
 */
export interface PageToken {
  direction: 'after' | 'before';
  dateCreated: number;
  sid: string;
}

// Twilio's own tokens start with PA (next) and PB (previous).
const PREFIX = { after: 'PA', before: 'PB' } as const;

export function encodePageToken(token: PageToken): string {
  return PREFIX[token.direction] + Buffer.from(`${token.dateCreated}:${token.sid}`).toString('base64url');
}

export function decodePageToken(value: string): PageToken | undefined {
  const direction = value.startsWith(PREFIX.after)
    ? 'after'
    : value.startsWith(PREFIX.before)
      ? 'before'
      : null;
  if (!direction) return undefined;
  const match = /^(\d+):([A-Z]{2}[0-9a-f]{32})$/.exec(Buffer.from(value.slice(2), 'base64url').toString());
  if (!match?.[1] || !match[2]) return undefined;
  return { direction, dateCreated: Number(match[1]), sid: match[2] };
}
