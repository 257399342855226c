#!/usr/bin/env node
import {
  type DeepReadonly,
  loadConfigOrExit,
  redisSettings,
  retryPolicy,
  twilioSettings,
} from '@recording-vault/config';
import {
  type AccountCheck,
  accountsJsonLines,
  checkAccount,
  checkText,
  formatAccounts,
  listing,
  restClientFor,
} from './accounts.ts';
import { find, get, link, type Output, reindex } from './archive-commands.ts';
import { type BackfillOptions, selectAccounts } from './backfill-options.ts';
import { startBackfill } from './backfill-run.ts';
import { CliError } from './cli-error.ts';
import { parseCommandLine } from './command-line.ts';
import { type CliEnv, cliEnv } from './config.ts';
import { dryRun } from './dry-run.ts';
import { createProgressDisplay, formatBytes } from './progress-display.ts';
import { checkTwilio, connectRedis } from './reachability.ts';
import { scrub } from './scrub-command.ts';
import { formatStatus, readStatus } from './status.ts';

type Settings = DeepReadonly<CliEnv>;

const out = process.stdout;
const io: Output = { out, err: process.stderr };

/** Exit codes: 0 done, 1 something failed (or a setting or a server), 2 a wrong command line. */
async function main(argv: string[]): Promise<number> {
  const line = parseCommandLine(argv);
  if (line.command === 'help') {
    out.write(`${line.text}\n`);
    return 0;
  }
  const env = loadConfigOrExit(cliEnv, process.env, 'vault');
  if (line.command === 'status') return await status(env, line.json);
  if (line.command === 'accounts') return await accounts(env, line.json, line.check);
  if (line.command === 'link') return await link(env, line.options, io);
  if (line.command === 'get') {
    // Ctrl-C stops the copy and removes what it wrote so far.
    const interrupted = new AbortController();
    process.once('SIGINT', () => interrupted.abort());
    return await get(env, line.options, io, interrupted.signal);
  }
  if (line.command === 'find') return await find(env, line.options, io);
  if (line.command === 'reindex') return await reindex(env, line.options, io);
  if (line.command === 'scrub') {
    // Ctrl-C stops the reads under way and prints what was checked so far.
    const interrupted = new AbortController();
    process.once('SIGINT', () => interrupted.abort());
    return await scrub(env, line.options, io, interrupted.signal);
  }
  return await backfill(env, line.options);
}

async function accounts(env: Settings, json: boolean, check: boolean): Promise<number> {
  const configured = twilioSettings(env).accounts;
  const listed = configured.map(listing);
  const checks: AccountCheck[] | undefined = check
    ? await Promise.all(configured.map((account) => checkAccount(restClientFor(account))))
    : undefined;
  out.write(
    `${json ? accountsJsonLines(listed, checks) : formatAccounts(listed, checks, out.isTTY === true)}\n`,
  );
  const failed = (checks ?? []).flatMap((c, i) =>
    c.result === 'ok' ? [] : [`${listed[i]?.sid} ${checkText(c)}`],
  );
  if (failed.length > 0) {
    process.stderr.write(
      `vault: ${failed.length} of ${listed.length} accounts failed the check: ${failed.join('; ')}\n`,
    );
    return 1;
  }
  return 0;
}

async function status(env: Settings, json: boolean): Promise<number> {
  const redisConfig = redisSettings(env);
  const configured = twilioSettings(env).accounts.map((a) => a.accountSid);
  const redis = await connectRedis(redisConfig);
  try {
    const statuses = await readStatus(redis, redisConfig.prefix, configured);
    out.write(json ? `${JSON.stringify(statuses, null, 2)}\n` : `${formatStatus(statuses)}\n`);
  } finally {
    redis.disconnect();
  }
  return 0;
}

async function backfill(env: Settings, options: BackfillOptions): Promise<number> {
  const redisConfig = redisSettings(env);
  const twilio = twilioSettings(env);
  const selected = selectAccounts(options.accounts, twilio.accounts);
  const targets = selected.map((account) => ({
    client: restClientFor(account),
    apiOrigin: account.apiOrigin,
  }));
  const clients = targets.map((t) => t.client);

  if (options.dryRun) {
    await checkTwilio(targets);
    // Summed in whole seconds: minutes are worked out once, so that the total is what its parts add up to.
    let total = { completed: 0, seconds: 0, bytes: 0 };
    for (const client of clients) {
      const report = await dryRun(client, options, env.RECORDING_FORMAT, options.pricePerMinute);
      out.write(
        `${report.accountSid}: ${report.listed} recordings listed, ${report.completed} to archive, ${report.minutes.toFixed(1)} minutes, about ${formatBytes(report.estimatedBytes)} as ${env.RECORDING_FORMAT}, $${report.monthlyCost.toFixed(2)} a month at Twilio\n`,
      );
      total = {
        completed: total.completed + report.completed,
        seconds: total.seconds + report.seconds,
        bytes: total.bytes + report.estimatedBytes,
      };
    }
    const minutes = total.seconds / 60;
    out.write(
      `dry run, nothing enqueued: ${total.completed} recordings, ${minutes.toFixed(1)} minutes, about ${formatBytes(total.bytes)}, $${(minutes * options.pricePerMinute).toFixed(2)} a month at $${options.pricePerMinute} per minute (before Twilio's free allowance)\n`,
    );
    return 0;
  }

  const redis = await connectRedis(redisConfig);
  try {
    await checkTwilio(targets);
    const run = await startBackfill(
      redis,
      redisConfig.prefix,
      selected.map((a) => a.accountSid),
      options,
      retryPolicy(env),
    );
    out.write(
      `backfill ${run.runId}: listing ${options.from} to ${options.to} for ${selected.length} account(s); the workers do the work\n`,
    );
    const display = createProgressDisplay(
      out,
      process.stderr,
      Number(process.env.VAULT_PROGRESS_INTERVAL_MS ?? 5_000),
    );
    const started = Date.now();
    let interrupted = false;
    process.once('SIGINT', () => {
      interrupted = true;
    });
    let warnedNoWorker = false;
    let progress = await run.progress();
    while (!progress.done && !interrupted) {
      display.update(progress, Date.now() - started);
      if (progress.workers === 0 && !warnedNoWorker && Date.now() - started > 10_000) {
        warnedNoWorker = true;
        process.stderr.write(
          'vault: no worker is running; start one (pnpm start:worker) for the backfill to progress\n',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      progress = await run.progress();
    }
    display.finish(progress, Date.now() - started, interrupted ? 'interrupted' : 'done');
    if (interrupted)
      out.write(`backfill ${run.runId} goes on in the workers (vault status shows where it is)\n`);
    await run.close();
    return progress.daysFailed > 0 || progress.failed > 0 ? 1 : 0;
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`vault: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    process.stderr.write(`vault: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
