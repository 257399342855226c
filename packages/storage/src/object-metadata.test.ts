import { describe, expect, it } from 'vitest';
import { checkedContentType, checkedMetadata } from './object-metadata.ts';

describe('checkedMetadata', () => {
  it('accepts lowercase names and printable ASCII values', () => {
    const metadata = { 'recording-sid': `RE${'a'.repeat(32)}`, channels: '2', note: 'two words' };
    expect(checkedMetadata(metadata, 'k')).toEqual(metadata);
    expect(checkedMetadata(undefined, 'k')).toEqual({});
  });

  it.each([
    ['our own size record', { bytes: '1' }],
    ['our own hash record', { sha256: 'x' }],
    ['a standard header', { 'content-type': 'audio/wav' }],
    ['an S3 header', { 'x-amz-acl': 'public-read' }],
    ['an uppercase name', { RecordingSid: 'x' }],
    ['an underscore', { recording_sid: 'x' }],
    ['a non-ASCII value', { city: 'Zürich' }],
    ['a line break', { note: 'a\nb' }],
    ['a leading space', { note: ' a' }],
    ['an empty value', { note: '' }],
    ['more than 1.5 KiB', { note: 'x'.repeat(1600) }],
  ])('refuses %s', (_name, metadata) => {
    expect(() => checkedMetadata(metadata, 'k')).toThrow(
      expect.objectContaining({ kind: 'invalid', code: 'InvalidMetadata' }),
    );
  });
});

describe('checkedContentType', () => {
  it.each(['audio/x-wav', 'audio/mpeg', 'application/json; charset=utf-8'])('accepts %s', (type) => {
    expect(checkedContentType(type, 'k')).toBe(type);
  });

  it.each(['', 'wav', 'audio/wav\r\nX-Injected: 1', 'audio/wäv'])('refuses %j', (type) => {
    expect(() => checkedContentType(type, 'k')).toThrow(expect.objectContaining({ kind: 'invalid' }));
  });
});
