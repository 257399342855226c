import type { IndexedRecording, ListedRecording } from '@recording-vault/archive-index';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLifetime,
  formatMinutes,
  formatUsd,
  formatUtc,
} from './archive-format.ts';
import type { SearchForm } from './archive-search.ts';
import {
  type AccountTotals,
  storageCostAvoidedPerMonth,
  TWILIO_FREE_STORAGE_MINUTES,
  TWILIO_STORAGE_USD_PER_MINUTE_MONTH,
} from './archive-totals.ts';
import { type HtmlValue, html, type SafeHtml } from './html.ts';
import type { SidecarRead } from './recording-sidecar.ts';

/**
 * The archive page and a recording's page as plain functions of what they show: no requests, no Redis.
 * Every value goes through `html`, which escapes it. No script runs on these pages (the CSP allows none):
 * forms and links do the work.
 */

export const archivePath = '/archive';
export const stylesheetPath = `${archivePath}/assets/archive.css`;
export const recordingPath = (recordingSid: string) => `${archivePath}/recordings/${recordingSid}`;
export const linkPath = (recordingSid: string) => `${recordingPath(recordingSid)}/link`;

export interface ArchivePageModel {
  form: SearchForm;
  /** Accounts with archived recordings, for the account list. */
  accounts: readonly string[];
  /** Whether the search is limited to one account (its column is then left out). */
  oneAccount: boolean;
  /** What is wrong with the search, in words; the results are then not shown. */
  problems: readonly string[];
  /** Something to say above the results (a recording SID that is not archived). */
  notice?: string | undefined;
  heading: string;
  entries: readonly ListedRecording[];
  /** The next (older) page of the same search. */
  olderHref: string | undefined;
  totals: readonly AccountTotals[];
}

export function archivePage(model: ArchivePageModel): string {
  const { form } = model;
  const body = html`
    <h1>Archived recordings</h1>
    <form class="search" method="get" action="${archivePath}" role="search">
      <label>Recording or call SID
        <input type="search" name="q" value="${form.q}" placeholder="RE… or CA…" size="40" autocomplete="off" spellcheck="false">
      </label>
      <label>Account
        <select name="account">
          <option value="">all accounts</option>
          ${model.accounts.map(
            (sid) =>
              html`<option value="${sid}"${sid === form.account ? html` selected` : ''}>${sid}</option>`,
          )}
        </select>
      </label>
      <label>Created from (UTC day) <input type="date" name="from" value="${form.from}"></label>
      <label>to <input type="date" name="to" value="${form.to}"></label>
      <button type="submit">Search</button>
      <a href="${archivePath}">Clear</a>
    </form>
    ${
      model.problems.length > 0
        ? html`<div class="problems" role="alert"><p>This search cannot be run:</p><ul>${model.problems.map(
            (problem) => html`<li>${problem}</li>`,
          )}</ul></div>`
        : ''
    }
    ${model.notice ? html`<p class="notice" role="status">${model.notice}</p>` : ''}
    ${model.problems.length > 0 ? '' : results(model)}
    ${totalsSection(model.totals)}`;
  return page('Archive', body);
}

function results(model: ArchivePageModel): SafeHtml {
  // An account column unless the search is of one account.
  const several = !model.oneAccount;
  return html`
    <section aria-labelledby="results">
      <h2 id="results">${model.heading}</h2>
      ${
        model.entries.length === 0
          ? html`<p>No archived recordings match.</p>`
          : html`<table class="recordings">
        <thead><tr><th>Created (UTC)</th>${several ? html`<th>Account</th>` : ''}<th>Recording</th><th>Call</th>
          <th class="n">Duration</th><th class="n">Ch</th><th>Format</th><th class="n">Size</th></tr></thead>
        <tbody>${model.entries.map(
          (entry) => html`<tr>
          <td>${formatUtc(entry.dateCreated).replace(' UTC', '')}</td>
          ${several ? html`<td class="sid">${entry.accountSid}</td>` : ''}
          <td class="sid"><a href="${recordingPath(entry.recordingSid)}">${entry.recordingSid}</a></td>
          <td class="sid">${callCell(entry)}</td>
          <td class="n">${formatDuration(entry.durationSeconds)}</td>
          <td class="n">${entry.channels}</td>
          <td>${entry.format}${entry.encrypted ? ', encrypted' : ''}</td>
          <td class="n">${formatBytes(entry.bytes)}</td>
        </tr>`,
        )}</tbody>
      </table>`
      }
      ${model.olderHref ? html`<p><a rel="next" href="${model.olderHref}">Older recordings →</a></p>` : ''}
    </section>`;
}

function callCell(entry: IndexedRecording): HtmlValue {
  if (entry.callSid) {
    return html`<a href="${`${archivePath}?${new URLSearchParams({ q: entry.callSid })}`}">${entry.callSid}</a>`;
  }
  return entry.conferenceSid ? html`conference ${entry.conferenceSid}` : '';
}

