import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validate, version } from 'uuid';
import { uuidV7 } from '../../src/store/uuid-v7.ts';

describe('uuidV7', () => {
  it('makes valid version-7 UUIDs', () => {
    for (let i = 0; i < 1_000; i++) {
      const id = uuidV7();
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
    }
  });

  it('orders ids by creation, also within one millisecond and when the clock steps back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_050 }), { minLength: 2, maxLength: 6_000 }), (times) => {
        const ids = times.map((ms) => uuidV7(ms));
        for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! < ids[i]!).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('carries the millisecond timestamp in its first 48 bits', () => {
    const id = uuidV7(2_000_000_000_000);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(2_000_000_000_000);
  });
});
