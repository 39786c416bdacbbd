import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MangoQuery, RxDocumentData } from 'rxdb';
import { STORAGES_UNDER_TEST, doc, ids, insertAll, openInstance, prepared, stored, type TestDoc } from './storage-fixtures.ts';
import { uniqueName } from '../helpers/storages.ts';

const names = fc.constantFrom('alice', 'al ice', 'Al', 'bob', 'b\tob', 'zoë', 'Émile', '😀 x', '', 'a');
const docArb = fc.record(
  {
    name: names,
    age: fc.integer({ min: 0, max: 150 }),
    score: fc.integer({ min: -10000, max: 10000 }).map((x) => x / 100),
    active: fc.boolean(),
    tag: fc.constantFrom('x', 'y', 'zz'),
  },
  { requiredKeys: ['name', 'age', 'score', 'active'] },
);

const condition = fc.oneof(
  fc.record({
    name: fc.oneof(names, fc.record({ $gt: names }), fc.record({ $lte: names }), fc.record({ $in: fc.array(names, { maxLength: 3 }) })),
  }),
  fc.record({ name: fc.record({ $regex: fc.constantFrom('^a', 'o', 'ice$', '^$') }) }),
  fc.record({
    age: fc.oneof(
      fc.integer({ min: 0, max: 150 }),
      fc.record({ $gte: fc.integer({ min: -5, max: 155 }), $lt: fc.integer({ min: 0, max: 160 }) }),
    ),
  }),
  fc.record({ score: fc.record({ $gt: fc.integer({ min: -100, max: 100 }) }) }),
  fc.record({ active: fc.boolean() }),
  fc.record({ tag: fc.record({ $exists: fc.boolean() }) }),
  fc.record({ $or: fc.tuple(fc.record({ age: fc.record({ $lt: fc.integer({ min: 0, max: 150 }) }) }), fc.record({ name: names })) }),
);
const sortField = fc.constantFrom('name', 'age', 'score', 'active', 'tag', 'id');
const queryArb = fc.record({
  selector: fc.array(condition, { maxLength: 2 }).map((parts) => Object.assign({}, ...parts) as Record<string, unknown>),
  sort: fc.uniqueArray(fc.tuple(sortField, fc.constantFrom('asc', 'desc')), { maxLength: 2, selector: ([field]) => field }),
  skip: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  limit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
});

/**
 * Random documents and random queries (every index type, ranges, $in, $regex, $exists,
 * $or, any sort direction, skip and limit): Dexie and SQLite answer exactly what RxDB's
 * memory storage answers, documents in the same order, and the same counts.
 */
describe('query answers agree with RxDB’s memory storage (property)', () => {
  it('on Dexie and SQLite', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(docArb, { minLength: 1, maxLength: 25 }),
        fc.array(queryArb, { minLength: 1, maxLength: 6 }),
        async (rows, queries) => {
          const docs = rows.map((fields, i) => stored(doc(`d${String(i).padStart(2, '0')}`, fields as Partial<TestDoc>)));
          const instances = await Promise.all(STORAGES_UNDER_TEST.map((under) => openInstance(under.fresh().storage, uniqueName())));
          try {
            for (const instance of instances) await insertAll(instance, docs);
            for (const raw of queries) {
              const query = {
                selector: { _deleted: { $eq: false }, ...raw.selector },
                sort: raw.sort.map(([field, direction]) => ({ [field]: direction })),
                ...(raw.skip === undefined ? {} : { skip: raw.skip }),
                ...(raw.limit === undefined ? {} : { limit: raw.limit }),
              } as MangoQuery<RxDocumentData<TestDoc>>;
              const answers = await Promise.all(instances.map((instance) => ids(instance, query)));
              const counts = await Promise.all(
                instances.map(async (instance) => (await instance.count(prepared({ selector: query.selector! }))).count),
              );
              expect({ dexie: answers[1], sqlite: answers[2] }, JSON.stringify(query)).toEqual({ dexie: answers[0], sqlite: answers[0] });
              expect({ dexie: counts[1], sqlite: counts[2] }).toEqual({ dexie: counts[0], sqlite: counts[0] });
            }
          } finally {
            await Promise.all(instances.map((instance) => instance.close()));
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
