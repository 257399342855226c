/** How the archive page writes times, durations, sizes and money: one spelling everywhere on the page. */

/** `2026-11-24 03:00:01 UTC`: the index keeps UTC, and the day is what storage keys and searches use. */
export function formatUtc(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `1:04`, `1:02:03`: what a player shows. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `512 B`, `2.0 MiB`, `1.23 TiB`: binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

/** `12,345`: counts with thousands separators, in English whatever the server's locale. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `12,345.7` minutes from seconds: one decimal, so that short recordings still show. */
export function formatMinutes(seconds: number): string {
  return (seconds / 60).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/**
 * `$1,234.56`; amounts under a dollar keep up to four decimals (`$0.0035`), since a price of $0.0005 per
 * minute makes small totals the common case.
 */
export function formatUsd(amount: number): string {
  const digits = amount > 0 && amount < 1 ? 4 : 2;
  return `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: digits })}`;
}

/** `1 h`, `15 min`, `7 days`: a link's life in words. */
export function formatLifetime(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 24 || hours % 24 !== 0) return `${hours} h`;
  const days = hours / 24;
  return days === 1 ? '1 day' : `${days} days`;
}
