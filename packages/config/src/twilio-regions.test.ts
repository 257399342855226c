import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTwilioEnv, envSchema, twilioEnv, twilioSettings } from './env-schemas.ts';
import { configProblems, parseEnv } from './parse-env.ts';
import { regionalApiOrigin } from './twilio-regions.ts';

const schema = envSchema({ ...twilioEnv }, checkTwilioEnv);
const sidA = `AC${'a1'.repeat(16)}`;
const sidB = `AC${'b2'.repeat(16)}`;
const sidC = `AC${'c3'.repeat(16)}`;
const token = 'd4'.repeat(16);

describe('regional API origins', () => {
  it.each([
    ['us1', undefined, 'https://api.twilio.com'],
    ['ie1', undefined, 'https://api.dublin.ie1.twilio.com'],
    ['au1', undefined, 'https://api.sydney.au1.twilio.com'],
    ['ie1', 'frankfurt', 'https://api.frankfurt.ie1.twilio.com'],
    ['us1', 'ashburn', 'https://api.ashburn.us1.twilio.com'],
  ] as const)('%s through %s: %s', (region, edge, origin) => {
    expect(regionalApiOrigin(region, edge)).toBe(origin);
  });
});

describe('accounts per region', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rv-regions-'));
    file = join(dir, 'accounts.yaml');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives every account its own origin: its region, its edge, or its own override', async () => {
    await writeFile(
      file,
      JSON.stringify([
        { accountSid: sidB, authToken: token, region: 'ie1' },
        { accountSid: sidC, authToken: token, region: 'au1', apiBaseUrl: 'http://127.0.0.1:4010/' },
      ]),
    );
    const env = parseEnv(schema, {
      TWILIO_ACCOUNT_SID: sidA,
      TWILIO_AUTH_TOKEN: token,
      TWILIO_ACCOUNT_REGION: 'au1',
      TWILIO_ACCOUNT_EDGE: 'tokyo',
      TWILIO_ACCOUNTS_FILE: file,
    });
    expect(twilioSettings(env).accounts.map((a) => [a.accountSid, a.region, a.apiOrigin])).toEqual([
      [sidA, 'au1', 'https://api.tokyo.au1.twilio.com'],
      [sidB, 'ie1', 'https://api.dublin.ie1.twilio.com'],
      [sidC, 'au1', 'http://127.0.0.1:4010'],
    ]);
    // TWILIO_API_BASE_URL overrides every origin but an account's own.
    const emulated = parseEnv(schema, {
      TWILIO_ACCOUNT_SID: sidA,
      TWILIO_AUTH_TOKEN: token,
      TWILIO_ACCOUNTS_FILE: file,
      TWILIO_API_BASE_URL: 'http://127.0.0.1:9999',
    });
    expect(twilioSettings(emulated).accounts.map((a) => a.apiOrigin)).toEqual([
      'http://127.0.0.1:9999',
      'http://127.0.0.1:9999',
      'http://127.0.0.1:4010',
    ]);
  });

  it("refuses a bad region or edge, naming the account's SID and the field", async () => {
    await writeFile(
      file,
      JSON.stringify([
        { accountSid: sidB, authToken: token, region: 'eu1' },
        { accountSid: sidC, authToken: token, region: 'ie1', edge: 'Dublin!' },
      ]),
    );
    const problems = configProblems(schema, {
      TWILIO_ACCOUNT_SID: sidA,
      TWILIO_AUTH_TOKEN: token,
      TWILIO_ACCOUNT_REGION: 'ie2',
      TWILIO_ACCOUNTS_FILE: file,
    });
    expect(problems).toContainEqual(
      expect.stringMatching(/^TWILIO_ACCOUNT_REGION: must be a Twilio region: us1, ie1, au1/),
    );
    expect(problems).toContainEqual(
      expect.stringContaining(`[0].region (account ${sidB}): must be a Twilio region`),
    );
    expect(problems).toContainEqual(
      expect.stringContaining(`[1].edge (account ${sidC}): must be a Twilio edge name`),
    );
  });
});
