import parseRange from 'range-parser';

/** What to send of a stored object of `size` bytes, from the request's Range and If-Range headers. */
export type RangePlan =
  | { kind: 'whole' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * RFC 9110 range handling over range-parser (the parser Express's own `send` uses): one satisfiable range is
 * answered 206; several (once overlapping and adjacent ones are merged) are answered 200 with the whole body,
 * which the RFC allows and every player handles; none satisfiable is 416. A Range header that is not
 * well-formed, of another unit, or under an If-Range that names another version, is ignored (200), as the RFC
 * asks. `etag` is the object's strong ETag, quoted.
 */
export function planRange(
  size: number,
  range: string | undefined,
  ifRange: string | undefined,
  etag: string,
): RangePlan {
  if (range === undefined) return { kind: 'whole' };
  // An If-Range date cannot match: the archive keeps no modification times, only the hash.
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'whole' };
  // RFC 9110: a suffix longer than the representation selects all of it. range-parser calls it unsatisfiable.
  const suffixesCut = range.replace(/([=,]\s*)-(\d+)/g, (spec, before: string, length: string) =>
    size > 0 && Number(length) > size ? `${before}-${size}` : spec,
  );
  const ranges = parseRange(size, suffixesCut, { combine: true });
  if (ranges === -1) return { kind: 'unsatisfiable' };
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return { kind: 'whole' };
  const [only] = ranges;
  return only ? { kind: 'partial', start: only.start, end: only.end } : { kind: 'whole' };
}
