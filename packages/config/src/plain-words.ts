import type { z } from 'zod';
import { oneOf } from './variables.ts';

/**
 * The words for a problem no variable's own message covers, in place of the schema library's ("Invalid
 * input: expected string, received undefined"): every variable kind has its own message, this is the net
 * under them. It never shows the value, which may be a secret.
 */
export const plainWords: z.core.$ZodErrorMap = (issue) => {
  if (issue.input === undefined) return 'is required';
  switch (issue.code) {
    case 'invalid_value':
      return `must be ${oneOf(issue.values.map(String))}`;
    case 'unrecognized_keys':
      return `has unknown ${issue.keys.length === 1 ? 'key' : 'keys'}: ${issue.keys.join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? 'must not be empty' : 'is too short';
    default:
      return 'is not valid';
  }
};
