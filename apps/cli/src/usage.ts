/** What `vault --help` and `vault <command> --help` print: read without any configuration. */

export const commandNames = ['backfill', 'status'] as const;
export type CommandName = (typeof commandNames)[number];

export function isCommandName(value: string | undefined): value is CommandName {
  return (commandNames as readonly string[]).includes(value ?? '');
}

const settings = `settings, from the environment, the same as the workers':
  REDIS_URL             the vault's Redis (default redis://127.0.0.1:6379)
  QUEUE_PREFIX          its queue prefix (default rv)
  TWILIO_ACCOUNT_SID    the Twilio account, with TWILIO_AUTH_TOKEN (and TWILIO_API_KEY_SID and
                        TWILIO_API_KEY_SECRET to call the API with a key)
  TWILIO_ACCOUNTS_FILE  more accounts, from a JSON or YAML file
  TWILIO_API_BASE_URL   Twilio's API (default https://api.twilio.com)
  RECORDING_FORMAT      wav or mp3, what the workers store: --dry-run estimates sizes in it (default wav)`;

const exitCodes = `exit codes:
  0  done, nothing failed
  1  something failed: a day not listed, a recording not archived, Redis or Twilio unreachable, a bad setting
  2  the command line is wrong (an unknown command or option, a malformed date)`;

export const generalUsage = `usage:
  vault backfill --from YYYY-MM-DD --to YYYY-MM-DD [--account AC…]… [--dry-run] [--price-per-minute 0.0005]
  vault status [--json]
  vault help [backfill | status]`;

const generalHelp = `vault: archive what Twilio already holds, and see where the vault stands.

${generalUsage}

commands:
  backfill  list a range of days at Twilio and archive every completed recording found (the workers do it)
  status    per account: archived, skipped, pending and failed, with the reasons

\`vault <command> --help\` describes a command.

${settings}

${exitCodes}`;

export const backfillUsage =
  'usage: vault backfill --from YYYY-MM-DD --to YYYY-MM-DD [--account AC…]… [--dry-run] [--price-per-minute 0.0005]';

const backfillHelp = `${backfillUsage}

Adds one listing job per account and UTC day to the backfill queue. A worker lists the day at Twilio and
adds an archive job for every completed recording; a recording already archived is not archived twice.
The command follows the run until every day is listed and every archive job has settled, then prints a
summary, and the reason of every day that could not be listed. Ctrl-C stops following, not the backfill:
the workers carry on.

options:
  --from DAY                first UTC day, YYYY-MM-DD, or today or yesterday
  --to DAY                  last UTC day, included
  --account AC…             only this account (repeat for more); every configured account by default
  --dry-run                 list and report what a backfill would archive and what keeping it at Twilio
                            costs; enqueue nothing
  --price-per-minute 0.0005 Twilio's storage price, US dollars per minute and month, for --dry-run
  -h, --help                this help

examples:
  vault backfill --from today --to today --dry-run
  vault backfill --from 2025-01-01 --to 2025-12-31

${settings}

${exitCodes}`;

export const statusUsage = 'usage: vault status [--json]';

const statusHelp = `${statusUsage}

Prints, per account: recordings archived and bytes stored, skipped (absent or failed at Twilio), archive
jobs pending and failed, backfill days that could not be listed, the reasons of those failures, and the
last reconciliation. Each recording counts once, however many times its job ran.

options:
  --json      the same, as JSON
  -h, --help  this help

${settings}

${exitCodes}`;

export function helpText(command?: CommandName): string {
  if (command === 'backfill') return backfillHelp;
  if (command === 'status') return statusHelp;
  return generalHelp;
}
