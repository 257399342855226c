import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BackfillProgress } from './backfill-run.ts';
import { backfillSummary, createProgressDisplay } from './progress-display.ts';

const account = `AC${'a'.repeat(32)}`;

function progress(overrides: Partial<BackfillProgress> = {}): BackfillProgress {
  return {
    daysTotal: 1,
    daysListed: 0,
    daysFailed: 0,
    failedDays: [],
    found: 0,
    enqueued: 0,
    archived: 0,
    skipped: 0,
    failed: 0,
    failureReasons: [],
    bytes: 0,
    pending: 0,
    workers: 1,
    done: false,
    ...overrides,
  };
}

/** A stream that says it is a terminal, and keeps what was written to it. */
function terminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let written = '';
  stream.on('data', (chunk) => {
    written += chunk;
  });
  return { stream, written: () => written };
}

describe('backfillSummary', () => {
  it('ends a run whose only recording is absent with figures, not INF or NaN', () => {
    const { summary, failures } = backfillSummary(
      progress({ daysListed: 1, found: 1, done: true }),
      0,
      'done',
    );
    expect(summary).toBe(
      'backfill done in 0s: days 1/1, found 1 (1 not completed at Twilio: nothing to archive), enqueued 0, archived 0, skipped 0, failed 0, 0 B',
    );
    expect(failures).toEqual([]);
  });

  it('names every day not listed with its reason, and the causes of failed recordings', () => {
    const reason =
      'Twilio GET /2010-04-01/Accounts/AC…/Recordings.json: HTTP 401, Twilio error 20003, Authenticate';
    const { summary, failures } = backfillSummary(
      progress({
        daysTotal: 2,
        daysFailed: 2,
        failedDays: [
          { accountSid: account, day: '2025-04-01', reason },
          { accountSid: account, day: '2025-04-02', reason },
        ],
        failed: 3,
        failureReasons: [{ reason: 'media is short', count: 3 }],
        done: true,
      }),
      61_000,
      'done',
    );
    expect(summary).toMatch(/^backfill finished with failures in 1m 1s: days 0\/2 \(2 failed\)/);
    expect(failures.slice(0, 3)).toEqual([
      `${account} 2025-04-01 not listed: ${reason}`,
      `${account} 2025-04-02 not listed: ${reason}`,
      '3 recordings not archived: media is short',
    ]);
  });
});

describe('the progress bar on a terminal', () => {
  it('shows figures from its first frame and ends with the summary line', () => {
    const out = terminal();
    const err = terminal();
    const display = createProgressDisplay(out.stream, err.stream);
    display.update(progress(), 0);
    const firstFrame = out.written();
    expect(firstFrame).toContain('days 0/1');
    expect(firstFrame).not.toMatch(/\{\w+\}/);
    display.update(progress({ daysListed: 1, found: 1 }), 400);
    display.finish(progress({ daysListed: 1, found: 1, done: true }), 800, 'done');
    const all = out.written();
    expect(all).not.toMatch(/INF|NaN|\{\w+\}/);
    expect(all.trimEnd().split('\n').at(-1)).toMatch(/^backfill done in \ds: days 1\/1, found 1/);
    expect(err.written()).toBe('');
  });
});
