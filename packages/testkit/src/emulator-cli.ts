import { parseArgs } from 'node:util';
import { demoRecordingInputs, startTwilioEmulator } from './twilio-emulator/index.ts';

const USAGE = `Usage: pnpm emulator [--port N] [--media-port N] [--seed demo] [--account-sid AC…] [--auth-token T]
                     [--signed-media] [--concurrency-limit N]

Starts the Twilio Recordings API emulator on 127.0.0.1 and prints its base URL and credentials as JSON.`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'media-port': { type: 'string', default: '0' },
    seed: { type: 'string' },
    'account-sid': { type: 'string' },
    'auth-token': { type: 'string' },
    'signed-media': { type: 'boolean', default: false },
    'concurrency-limit': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  // biome-ignore lint/suspicious/noConsole: CLI output
  console.log(USAGE);
  process.exit(0);
}
if (values.seed !== undefined && values.seed !== 'demo') {
  console.error(`Unknown seed "${values.seed}": the only one is "demo".\n\n${USAGE}`);
  process.exit(2);
}

const port = Number(values.port);
const mediaPort = Number(values['media-port']);
if (!Number.isInteger(port) || !Number.isInteger(mediaPort) || port < 0 || mediaPort < 0) {
  console.error(`--port and --media-port take a port number (0: any free one).\n\n${USAGE}`);
  process.exit(2);
}

const concurrencyLimit =
  values['concurrency-limit'] === undefined ? undefined : Number(values['concurrency-limit']);
if (concurrencyLimit !== undefined && !(Number.isInteger(concurrencyLimit) && concurrencyLimit >= 1)) {
  console.error(`--concurrency-limit takes a whole number ≥ 1 (requests in flight per account).\n\n${USAGE}`);
  process.exit(2);
}

const emulator = await startTwilioEmulator({
  port,
  mediaPort,
  signedMedia: values['signed-media'],
  ...(concurrencyLimit === undefined ? {} : { concurrencyLimit }),
});
const account = emulator.addAccount({
  ...(values['account-sid'] ? { accountSid: values['account-sid'] } : {}),
  ...(values['auth-token'] ? { authToken: values['auth-token'] } : {}),
});
const recordings =
  values.seed === 'demo'
    ? demoRecordingInputs(account.accountSid, Date.now()).map((input) => emulator.addRecording(input))
    : [];

// biome-ignore lint/suspicious/noConsole: CLI output
console.log(
  JSON.stringify({
    baseUrl: emulator.baseUrl,
    mediaBaseUrl: emulator.mediaBaseUrl,
    accountSid: account.accountSid,
    authToken: account.authToken,
    apiKeys: account.apiKeys,
    recordings: recordings.map((recording) => ({
      sid: recording.sid,
      status: recording.status,
      channels: recording.channels,
      duration: recording.duration,
    })),
  }),
);

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.error(`emulator: ${signal}, shutting down`);
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
