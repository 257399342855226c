import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStorageEnv, checkTwilioEnv, envSchema, storageEnv, twilioEnv } from './env-schemas.ts';
import { configProblems, parseEnv } from './parse-env.ts';
import { envExamplePlaceholders } from './placeholders.ts';

const schema = envSchema({ ...twilioEnv, ...storageEnv }, checkTwilioEnv, checkStorageEnv);
const zeroSid = `AC${'0'.repeat(32)}`;
const zeroToken = '0'.repeat(32);
const account = `AC${'a'.repeat(32)}`;
const token = 'b'.repeat(32);

const problemsOf = (env: Record<string, string>) => configProblems(schema, env);

/** .env.example as the apps would see it after `set -a; . ./.env`. */
async function envExample(): Promise<Record<string, string>> {
  const text = await readFile(new URL('../../../.env.example', import.meta.url), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('placeholders', () => {
  it('are the values .env.example ships', async () => {
    const example = await envExample();
    for (const [name, value] of Object.entries(envExamplePlaceholders)) expect(example[name]).toBe(value);
  });

  it('of .env.example are refused as they stand, by name, with what to do instead', async () => {
    const problems = problemsOf({ ...(await envExample()), S3_ENDPOINT: 'http://minio:9000' });
    expect(problems).toEqual([
      'TWILIO_ACCOUNT_SID: is a placeholder (all zeros): set your account SID from the Twilio Console',
      'TWILIO_AUTH_TOKEN: is a placeholder (all zeros): set your auth token from the Twilio Console',
      'S3_SECRET_KEY: is the placeholder from .env.example: choose a secret of your own',
    ]);
  });

  it('include all-zero SIDs and tokens wherever they are', async () => {
    expect(
      problemsOf({
        TWILIO_ACCOUNT_SID: account,
        TWILIO_AUTH_TOKEN: `${token},${zeroToken}`,
        TWILIO_API_KEY_SID: `SK${'0'.repeat(32)}`,
        TWILIO_API_KEY_SECRET: 'a-long-enough-api-key-secret',
      }),
    ).toEqual([
      'TWILIO_AUTH_TOKEN: its second token is a placeholder (all zeros): set your auth token from the Twilio Console',
      "TWILIO_API_KEY_SID: is a placeholder (all zeros): set your API key's SID, or leave it empty",
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'rv-placeholders-'));
    const path = join(dir, 'accounts.json');
    await writeFile(
      path,
      JSON.stringify([
        { accountSid: account, authToken: token },
        { accountSid: zeroSid, authToken: [token, zeroToken] },
      ]),
    );
    expect(problemsOf({ TWILIO_ACCOUNTS_FILE: path })).toEqual([
      "TWILIO_ACCOUNTS_FILE: holds placeholders (all zeros) at [1].accountSid, [1].authToken: set the accounts' real SIDs and tokens",
    ]);
  });

  it('are accepted when the caller allows them explicitly (the tests)', async () => {
    const env = parseEnv(
      schema,
      { ...(await envExample()), S3_ENDPOINT: 'http://minio:9000' },
      { allowPlaceholders: true },
    );
    expect(env.TWILIO_ACCOUNT_SID).toBe(zeroSid);
    expect(env.S3_SECRET_KEY).toBe(envExamplePlaceholders.S3_SECRET_KEY);
  });

  it('are only those: any other well-formed value is taken', () => {
    expect(
      problemsOf({
        TWILIO_ACCOUNT_SID: `AC${'0'.repeat(31)}1`,
        TWILIO_AUTH_TOKEN: `${'0'.repeat(31)}1`,
        S3_ENDPOINT: 'http://minio:9000',
        S3_ACCESS_KEY: 'vault-minio',
        S3_SECRET_KEY: 'change-me',
      }),
    ).toEqual([]);
  });
});
