import { type ScrubProblem, type ScrubReport, scrubArchive } from '@recording-vault/archive-index';
import { type DeepReadonly, storageSettings, twilioSettings } from '@recording-vault/config';
import { createStore } from '@recording-vault/storage';
import { type Output, openIndex, writeLine } from './archive-commands.ts';
import { dayBounds, type ScrubOptions } from './archive-options.ts';
import type { CliEnv } from './config.ts';
import { formatBytes } from './progress-display.ts';

/** `vault scrub`: every stored copy (or a sample) read back and checked against the index's record. */

type Settings = DeepReadonly<CliEnv>;

export async function scrub(
  env: Settings,
  options: ScrubOptions,
  io: Output,
  signal?: AbortSignal,
): Promise<number> {
  const store = createStore(storageSettings(env));
  const terminal = io.out.isTTY === true && !options.json;
  const { index, redis, close } = await openIndex(env);
  const started = Date.now();
  let found = 0;
  let report: ScrubReport;
  try {
    // Accounts no longer configured keep their recordings in the vault: the index's own list covers them.
    const accounts =
      options.accounts.length > 0
        ? options.accounts
        : [
            ...new Set([
              ...twilioSettings(env).accounts.map((a) => a.accountSid),
              ...(await redis.smembers(index.keys.accounts)).sort(),
            ]),
          ];
    report = await scrubArchive({
      index,
      store,
      accounts,
      range: options.range ? dayBounds(options.range.from, options.range.to) : undefined,
      sample: options.sample,
      concurrency: options.concurrency,
      signal,
      onProblem: async (problem) => {
        if (terminal && found === 0) await writeLine(io.out, problemTable.header);
        found++;
        await writeLine(
          io.out,
          options.json
            ? problemJson(problem)
            : terminal
              ? problemTable.row(problem)
              : problemCells(problem).join('\t'),
        );
      },
    });
  } finally {
    close();
  }
  const seconds = (Date.now() - started) / 1000;
  await writeLine(io.out, options.json ? summaryJson(report, seconds) : summaryLine(report, seconds));
  const problems = report.missing + report.corrupt + report.noSidecar + report.unreadable;
  return problems > 0 || !report.complete ? 1 : 0;
}

/** What is wrong, in words: both sides of a mismatch, or storage's reason. */
function detail(problem: ScrubProblem): string {
  switch (problem.kind) {
    case 'missing':
      return `no object at ${problem.entry.key}`;
    case 'corrupt':
      return `storage holds ${problem.stored.bytes} bytes, SHA-256 ${problem.stored.sha256}; the index records ${problem.entry.bytes} bytes, SHA-256 ${problem.entry.sha256}`;
    case 'no-sidecar':
      return `no sidecar at ${problem.entry.sidecarKey}`;
    case 'unreadable':
      return problem.reason;
  }
}

/** Problem, created (UTC), recording, account, key, detail. */
function problemCells(problem: ScrubProblem): string[] {
  const { entry } = problem;
  return [
    problem.kind,
    new Date(entry.dateCreated).toISOString(),
    entry.recordingSid,
    entry.accountSid,
    entry.key,
    detail(problem),
  ];
}

const widths = [10, 24, 34, 34];
const problemTable = {
  header: ['PROBLEM', 'CREATED (UTC)', 'RECORDING', 'ACCOUNT', 'DETAIL']
    .map((title, i) => title.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd(),
  row(problem: ScrubProblem): string {
    const [kind = '', created = '', recording = '', account = '', , what = ''] = problemCells(problem);
    return [kind, created, recording, account, what]
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  },
};

function problemJson(problem: ScrubProblem): string {
  const { entry } = problem;
  return JSON.stringify({
    type: 'problem',
    problem: problem.kind,
    recordingSid: entry.recordingSid,
    accountSid: entry.accountSid,
    dateCreated: new Date(entry.dateCreated).toISOString(),
    key: entry.key,
    sidecarKey: entry.sidecarKey,
    recorded: { bytes: entry.bytes, sha256: entry.sha256 },
    ...(problem.kind === 'corrupt' ? { stored: problem.stored } : {}),
    ...(problem.kind === 'unreadable' ? { reason: problem.reason } : {}),
  });
}

export function summaryLine(report: ScrubReport, seconds: number): string {
  const sampled = report.walked === report.checked ? '' : ` sampled from ${report.walked}`;
  const unreadable = report.unreadable > 0 ? `, ${report.unreadable} unreadable` : '';
  const interrupted = report.complete ? '' : '; interrupted: not every recording chosen was checked';
  return `checked ${report.checked} recordings${sampled} (${formatBytes(report.bytes)}) in ${seconds.toFixed(1)} s: ${report.ok} ok, ${report.missing} missing, ${report.corrupt} corrupt, ${report.noSidecar} without sidecar${unreadable}${interrupted}`;
}

function summaryJson(report: ScrubReport, seconds: number): string {
  return JSON.stringify({ type: 'summary', ...report, seconds: Number(seconds.toFixed(3)) });
}
