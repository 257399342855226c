/** What `vault --help` and `vault <command> --help` print: read without any configuration. */

export const commandNames = ['backfill', 'status', 'accounts'] as const;
export type CommandName = (typeof commandNames)[number];

export function isCommandName(value: string | undefined): value is CommandName {
  return (commandNames as readonly string[]).includes(value ?? '');
}

const settings = `settings, from the environment, the same as the workers':
  REDIS_URL             the vault's Redis (default redis://127.0.0.1:6379)
  QUEUE_PREFIX          its queue prefix (default rv)
  TWILIO_ACCOUNT_SID    the Twilio account, with TWILIO_AUTH_TOKEN (and TWILIO_API_KEY_SID and
                        TWILIO_API_KEY_SECRET to call the API with a key)
  TWILIO_ACCOUNT_REGION its region: us1, ie1 or au1 (default us1), with TWILIO_ACCOUNT_EDGE to choose
                        the edge (ie1 is reached through dublin, au1 through sydney, by default)
  TWILIO_ACCOUNTS_FILE  more accounts, from a JSON or YAML file, each with its region and edge
  TWILIO_API_BASE_URL   one API origin for every account (an emulator); unset, each account's region
                        decides (https://api.twilio.com for us1)
  RECORDING_FORMAT      wav or mp3, what the workers store: --dry-run estimates sizes in it (default wav)`;

const exitCodes = `exit codes:
  0  done, nothing failed
  1  something failed: a day not listed, a recording not archived, Redis or Twilio unreachable, an account
     that failed its check, a bad setting
  2  the command line is wrong (an unknown command or option, a malformed date)`;

export const generalUsage = `usage:
  vault backfill --from YYYY-MM-DD --to YYYY-MM-DD [--account AC…]… [--dry-run] [--price-per-minute 0.0005]
  vault status [--json]
  vault accounts [--check] [--json]
  vault help [backfill | status | accounts]`;

const generalHelp = `vault: archive what Twilio already holds, and see where the vault stands.

${generalUsage}

commands:
  backfill  list a range of days at Twilio and archive every completed recording found (the workers do it)
  status    per account: archived, skipped, pending and failed, with the reasons
  accounts  the configured accounts, their regions and API origins; --check signs in to each

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

export const accountsUsage = 'usage: vault accounts [--check] [--json]';

const accountsHelp = `${accountsUsage}

Prints one line per configured account: its SID, its region, the API origin the vault calls for it, and
how it signs in (an auth token, or an API key named by its SID). Secrets are never printed. On a terminal
the lines form a table; piped, they hold the same columns separated by tabs, without a header.

options:
  --check     ask each account's API origin for one recording, all accounts at once, and say per account:
              ok, refused (with the HTTP status and Twilio error code), or unreachable (with the reason);
              exit code 1 when any account is not ok
  --json      one JSON object a line: sid, region, edge, apiOrigin, credential (auth-token or api-key),
              apiKeySid, and with --check the check's result
  -h, --help  this help

examples:
  vault accounts
  vault accounts --check

${settings}

${exitCodes}`;

export function helpText(command?: CommandName): string {
  if (command === 'backfill') return backfillHelp;
  if (command === 'status') return statusHelp;
  if (command === 'accounts') return accountsHelp;
  return generalHelp;
}
