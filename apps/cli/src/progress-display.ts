import { SingleBar } from 'cli-progress';
import type { BackfillProgress } from './backfill-run.ts';

export interface ProgressDisplay {
  update(progress: BackfillProgress, elapsedMs: number): void;
  stop(): void;
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

function figures(progress: BackfillProgress, elapsedMs: number) {
  const rate = progress.archived / Math.max(elapsedMs / 1000, 0.001);
  const remaining = Math.max(progress.enqueued - progress.archived - progress.failed, progress.pending);
  const eta = progress.done ? 0 : rate > 0 ? Math.round(remaining / rate) : undefined;
  return {
    days: `${progress.daysListed}/${progress.daysTotal}${progress.daysFailed ? ` (${progress.daysFailed} failed)` : ''}`,
    found: progress.found,
    enqueued: progress.enqueued,
    archived: progress.archived,
    failed: progress.failed,
    bytes: formatBytes(progress.bytes),
    rate: `${rate.toFixed(1)}/s`,
    eta: eta === undefined ? '?' : `${eta}s`,
  };
}

/** A progress bar on a terminal; a plain line every `intervalMs` otherwise (logs, CI, pipes). */
export function createProgressDisplay(
  out: NodeJS.WriteStream | NodeJS.WritableStream,
  intervalMs = 5_000,
): ProgressDisplay {
  if ('isTTY' in out && out.isTTY) {
    const bar = new SingleBar({
      stream: out as NodeJS.WriteStream,
      format:
        'backfill [{bar}] {value}/{total} archived | days {days} | found {found} | failed {failed} | {bytes} | {rate} | ETA {eta}',
      hideCursor: true,
    });
    bar.start(1, 0, {});
    return {
      update(progress, elapsedMs) {
        bar.setTotal(Math.max(progress.enqueued, 1));
        bar.update(progress.archived + progress.failed, figures(progress, elapsedMs));
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  return {
    update(progress, elapsedMs) {
      if (!progress.done && Date.now() - lastLine < intervalMs) return;
      lastLine = Date.now();
      const f = figures(progress, elapsedMs);
      out.write(
        `backfill: days ${f.days}, found ${f.found}, enqueued ${f.enqueued}, archived ${f.archived}, failed ${f.failed}, ${f.bytes}, ${f.rate}, ETA ${f.eta}\n`,
      );
    },
    stop() {},
  };
}
