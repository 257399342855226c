/** What `vault --help` and `vault <command> --help` print: read without any configuration. */

export const commandNames = [
  'backfill',
  'status',
  'accounts',
  'link',
  'get',
  'find',
  'reindex',
  'scrub',
] as const;
export type CommandName = (typeof commandNames)[number];

export function isCommandName(value: string | undefined): value is CommandName {
  return (commandNames as readonly string[]).includes(value ?? '');
}

const settings = `settings, from the environment, the same as the workers':
  REDIS_URL             the vault's Redis (default redis://127.0.0.1:6379)
  REDIS_CLUSTER_NODES   instead, some nodes of a Redis Cluster (host:port,host:port); or REDIS_SENTINELS
                        and REDIS_SENTINEL_NAME for a primary watched by sentinels; with either,
                        REDIS_USERNAME, REDIS_PASSWORD and REDIS_TLS as the servers need
  QUEUE_PREFIX          its queue prefix (default rv; a hash tag such as {rv} on a cluster)
  TWILIO_ACCOUNT_SID    the Twilio account, with TWILIO_AUTH_TOKEN (and TWILIO_API_KEY_SID and
                        TWILIO_API_KEY_SECRET to call the API with a key)
  TWILIO_ACCOUNT_REGION its region: us1, ie1 or au1 (default us1), with TWILIO_ACCOUNT_EDGE to choose
                        the edge (ie1 is reached through dublin, au1 through sydney, by default)
  TWILIO_ACCOUNTS_FILE  more accounts, from a JSON or YAML file, each with its region and edge
  TWILIO_API_BASE_URL   one API origin for every account (an emulator); unset, each account's region
                        decides (https://api.twilio.com for us1)
  RECORDING_FORMAT      wav or mp3, what the workers store: --dry-run estimates sizes in it (default wav)
  STORAGE_DIR           the folder the workers store into, which get, reindex and scrub read (default
                        ./data/recordings); with S3_ENDPOINT set, the bucket S3_BUCKET (default
                        recordings) with S3_ACCESS_KEY, S3_SECRET_KEY and S3_REGION (default us-east-1)
  RECORDINGS_API_PUBLIC_URL
                        where the recordings API is reached: the links of vault link start there
  RECORDINGS_LINK_SECRET
                        the recordings API's link secret: vault link signs its links with it`;

const exitCodes = `exit codes:
  0  done, nothing failed
  1  something failed: a day not listed, a recording not archived, Redis, Twilio or storage unreachable, an
     account that failed its check, a recording not in the archive, a copy that does not match its record,
     a sidecar a rebuild could not index, a stored copy the scrub found missing, corrupt, unreadable or
     without its sidecar, a bad setting
  2  the command line is wrong (an unknown command or option, a malformed date or SID)`;

export const generalUsage = `usage:
  vault backfill --from YYYY-MM-DD --to YYYY-MM-DD [--account AC…]… [--dry-run] [--price-per-minute 0.0005]
  vault status [--json]
  vault accounts [--check] [--json]
  vault link RE… [--ttl 60m] [--format wav|mp3]
  vault get RE… [--out FILE]
  vault find --call CA… | --from YYYY-MM-DD --to YYYY-MM-DD [--account AC…]… [--json]
  vault reindex [--account AC…]…
  vault scrub [--from YYYY-MM-DD --to YYYY-MM-DD] [--sample N] [--account AC…]… [--json] [--concurrency 4]
  vault help [backfill | status | accounts | link | get | find | reindex | scrub]`;

const generalHelp = `vault: archive what Twilio already holds, see where the vault stands, and get
archived recordings back.

${generalUsage}

commands:
  backfill  list a range of days at Twilio and archive every completed recording found (the workers do it)
  status    per account: archived, skipped, pending and failed, with the reasons
  accounts  the configured accounts, their regions and API origins; --check signs in to each
  link      a URL that plays one archived recording without credentials, until it expires
  get       copy one archived recording into a file, checked against its recorded size and SHA-256
  find      the archived recordings of a call, or of a range of days
  reindex   rebuild the archive index from the sidecars in storage
  scrub     read stored copies back and check each against its recorded size and SHA-256

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

export const linkUsage = 'usage: vault link RE… [--ttl 60m] [--format wav|mp3]';

const linkHelp = `${linkUsage}

Prints a URL that plays one archived recording without credentials until it expires, from any player,
browser or tool: a link on the recordings API (RECORDINGS_API_PUBLIC_URL), signed with
RECORDINGS_LINK_SECRET as the API checks it. The recording must be in the archive index, which knows its
account and the format it is stored in. The URL is the last line printed: \`vault link RE… | tail -n 1\`.
Anyone holding the link can play the recording until it expires: give it the shortest life that will do.

options:
  --ttl DURATION    how long the link plays: 90s, 15m, 1h, … up to 7d (default 60m)
  --format wav|mp3  the format the link must play; refused unless it is the one stored, since the archive
                    serves the bytes it stored
  -h, --help        this help

examples:
  vault link RE0123456789abcdef0123456789abcdef
  vault link RE0123456789abcdef0123456789abcdef --ttl 15m

${settings}

${exitCodes}`;

