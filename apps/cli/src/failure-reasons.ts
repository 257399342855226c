/** Long enough for Twilio's own message (up to 300 characters) after the request it answered. */
export const reasonMaxLength = 500;

export interface FailureReason {
  /** One failure's reason as the job recorded it (the most recent of its kind), whole up to the limit. */
  reason: string;
  count: number;
}

/** A reason as shown: whole, on one line, cut only past `reasonMaxLength`. */
export function readableReason(reason: string | undefined): string {
  const line = (reason ?? '').replace(/\s+/g, ' ').trim() || 'no reason recorded';
  return line.length > reasonMaxLength ? `${line.slice(0, reasonMaxLength - 1)}…` : line;
}

/** Reasons that differ only by SIDs, hashes and numbers share a cause: they are counted together. */
function causeOf(reason: string): string {
  return reason
    .replace(/\b[A-Z]{2}[0-9a-f]{32}\b/g, 'SID')
    .replace(/[0-9a-f]{64}/g, 'HASH')
    .replace(/\d+/g, 'N');
}

/**
 * Groups failures by cause, most frequent first, each shown by the reason of its first member (pass them
 * newest first, as BullMQ's failed set reads, and that is the most recent).
 */
export function groupByCause<T>(
  items: readonly T[],
  reasonOf: (item: T) => string | undefined,
): Array<{ reason: string; items: T[] }> {
  const groups = new Map<string, { reason: string; items: T[] }>();
  for (const item of items) {
    const reason = readableReason(reasonOf(item));
    const cause = causeOf(reason);
    const group = groups.get(cause);
    if (group) group.items.push(item);
    else groups.set(cause, { reason, items: [item] });
  }
  return [...groups.values()].sort((a, b) => b.items.length - a.items.length);
}

/** The most common causes of failure, with how many failed of each. */
export function groupReasons(reasons: ReadonlyArray<string | undefined>, limit = 5): FailureReason[] {
  return groupByCause(reasons, (reason) => reason)
    .slice(0, limit)
    .map((group) => ({ reason: group.reason, count: group.items.length }));
}
