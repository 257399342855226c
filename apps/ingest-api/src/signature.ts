import twilio from 'twilio';

export interface SignatureCheck {
  /** X-Twilio-Signature as received. */
  signature: string | undefined;
  /** The URL Twilio called: the public base URL plus the original path and query. */
  url: string;
  params: Record<string, unknown>;
  /** Every token currently accepted for the account (more than one during a rotation). */
  tokens: readonly string[];
}

/** True when one of the tokens produced the signature; the SDK compares in constant time. */
export function isSignedByTwilio({ signature, url, params, tokens }: SignatureCheck): boolean {
  if (!signature) return false;
  return tokens.some((token) => twilio.validateRequest(token, signature, url, params));
}
