import { ordinal, type PlaceholderRule } from './variables.ts';

/**
 * Placeholders: the literal values .env.example ships, and all-zero SIDs and tokens. They are well-formed on
 * purpose (so that `docker compose --env-file .env.example config` passes), which is why a start-up would
 * otherwise take them. Nothing cleverer: any other well-formed value is accepted.
 */

/** The secrets .env.example ships as placeholders, exactly as written there. */
export const envExamplePlaceholders = {
  S3_SECRET_KEY: 'change-me-minio-secret',
  DASHBOARD_PASSWORD: 'change-me-dashboard-password',
  RECORDINGS_LINK_SECRET: 'change-me-recordings-link-secret-of-32-characters-or-more',
} as const;

export const isAllZeroSid = (value: string): boolean => /^[A-Z]{2}0{32}$/.test(value);
export const isAllZeroToken = (value: string): boolean => /^0{32}$/.test(value);

/** An all-zero SID (`AC000…`), as .env.example has one; `what` says what to set instead. */
export const allZeroSid =
  (what: string): PlaceholderRule =>
  (value) =>
    typeof value === 'string' && isAllZeroSid(value)
      ? `is a placeholder (all zeros): set ${what}`
      : undefined;

/** An all-zero auth token, alone or among several during a rotation. */
export const allZeroToken: PlaceholderRule = (value) => {
  if (!Array.isArray(value)) return undefined;
  const index = value.findIndex((token) => typeof token === 'string' && isAllZeroToken(token));
  if (index < 0) return undefined;
  const which = value.length > 1 ? `its ${ordinal(index)} token is` : 'is';
  return `${which} a placeholder (all zeros): set your auth token from the Twilio Console`;
};

/** The value .env.example ships for `name`. */
export const envExamplePlaceholder =
  (name: keyof typeof envExamplePlaceholders, instead: string): PlaceholderRule =>
  (value) =>
    value === envExamplePlaceholders[name] ? `is the placeholder from .env.example: ${instead}` : undefined;
