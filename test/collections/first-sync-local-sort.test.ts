/**
 * Issue 19: a part's `localSort` (the indexed order a device reads its own head in, for a
 * resync's `held` rounds) sorts every valid document exactly as the part's declared order —
 * otherwise a device would check the wrong documents and show a stale head.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COLLECTIONS } from '../../src/collections/all-collections.ts';
import { checkDocument } from '../../src/collections/declare-collection.ts';
import { comparePartOrder, type FirstSyncPart } from '../../src/collections/first-sync-parts.ts';
import { fuzzSettings } from '../helpers/fuzz-settings.ts';
import { action, summary, T0 } from '../server/fixtures.ts';

const fuzz = fuzzSettings('first-sync-local-sort', 100);

/** RxDB's order for a sort spec: each key in turn, then the id ascending. */
function byLocalSort(part: FirstSyncPart) {
  const keys = [...(part.localSort ?? []), { field: 'id', direction: 'asc' as const }];
  return (a: Record<string, unknown>, b: Record<string, unknown>) => {
    for (const key of keys) {
      const [x, y] = [a[key.field] as number | string, b[key.field] as number | string];
      if (x !== y) return (x < y ? -1 : 1) * (key.direction === 'asc' ? 1 : -1);
    }
    return 0;
  };
}

const idsOf = (docs: readonly Record<string, unknown>[]) => docs.map((doc) => doc['id']);
const valid = (name: keyof typeof COLLECTIONS, doc: Record<string, unknown>) => {
  const { _deleted: _ignored, ...rest } = doc;
  expect(checkDocument(COLLECTIONS[name] as never, rest)).toEqual([]);
};

describe('first-sync parts: the local sort is the declared order (issue 19)', () => {
  it('brainActions urgent: priority_rank, created_desc, id sort as priority desc, created_at desc, id', () => {
    const part = COLLECTIONS.brainActions.firstSync[0]!;
    expect(part.localSort).toBeDefined();
    fc.assert(
      fc.property(
        fc.array(fc.record({ priority: fc.integer({ min: 0, max: 100 }), age: fc.integer({ min: 0, max: 4 }) }), { maxLength: 40 }),
        (specs) => {
          const docs = specs.map(({ priority, age }) =>
            action('w1', {
              priority,
              priority_rank: 100 - priority,
              created_at: T0 - age,
              status_at: T0 - age,
              created_desc: 10_000_000_000_000 - (T0 - age),
              expires_at: T0 + 86_400_000,
            }),
          );
          for (const doc of docs) valid('brainActions', doc);
          expect(idsOf([...docs].sort(byLocalSort(part)))).toEqual(idsOf([...docs].sort(comparePartOrder(part))));
        },
      ),
      fuzz,
    );
  });

  it('brainSummaries latest: created_desc, id sort as created_at desc, id', () => {
    const part = COLLECTIONS.brainSummaries.firstSync[0]!;
    expect(part.localSort).toBeDefined();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 40 }), (ages) => {
        const docs = ages.map((age, index) => summary(`s-${index}`, T0 - age));
        for (const doc of docs) valid('brainSummaries', doc);
        expect(idsOf([...docs].sort(byLocalSort(part)))).toEqual(idsOf([...docs].sort(comparePartOrder(part))));
      }),
      fuzz,
    );
  });
});
