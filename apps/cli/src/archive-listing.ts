import {
  type ArchiveEntry,
  type ArchiveIndex,
  type ListQuery,
  listAll,
} from '@recording-vault/archive-index';
import { formatBytes } from './progress-display.ts';

/** What `vault find` prints of one archived recording, the same in each of its outputs: its index entry. */
export type FoundRecording = ArchiveEntry;

/** Every recording of the query, newest first, read from the index a page at a time. */
export const archivedRecordings: (
  index: ArchiveIndex,
  query: Omit<ListQuery, 'pageSize' | 'from' | 'skip'>,
) => AsyncGenerator<FoundRecording> = listAll;

/** `--json`: one object a line, its date as ISO 8601. */
export function jsonLine(recording: FoundRecording): string {
  return JSON.stringify({
    recordingSid: recording.recordingSid,
    accountSid: recording.accountSid,
    callSid: recording.callSid,
    conferenceSid: recording.conferenceSid,
    dateCreated: new Date(recording.dateCreated).toISOString(),
    durationSeconds: recording.durationSeconds,
    channels: recording.channels,
    format: recording.format,
    bytes: recording.bytes,
    sha256: recording.sha256,
    encrypted: recording.encrypted,
    key: recording.key,
  });
}

/** Piped: the table's columns separated by tabs, without a header, in values a script reads as they are. */
export function tabLine(recording: FoundRecording): string {
  return [
    new Date(recording.dateCreated).toISOString(),
    recording.recordingSid,
    recording.callSid ?? recording.conferenceSid ?? '',
    recording.accountSid,
    String(recording.durationSeconds),
    String(recording.channels),
    recording.format,
    String(recording.bytes),
  ].join('\t');
}

interface Column {
  title: string;
  width: number;
  right?: boolean;
  value(recording: FoundRecording): string;
}

const sidWidth = 34;
const columns: Column[] = [
  {
    title: 'CREATED (UTC)',
    width: 19,
    value: (r) => new Date(r.dateCreated).toISOString().slice(0, 19).replace('T', ' '),
  },
  { title: 'RECORDING', width: sidWidth, value: (r) => r.recordingSid },
  { title: 'CALL', width: sidWidth, value: (r) => r.callSid ?? r.conferenceSid ?? '-' },
  { title: 'ACCOUNT', width: sidWidth, value: (r) => r.accountSid },
  { title: 'DURATION', width: 8, right: true, value: (r) => clock(r.durationSeconds) },
  { title: 'CH', width: 2, right: true, value: (r) => String(r.channels) },
  { title: 'FORMAT', width: 6, value: (r) => (r.encrypted ? `${r.format}*` : r.format) },
  { title: 'SIZE', width: 10, right: true, value: (r) => formatBytes(r.bytes) },
];

/**
 * A terminal's table, printed a row at a time as pages arrive: columns of fixed width (SIDs and dates have
 * one), the account's only when several accounts are listed. An encrypted recording's format has a `*`.
 */
export function tableFormat(showAccount: boolean): {
  header: string;
  row(recording: FoundRecording): string;
} {
  const shown = columns.filter((column) => showAccount || column.title !== 'ACCOUNT');
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const { width = 0, right = false } = shown[i] ?? {};
        return right ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return {
    header: line(shown.map((column) => column.title)),
    row: (recording) => line(shown.map((column) => column.value(recording))),
  };
}

/** `m:ss`, or `h:mm:ss` from an hour. */
export function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
