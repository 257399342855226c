import { z } from 'zod';

/** Twilio SIDs: two letters and 32 lowercase hex digits. */
const sid = (prefix: 'AC' | 'CA' | 'RE' | 'CF' | 'SK') =>
  z
    .string()
    .regex(new RegExp(`^${prefix}[0-9a-f]{32}$`), `must be ${prefix} followed by 32 lowercase hex digits`);

export const AccountSid = sid('AC');
export const CallSid = sid('CA');
export const RecordingSid = sid('RE');
export const ConferenceSid = sid('CF');
export const ApiKeySid = sid('SK');
