import { describe, expect, it } from 'vitest';
import { assertObjectKey } from './object-key.ts';

describe('assertObjectKey', () => {
  it.each(['a', 'a/b/c.wav', 'AC1/2026/01/02/CA1/RE1.wav.json', 'with space/and-dash_underscore'])(
    'accepts %j',
    (key) => {
      expect(() => assertObjectKey(key)).not.toThrow();
    },
  );

  it.each([
    '',
    '/absolute',
    '../escape',
    'a/../../escape',
    'a/./b',
    'a//b',
    'trailing/',
    '.hidden',
    'a/.incoming/x',
    'back\\slash',
    'nul\u0000byte',
    'x'.repeat(1025),
  ])('refuses %j', (key) => {
    expect(() => assertObjectKey(key)).toThrow(
      expect.objectContaining({ kind: 'invalid', code: 'InvalidKey' }),
    );
  });
});
