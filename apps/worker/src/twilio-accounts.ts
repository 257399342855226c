import type { TwilioSettings } from '@recording-vault/config';
import {
  createTwilioRestClient,
  type RequestGate,
  type ResponseObserver,
  type TwilioAccountCredentials,
  type TwilioRestClient,
} from '@recording-vault/twilio';

export interface TwilioAccount {
  credentials: TwilioAccountCredentials;
  rest: TwilioRestClient;
}

/**
 * One REST client per configured account, each with that account's own credentials and API origin (its
 * region's host): an account's requests never go to another's host.
 */
export function createTwilioAccounts(
  settings: TwilioSettings,
  onResponse?: ResponseObserver,
  gateFor?: (accountSid: string) => RequestGate,
): ReadonlyMap<string, TwilioAccount> {
  return new Map(
    settings.accounts.map((account) => {
      const credentials: TwilioAccountCredentials = {
        accountSid: account.accountSid,
        authToken: account.authTokens[0] as string,
        apiKey: account.apiKey,
        apiOrigin: account.apiOrigin,
      };
      const rest = createTwilioRestClient(credentials, {
        baseUrl: account.apiOrigin,
        ...(onResponse ? { onResponse } : {}),
        gate: gateFor?.(account.accountSid),
      });
      return [account.accountSid, { credentials, rest }];
    }),
  );
}