function totalsSection(totals: readonly AccountTotals[]): SafeHtml {
  const sum = (pick: (row: AccountTotals) => number) => totals.reduce((total, row) => total + pick(row), 0);
  const estimated = totals.some((row) => row.basis.kind === 'estimate');
  const row = (
    label: HtmlValue,
    values: { recordings: number; seconds: number; bytes: number; cost: number },
  ) =>
    html`<td class="n">${formatCount(values.recordings)}</td><td class="n">${formatMinutes(values.seconds)}</td>
      <td class="n">${formatBytes(values.bytes)}</td><td class="n">${formatUsd(values.cost)}</td>${label}`;
  return html`
    <section aria-labelledby="totals">
      <h2 id="totals">Totals per account</h2>
      ${
        totals.length === 0
          ? html`<p>Nothing archived yet.</p>`
          : html`<table class="totals">
        <thead><tr><th>Account</th><th class="n">Recordings</th><th class="n">Minutes</th><th class="n">Stored</th>
          <th class="n">Twilio storage cost avoided / month</th><th></th></tr></thead>
        <tbody>${totals.map(
          (account) =>
            html`<tr data-account="${account.accountSid}"><td class="sid">${account.accountSid}</td>${row(
              account.basis.kind === 'estimate'
                ? html`<td class="note">≈ estimated from the newest ${formatCount(account.basis.sampled)}</td>`
                : html`<td></td>`,
              { ...account, cost: storageCostAvoidedPerMonth(account.seconds) },
            )}</tr>`,
        )}</tbody>
        ${
          totals.length > 1
            ? html`<tfoot><tr><th>All accounts</th>${row(html`<td></td>`, {
                recordings: sum((account) => account.recordings),
                seconds: sum((account) => account.seconds),
                bytes: sum((account) => account.bytes),
                cost: sum((account) => storageCostAvoidedPerMonth(account.seconds)),
              })}</tr></tfoot>`
            : ''
        }
      </table>`
      }
      <p class="note">Twilio charges ${formatUsd(TWILIO_STORAGE_USD_PER_MINUTE_MONTH)} per minute of recording
        stored per month, beyond the first ${formatCount(TWILIO_FREE_STORAGE_MINUTES)} minutes of each account,
        which are free. The cost avoided is what Twilio would charge each month to keep what this archive holds:
        each account's minutes (the sum of its recordings' durations) beyond ${formatCount(TWILIO_FREE_STORAGE_MINUTES)},
        at that price, as if nothing else were stored at Twilio.${
          estimated
            ? ' Accounts with many recordings show minutes and sizes extrapolated from their newest recordings (≈).'
            : ''
        }</p>
    </section>`;
}

export interface IssuedLink {
  url: string;
  expiresAt: Date;
  lifetimeMs: number;
}

export interface RecordingPageModel {
  entry: IndexedRecording;
  /** The sidecar's facts, or why they are missing; undefined when the dashboard has no storage to read. */
  sidecar: SidecarRead | undefined;
  /** The player's source, or why there is no player. */
  player: { url: string; expiresAt: Date } | { unavailable: string };
  /** The link form's choices, or why no link can be issued here. */
  links: { lifetimes: readonly string[]; selected: string } | { unavailable: string };
  /** A link just issued by the button. */
  issued?: IssuedLink | undefined;
}

