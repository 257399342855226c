import { SingleBar } from 'cli-progress';
import type { BackfillProgress } from './backfill-run.ts';

export interface ProgressDisplay {
  update(progress: BackfillProgress, elapsedMs: number): void;
  /** Ends the display with a summary, whatever happened: the last thing a run prints. */
  finish(progress: BackfillProgress, elapsedMs: number, how: 'done' | 'interrupted'): void;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

/** Recordings of the run that have settled: archived, skipped at Twilio, or failed. */
function settled(progress: BackfillProgress): number {
  return progress.archived + progress.skipped + progress.failed;
}

/** Every figure shown, as text: finite whatever the counts (no Infinity, no NaN). */
function figures(progress: BackfillProgress, elapsedMs: number) {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? settled(progress) / seconds : 0;
  const remaining = Math.max(progress.enqueued - settled(progress), progress.pending, 0);
  // Unknown ('?') until something settles: while days are still listed, nothing says how much is to come.
  const eta = progress.done
    ? '0s'
    : remaining > 0 && rate > 0
      ? formatDuration((remaining / rate) * 1000)
      : '?';
  const notCompleted = Math.max(progress.found - progress.enqueued, 0);
  return {
    days: `${progress.daysListed}/${progress.daysTotal}${progress.daysFailed ? ` (${progress.daysFailed} failed)` : ''}`,
    found: String(progress.found),
    notCompleted: notCompleted > 0 ? ` (${notCompleted} not completed at Twilio: nothing to archive)` : '',
    enqueued: String(progress.enqueued),
    archived: String(progress.archived),
    skipped: String(progress.skipped),
    failed: String(progress.failed),
    bytes: formatBytes(progress.bytes),
    rate: `${rate.toFixed(1)}/s`,
    eta,
  };
}

/**
 * The end of a run: one summary line for stdout, and a line per failure (each day not listed, each cause
 * of failed archive jobs) for stderr.
 */
export function backfillSummary(
  progress: BackfillProgress,
  elapsedMs: number,
  how: 'done' | 'interrupted',
): { summary: string; failures: string[] } {
  const f = figures(progress, elapsedMs);
  const figuresText = `days ${f.days}, found ${f.found}${f.notCompleted}, enqueued ${f.enqueued}, archived ${f.archived}, skipped ${f.skipped}, failed ${f.failed}, ${f.bytes}`;
  const failing = progress.daysFailed > 0 || progress.failed > 0;
  const head =
    how === 'interrupted'
      ? `backfill: stopped watching after ${formatDuration(elapsedMs)}`
      : `backfill ${failing ? 'finished with failures' : 'done'} in ${formatDuration(elapsedMs)}`;
  const failures = [
    ...progress.failedDays.map((d) => `${d.accountSid} ${d.day} not listed: ${d.reason}`),
    ...progress.failureReasons.map(
      (r) => `${r.count} ${r.count === 1 ? 'recording' : 'recordings'} not archived: ${r.reason}`,
    ),
  ];
  if (failing)
    failures.push(
      'the same backfill, run again, lists those days again and retries the failed recordings; vault status shows what failed',
    );
  return { summary: `${head}: ${figuresText}`, failures };
}

/** A progress bar on a terminal; a plain line every `intervalMs` otherwise (logs, CI, pipes). */
export function createProgressDisplay(
  out: NodeJS.WriteStream | NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  intervalMs = 5_000,
): ProgressDisplay {
  const end = (progress: BackfillProgress, elapsedMs: number, how: 'done' | 'interrupted') => {
    const { summary, failures } = backfillSummary(progress, elapsedMs, how);
    out.write(`${summary}\n`);
    for (const line of failures) err.write(`vault: ${line}\n`);
  };
  if ('isTTY' in out && out.isTTY) return barDisplay(out as NodeJS.WriteStream, end);
  let lastLine = 0;
  return {
    update(progress, elapsedMs) {
      // The summary tells the end.
      if (progress.done || Date.now() - lastLine < intervalMs) return;
      lastLine = Date.now();
      const f = figures(progress, elapsedMs);
      out.write(
        `backfill: days ${f.days}, found ${f.found}, enqueued ${f.enqueued}, archived ${f.archived}, failed ${f.failed}, ${f.bytes}, ${f.rate}, ETA ${f.eta}\n`,
      );
    },
    finish: end,
  };
}

function barDisplay(
  out: NodeJS.WriteStream,
  end: (progress: BackfillProgress, elapsedMs: number, how: 'done' | 'interrupted') => void,
): ProgressDisplay {
  // cli-progress fills {value}, {total}, {bar}, {eta}, {duration} itself (its {eta} reads INF while
  // nothing moves): the payload's names avoid them, and the bar starts with its payload, so that no
  // frame shows a placeholder.
  const bar = new SingleBar({
    stream: out,
    format:
      'backfill [{bar}] {value}/{total} | days {days} | found {found} | archived {archived} | failed {failed} | {bytes} | {rate} | ETA {left}',
    barsize: 20,
    hideCursor: true,
  });
  let started = false;
  const show = (progress: BackfillProgress, elapsedMs: number) => {
    const f = figures(progress, elapsedMs);
    const payload = {
      days: f.days,
      found: f.found,
      archived: f.archived,
      failed: f.failed,
      bytes: f.bytes,
      rate: f.rate,
      left: f.eta,
    };
    const total = Math.max(progress.enqueued, 1);
    const value = progress.done ? total : Math.min(settled(progress), total);
    if (!started) {
      started = true;
      bar.start(total, value, payload);
      return;
    }
    bar.setTotal(total);
    bar.update(value, payload);
  };
  return {
    update: show,
    finish(progress, elapsedMs, how) {
      // Its last frame, then the summary below it (a run over before its first frame still draws one).
      show(progress, elapsedMs);
      bar.stop();
      end(progress, elapsedMs, how);
    },
  };
}