export const getUsage = 'usage: vault get RE… [--out FILE]';

const getHelp = `${getUsage}

Looks the recording up in the archive index and copies its stored bytes from storage into FILE. The bytes
go to a temporary file beside FILE while their size and SHA-256 are measured; FILE appears (or is
replaced) only when both equal the archive's record of the recording. On a mismatch nothing is left
behind, and the exit code is 1. An encrypted recording is written as stored: ciphertext, whose keys are in
its sidecar (encryption_details).

options:
  --out FILE  where to write (default <RecordingSid>.<format> in the current folder)
  -h, --help  this help

examples:
  vault get RE0123456789abcdef0123456789abcdef
  vault get RE0123456789abcdef0123456789abcdef --out /tmp/call.wav

${settings}

${exitCodes}`;

export const findUsage =
  'usage: vault find --call CA… | --from YYYY-MM-DD --to YYYY-MM-DD [--account AC…]… [--json]';

const findHelp = `${findUsage}

Lists archived recordings from the archive index, account by account, newest first: those of one call, or
those created on a range of UTC days. On a terminal the lines form a table: created, recording, call (or
conference), account (when several accounts are listed), duration, channels, format (* when encrypted) and
size. Piped, the same columns, the account always, separated by tabs, without a header, in raw values
(ISO 8601 time, seconds, bytes).

options:
  --call CA…     the recordings of this call
  --from DAY     first UTC day, YYYY-MM-DD, or today or yesterday
  --to DAY       last UTC day, included
  --account AC…  only this account (repeat for more); every configured account by default
  --json         one JSON object a line: recordingSid, accountSid, callSid, conferenceSid, dateCreated,
                 durationSeconds, channels, format, bytes, sha256, encrypted, key
  -h, --help     this help

examples:
  vault find --call CA0123456789abcdef0123456789abcdef
  vault find --from 2026-11-01 --to 2026-11-30 --json

${settings}

${exitCodes}`;

export const reindexUsage = 'usage: vault reindex [--account AC…]…';

const reindexHelp = `${reindexUsage}

Rebuilds the archive index from storage, its source of truth. Every sidecar (the <key>.json the worker
writes beside each recording) is read and its entry written again; then entries whose recording has no
sidecar left are removed. Workers and the recordings API may run meanwhile. Prints the entries written and
removed and each sidecar that could not be indexed; the exit code is 1 when there was one. While a sidecar
cannot be read at all (storage failing), no entry is removed.

options:
  --account AC…  only this account's recordings (repeat for more); all of storage by default
  -h, --help     this help

${settings}

${exitCodes}`;

export const scrubUsage =
  'usage: vault scrub [--from YYYY-MM-DD --to YYYY-MM-DD] [--sample N] [--account AC…]… [--json] [--concurrency 4]';

const scrubHelp = `${scrubUsage}

Proves the archive still holds what it recorded: walks the archive index, account by account, reads each
recording's stored copy back whole, hashes it, and compares its size and SHA-256 with the index's record,
then looks for its sidecar. Since the vault deletes what it archived at Twilio, this is the proof that the
only copy is still whole. Prints one line per problem, and a summary:
  missing      no object at the recorded key
  corrupt      an object of another size or SHA-256 than recorded (both are printed)
  no-sidecar   no sidecar (<key>.json) beside it: a rebuild of the index (vault reindex) would lose it
  unreadable   storage failed otherwise (denied, unavailable), with its reason: not proven either way
On a terminal the problems form a table; piped, the same columns separated by tabs, without a header. The
summary is the last line. The exit code is 1 when there was any problem (or Ctrl-C stopped the scrub).

options:
  --from DAY         first UTC day of the recordings' creation, YYYY-MM-DD, or today or yesterday
  --to DAY           last UTC day, included; both or neither (every recording)
  --sample N         check N recordings chosen at random (each equally likely) among those walked
  --account AC…      only this account (repeat for more); by default every account configured or in the
                     index
  --json             one JSON object a line per problem (type "problem"), then the summary (type "summary")
  --concurrency N    copies read at once, 1 to 64 (default 4)
  -h, --help         this help

examples:
  vault scrub
  vault scrub --sample 100
  vault scrub --from 2026-11-01 --to 2026-11-30 --json

${settings}

${exitCodes}`;

const helps: Record<CommandName, string> = {
  scrub: scrubHelp,
  backfill: backfillHelp,
  status: statusHelp,
  accounts: accountsHelp,
  link: linkHelp,
  get: getHelp,
  find: findHelp,
  reindex: reindexHelp,
};

export function helpText(command?: CommandName): string {
  return command === undefined ? generalHelp : helps[command];
}
