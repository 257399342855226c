import { describe, expect, it } from 'vitest';
import { archiveJobId, purgeJobId } from './job-ids.ts';

const sid = `RE${'0123456789abcdef'.repeat(2)}`;

describe('job ids', () => {
  it('derive from the recording SID, one per queue, in a form BullMQ accepts', () => {
    expect(archiveJobId(sid)).toBe(`archive-${sid}`);
    expect(purgeJobId(sid)).toBe(`purge-${sid}`);
    expect(archiveJobId(sid)).not.toContain(':');
  });

  it('refuse anything that is not a recording SID', () => {
    expect(() => archiveJobId('RE123')).toThrow();
    expect(() => archiveJobId(`CA${'0'.repeat(32)}`)).toThrow();
    expect(() => archiveJobId(`RE${'A'.repeat(32)}`)).toThrow();
  });
});