export function recordingPage(model: RecordingPageModel): string {
  const { entry, sidecar } = model;
  const facts = sidecar?.ok ? sidecar.facts : undefined;
  const sidecarNote = sidecar && !sidecar.ok ? `not read: ${sidecar.reason}` : 'not in its sidecar';
  const rows: Array<[string, HtmlValue]> = [
    ['Recording', html`<span class="sid">${entry.recordingSid}</span>`],
    ['Account', html`<span class="sid">${entry.accountSid}</span>`],
    ['Call', entry.callSid ? callCell(entry) : '—'],
    ...(entry.conferenceSid
      ? [['Conference', html`<span class="sid">${entry.conferenceSid}</span>`] as [string, HtmlValue]]
      : []),
    ['Created', formatUtc(entry.dateCreated)],
    ['Duration', `${formatDuration(entry.durationSeconds)} (${formatCount(entry.durationSeconds)} s)`],
    ['Channels', entry.channels === 2 ? '2 (dual-channel)' : '1 (mono)'],
    ['Format', entry.format],
    ['Size', `${formatBytes(entry.bytes)} (${formatCount(entry.bytes)} bytes)`],
    ['SHA-256', html`<code>${entry.sha256}</code>`],
    [
      'Encryption',
      entry.encrypted
        ? `encrypted (Twilio Voice Recording Encryption): stored as ciphertext${
            facts?.encryptionKeySid ? `, for public key ${facts.encryptionKeySid}` : ''
          }; the keys are in its sidecar (encryption_details)`
        : 'none',
    ],
    [
      'Source',
      sidecar === undefined ? 'unknown (the dashboard reads no storage)' : (facts?.source ?? sidecarNote),
    ],
    ...(facts?.archivedAt
      ? [
          ['Archived', `${facts.archivedAt}${facts.origin ? ` (${facts.origin})` : ''}`] as [
            string,
            HtmlValue,
          ],
        ]
      : []),
    ['Storage key', html`<code>${entry.key}</code>`],
  ];
  const body = html`
    <p><a href="${archivePath}">← Archive</a></p>
    <h1>Recording <span class="sid">${entry.recordingSid}</span></h1>
    <dl class="metadata">${rows.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>
    <section aria-labelledby="listen">
      <h2 id="listen">Listen</h2>
      ${
        'url' in model.player
          ? html`<audio id="player" controls preload="metadata" src="${model.player.url}"></audio>
        <p class="note">Played from the recordings API through a signed link that works until
          ${formatUtc(model.player.expiresAt.getTime())}; reload the page for a new one.</p>`
          : html`<p class="notice">${model.player.unavailable}</p>`
      }
    </section>
    <section aria-labelledby="share">
      <h2 id="share">Signed link</h2>
      <p class="note">A link that plays this recording without credentials until it expires, for a CRM, a
        ticket or a chat. Anyone who holds it can play the recording until then.</p>
      ${
        'lifetimes' in model.links
          ? linkForm(entry.recordingSid, model.links.lifetimes, model.links.selected)
          : html`<p class="notice">${model.links.unavailable}</p>`
      }
      ${
        model.issued
          ? html`<div class="issued" role="status">
        <p>Signed link, valid for ${formatLifetime(model.issued.lifetimeMs)}, until
          <time datetime="${model.issued.expiresAt.toISOString()}">${formatUtc(model.issued.expiresAt.getTime())}</time>:</p>
        <p><a id="signed-link" href="${model.issued.url}">${model.issued.url}</a></p>
      </div>`
          : ''
      }
    </section>`;
  return page(`Recording ${entry.recordingSid}`, body);
}

function linkForm(recordingSid: string, lifetimes: readonly string[], selected: string): SafeHtml {
  return html`<form method="post" action="${linkPath(recordingSid)}" class="link">
        <label>Valid for
          <select name="ttl">${lifetimes.map(
            (ttl) => html`<option value="${ttl}"${ttl === selected ? html` selected` : ''}>${ttl}</option>`,
          )}</select>
        </label>
        <button type="submit">Issue signed link</button>
      </form>`;
}

/** A page with a message alone: a SID that is no recording's, a recording the index does not have. */
export function messagePage(title: string, message: string): string {
  return page(title, html`<p><a href="${archivePath}">← Archive</a></p><h1>${title}</h1><p>${message}</p>`);
}

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Recording Vault</title>
<link rel="stylesheet" href="${stylesheetPath}">
</head>
<body>
<header><strong>Recording Vault</strong> <nav><a href="${archivePath}">Archive</a> <a href="/">Queues</a></nav></header>
<main>${body}</main>
</body>
</html>
`.toString();
}

/** The pages' only stylesheet, served from the dashboard itself (the CSP allows no inline style). */
export const archiveStylesheet = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { display: flex; gap: 2em; align-items: baseline; padding: 0.8em 1.5em; background: #1d2330; color: #fff; }
header a { color: #cfe0ff; margin-right: 1em; }
main { padding: 1em 1.5em 3em; max-width: 1200px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.sid, code { font-family: ui-monospace, monospace; font-size: 0.92em; }
form.search { display: flex; flex-wrap: wrap; gap: 0.8em 1.2em; align-items: end; background: #fff;
  padding: 0.8em 1em; border: 1px solid #d8dce3; border-radius: 6px; }
form.search label { display: flex; flex-direction: column; gap: 0.2em; font-size: 0.9em; color: #4a5263; }
input, select, button { font: inherit; padding: 0.3em 0.5em; }
button { cursor: pointer; }
table { border-collapse: collapse; background: #fff; border: 1px solid #d8dce3; }
th, td { padding: 0.35em 0.7em; border-bottom: 1px solid #eceef2; text-align: left; white-space: nowrap; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; }
tfoot th, tfoot td { font-weight: 600; border-top: 2px solid #d8dce3; }
.note { color: #5b6374; font-size: 0.9em; max-width: 60em; }
.notice { padding: 0.6em 0.9em; background: #fff8e1; border: 1px solid #f0d98c; border-radius: 4px; max-width: 60em; }
.problems { padding: 0.2em 0.9em; background: #fdecea; border: 1px solid #f3b8b1; border-radius: 4px; margin-top: 1em; }
dl.metadata { display: grid; grid-template-columns: max-content 1fr; gap: 0.3em 1.2em; background: #fff;
  padding: 0.8em 1em; border: 1px solid #d8dce3; border-radius: 6px; }
dl.metadata dt { color: #5b6374; } dl.metadata dd { margin: 0; overflow-wrap: anywhere; }
audio { width: 100%; max-width: 40em; }
.issued a { overflow-wrap: anywhere; font-family: ui-monospace, monospace; font-size: 0.9em; }
`;
