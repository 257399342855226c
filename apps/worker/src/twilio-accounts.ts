import type { TwilioSettings } from '@recording-vault/config';
import {
  createTwilioRestClient,
  type ResponseObserver,
  type TwilioAccountCredentials,
  type TwilioRestClient,
} from '@recording-vault/twilio';

export interface TwilioAccount {
  credentials: TwilioAccountCredentials;
  rest: TwilioRestClient;
}

/** One REST client per configured account, each with that account's own credentials. */
export function createTwilioAccounts(
  settings: TwilioSettings,
  onResponse?: ResponseObserver,
): ReadonlyMap<string, TwilioAccount> {
  return new Map(
    settings.accounts.map((account) => {
      const credentials: TwilioAccountCredentials = {
        accountSid: account.accountSid,
        authToken: account.authTokens[0] as string,
        apiKey: account.apiKey,
      };
      const rest = createTwilioRestClient(credentials, {
        baseUrl: settings.baseUrl,
        ...(onResponse ? { onResponse } : {}),
      });
      return [account.accountSid, { credentials, rest }];
    }),
  );
}
