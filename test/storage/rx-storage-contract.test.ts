import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, filter, toArray, take, timeout } from 'rxjs';
import { getChangedDocumentsSince, type RxDocumentData, type RxStorageDefaultCheckpoint } from 'rxdb';
import {
  STORAGES_UNDER_TEST,
  doc,
  ids,
  insertAll,
  openInstance,
  prepared,
  stored,
  type TestDoc,
  type TestInstance,
} from './storage-fixtures.ts';
import { uniqueName } from '../helpers/storages.ts';

/**
 * The RxStorage contract, after RxDB's own storage implementation tests: every case runs on
 * RxDB's memory storage (the reference), Dexie over fake-indexeddb and brain-store's SQLite,
 * with the same expected answers.
 */
describe.each(STORAGES_UNDER_TEST)('RxStorage contract on $name', (under) => {
  const open: TestInstance[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((instance) => instance.close().catch(() => undefined)));
  });
  const fresh = async () => {
    const made = under.fresh();
    const databaseName = uniqueName();
    const instance = await openInstance(made.storage, databaseName);
    open.push(instance);
    return { instance, databaseName, reopen: made.reopen };
  };

  describe('bulkWrite', () => {
    it('writes, then refuses a write with a stale or missing previous as 409 carrying the stored state', async () => {
      const { instance } = await fresh();
      const first = stored(doc('a'));
      await insertAll(instance, [first]);
      const again = await instance.bulkWrite([{ document: stored(doc('a', { name: 'again' })) }], 'test');
      expect(again.error).toEqual([expect.objectContaining({ status: 409, documentId: 'a', documentInDb: first })]);
      const stale = await instance.bulkWrite(
        [{ previous: stored(doc('a'), { rev: '1-other' }), document: stored(doc('a', { name: 'stale' }), { rev: '2-x' }) }],
        'test',
      );
      expect(stale.error[0]).toMatchObject({ status: 409, documentInDb: first });
      expect(Object.keys((stale.error[0] as unknown as { documentInDb: object }).documentInDb).sort()).toEqual(Object.keys(first).sort());
      expect(await instance.findDocumentsById(['a'], false)).toEqual([first]);
    });

    it('in one call, applies the rows that do not conflict and reports those that do', async () => {
      const { instance } = await fresh();
      const a = stored(doc('a'));
      const b = stored(doc('b'));
      await insertAll(instance, [a, b]);
      const result = await instance.bulkWrite(
        [
          { previous: a, document: stored(doc('a', { age: 31 }), { rev: '2-a' }) },
          { previous: stored(doc('b'), { rev: '9-wrong' }), document: stored(doc('b', { age: 99 }), { rev: '10-b' }) },
          { document: stored(doc('c')) },
        ],
        'test',
      );
      expect(result.error.map((e) => [e.status, e.documentId])).toEqual([[409, 'b']]);
      const found = await instance.findDocumentsById(['a', 'b', 'c'], false);
      expect(found.map((d) => [d.id, d.age])).toEqual([
        ['a', 31],
        ['b', 30],
        ['c', 30],
      ]);
    });

    it('of two concurrent inserts of one id the first wins and the second is a 409', async () => {
      const { instance } = await fresh();
      const [first, second] = await Promise.all([
        instance.bulkWrite([{ document: stored(doc('x', { name: 'first' })) }], 'test'),
        instance.bulkWrite([{ document: stored(doc('x', { name: 'second' })) }], 'test'),
      ]);
      expect(first.error).toEqual([]);
      expect(second.error).toEqual([expect.objectContaining({ status: 409, documentId: 'x' })]);
      expect((await instance.findDocumentsById(['x'], false))[0]!.name).toBe('first');
    });

    it('of concurrent updates from one revision exactly one wins', async () => {
      const { instance } = await fresh();
      const base = stored(doc('x'));
      await insertAll(instance, [base]);
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) =>
          instance.bulkWrite([{ previous: base, document: stored(doc('x', { age: n }), { rev: `2-${n}` }) }], 'test'),
        ),
      );
      expect(results.filter((result) => result.error.length === 0)).toHaveLength(1);
      expect((await instance.findDocumentsById(['x'], false))[0]!.age).toBe(1);
    });

    it('a deleted document is found only withDeleted and not by queries; it can be written again', async () => {
      const { instance } = await fresh();
      const live = stored(doc('a'));
      await insertAll(instance, [live]);
      const tombstone = stored(doc('a'), { deleted: true, rev: '2-d' });
      expect((await instance.bulkWrite([{ previous: live, document: tombstone }], 'test')).error).toEqual([]);
      expect(await instance.findDocumentsById(['a'], false)).toEqual([]);
      expect(await instance.findDocumentsById(['a'], true)).toEqual([tombstone]);
      // A storage query sees tombstones unless it asks not to (RxDB's queries always add this).
      expect(await ids(instance, { selector: { _deleted: { $eq: false } } })).toEqual([]);
      expect(await ids(instance, { selector: {} })).toEqual(['a']);
      const revived = stored(doc('a', { name: 'back' }), { rev: '3-r' });
      expect((await instance.bulkWrite([{ previous: tombstone, document: revived }], 'test')).error).toEqual([]);
      expect(await ids(instance, { selector: { name: 'back' } })).toEqual(['a']);
    });
  });

  describe('query and count', () => {
    const people = () => [
      stored(doc('p1', { name: 'alice', age: 31, score: -5.5, active: true, tag: 'x' })),
      stored(doc('p2', { name: 'bob', age: 25, score: 12.25, active: false })),
      stored(doc('p3', { name: 'carol', age: 31, score: 0, active: true, tag: 'y', nested: { city: 'rome' } })),
      stored(doc('p4', { name: 'dave', age: 60, score: 99.99, active: false, tag: 'x' })),
      stored(doc('p5', { name: 'al ice', age: 0, score: -100, active: true })),
      stored(doc('p6', { name: 'Émile', age: 150, score: 50, active: true, nested: { city: 'paris' } })),
      stored(doc('p7', { name: 'zoë 😀', age: 44, score: 1.01, active: false })),
      stored(doc('p8', { name: 'alice', age: 20, score: 7, active: true })),
    ];
    const seeded = async () => {
      const { instance } = await fresh();
      await insertAll(instance, people());
      return instance;
    };

    it.each<[string, Parameters<typeof ids>[1], string[]]>([
      // JavaScript order: 'al ice' before 'alice', 'É' (U+00C9) after 'z'
      ['strings ascending (index)', { selector: {}, sort: [{ name: 'asc' }] }, ['p5', 'p1', 'p8', 'p2', 'p3', 'p4', 'p7', 'p6']],
      ['strings descending (no desc index)', { selector: {}, sort: [{ name: 'desc' }] }, ['p6', 'p7', 'p4', 'p3', 'p2', 'p1', 'p8', 'p5']],
      ['numbers ascending, ties by id', { selector: {}, sort: [{ age: 'asc' }] }, ['p5', 'p8', 'p2', 'p1', 'p3', 'p7', 'p4', 'p6']],
      [
        'decimals and negatives',
        { selector: { score: { $gt: -6, $lte: 50 } }, sort: [{ score: 'asc' }] },
        ['p1', 'p3', 'p7', 'p8', 'p2', 'p6'],
      ],
      ['boolean equality', { selector: { active: false }, sort: [{ id: 'asc' }] }, ['p2', 'p4', 'p7']],
      ['compound index range', { selector: { active: true, age: { $gte: 20, $lt: 44 } }, sort: [{ age: 'asc' }] }, ['p8', 'p1', 'p3']],
      [
        'compound descending, all fields desc',
        { selector: { active: true }, sort: [{ age: 'desc' }, { id: 'desc' }] },
        ['p6', 'p3', 'p1', 'p8', 'p5'],
      ],
      ['skip and limit on an index', { selector: {}, sort: [{ age: 'asc' }], skip: 2, limit: 3 }, ['p2', 'p1', 'p3']],
      ['skip and limit with a re-sort', { selector: {}, sort: [{ score: 'desc' }], skip: 1, limit: 2 }, ['p6', 'p2']],
      ['limit 0', { selector: {}, limit: 0 }, []],
      ['$in', { selector: { name: { $in: ['bob', 'alice', 'nobody'] } }, sort: [{ id: 'asc' }] }, ['p1', 'p2', 'p8']],
      ['$regex', { selector: { name: { $regex: '^al' } }, sort: [{ id: 'asc' }] }, ['p1', 'p5', 'p8']],
      ['$exists true', { selector: { tag: { $exists: true } }, sort: [{ id: 'asc' }] }, ['p1', 'p3', 'p4']],
      ['$exists false', { selector: { tag: { $exists: false } }, sort: [{ id: 'asc' }], limit: 2 }, ['p2', 'p5']],
      ['$or', { selector: { $or: [{ age: { $gt: 59 } }, { name: 'bob' }] }, sort: [{ age: 'asc' }] }, ['p2', 'p4', 'p6']],
      ['nested field', { selector: { 'nested.city': 'rome' } }, ['p3']],
      ['$ne and $nin', { selector: { name: { $ne: 'alice', $nin: ['bob'] }, active: true }, sort: [{ id: 'asc' }] }, ['p3', 'p5', 'p6']],
      ['unindexed sort with ties', { selector: {}, sort: [{ tag: 'desc' }, { age: 'asc' }], limit: 4 }, ['p3', 'p1', 'p4', 'p5']],
    ])('%s', async (_name, query, expected) => {
      const instance = await seeded();
      expect(await ids(instance, query)).toEqual(expected);
      if (query.limit === undefined && query.skip === undefined) {
        expect((await instance.count(prepared(query))).count).toBe(expected.length);
      }
    });

    it('count: satisfied by an index, and with a filter the index cannot apply', async () => {
      const instance = await seeded();
      expect((await instance.count(prepared({ selector: { age: { $gte: 31 } } }))).count).toBe(5);
      expect((await instance.count(prepared({ selector: { name: { $regex: 'i' } } }))).count).toBe(4);
      expect((await instance.count(prepared({ selector: {} }))).count).toBe(8);
    });
  });

  describe('getChangedDocumentsSince', () => {
    it('pages through documents sharing one lwt without losing or repeating any (checkpoint {id, lwt})', async () => {
      const { instance } = await fresh();
      const lwt = 1_700_000_000_000;
      const docs = ['e', 'b', 'a', 'd', 'c', 'f', 'g'].map((id) => stored(doc(id), { lwt }));
      await insertAll(instance, [stored(doc('early'), { lwt: lwt - 1 }), ...docs, stored(doc('late'), { lwt: lwt + 1 })]);
      const seen: string[] = [];
      let checkpoint: RxStorageDefaultCheckpoint | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await getChangedDocumentsSince<TestDoc, RxStorageDefaultCheckpoint>(instance, 3, checkpoint);
        if (result.documents.length === 0) break;
        seen.push(...result.documents.map((document) => document.id));
        checkpoint = result.checkpoint;
        expect(checkpoint).toEqual({ id: result.documents.at(-1)!.id, lwt: result.documents.at(-1)!._meta.lwt });
      }
      expect(seen).toEqual(['early', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'late']);
    });

    it('includes tombstones and moves an updated document to the end', async () => {
      const { instance } = await fresh();
      const a = stored(doc('a'), { lwt: 10 });
      await insertAll(instance, [a, stored(doc('b'), { lwt: 11 })]);
      await instance.bulkWrite([{ previous: a, document: stored(doc('a'), { lwt: 12, deleted: true, rev: '2-a' }) }], 'test');
      const result = await getChangedDocumentsSince<TestDoc, RxStorageDefaultCheckpoint>(instance, 10);
      expect(result.documents.map((d) => [d.id, d._deleted])).toEqual([
        ['b', false],
        ['a', true],
      ]);
    });
  });

  describe('changeStream', () => {
    it('emits one bulk per write, after it is readable, with the operations and the newest checkpoint', async () => {
      const { instance } = await fresh();
      const a = stored(doc('a'));
      const bulks: { operations: string[]; checkpoint: unknown; readable: boolean }[] = [];
      const subscription = instance.changeStream().subscribe((bulk) => {
        bulks.push({
          operations: bulk.events.map((event) => `${event.operation} ${event.documentId}`),
          checkpoint: bulk.checkpoint,
          readable: true,
        });
      });
      await insertAll(instance, [a, stored(doc('b'))]);
      const a2 = stored(doc('a', { age: 1 }), { rev: '2-a' });
      await instance.bulkWrite(
        [
          { previous: a, document: a2 },
          { previous: stored(doc('b'), { rev: 'nope' }), document: stored(doc('b'), { rev: '2-b' }) },
        ],
        'test',
      );
      const deleted = stored(doc('a'), { deleted: true, rev: '3-a' });
      await instance.bulkWrite([{ previous: a2, document: deleted }], 'test');
      subscription.unsubscribe();
      expect(bulks.map((bulk) => bulk.operations)).toEqual([['INSERT a', 'INSERT b'], ['UPDATE a'], ['DELETE a']]);
      expect(bulks[2]!.checkpoint).toEqual({ id: 'a', lwt: deleted._meta.lwt });
    });

    it('a write with only conflicts emits nothing', async () => {
      const { instance } = await fresh();
      await insertAll(instance, [stored(doc('a'))]);
      const emitted = firstValueFrom(instance.changeStream().pipe(take(1), timeout(200))).catch(() => 'none');
      await instance.bulkWrite([{ document: stored(doc('a')) }], 'test');
      expect(await emitted).toBe('none');
    });
  });

  describe('cleanup, reopen, remove', () => {
    it('cleanup removes tombstones older than the given age and keeps the rest', async () => {
      const { instance } = await fresh();
      const old = stored(doc('old'), { lwt: Date.now() - 60_000 });
      const recent = stored(doc('recent'), { lwt: Date.now() - 60_000 });
      await insertAll(instance, [old, recent, stored(doc('live'))]);
      await instance.bulkWrite(
        [
          { previous: old, document: stored(doc('old'), { deleted: true, lwt: Date.now() - 30_000, rev: '2-o' }) },
          { previous: recent, document: stored(doc('recent'), { deleted: true, lwt: Date.now(), rev: '2-r' }) },
        ],
        'test',
      );
      let done = false;
      while (!done) done = await instance.cleanup(10_000);
      const left = await instance.findDocumentsById(['old', 'recent', 'live'], true);
      expect(left.map((d) => d.id).sort()).toEqual(['live', 'recent']);
      expect(await ids(instance, { selector: { _deleted: { $eq: false } } })).toEqual(['live']);
      // The purged id is free again.
      expect((await instance.bulkWrite([{ document: stored(doc('old')) }], 'test')).error).toEqual([]);
    });

    it('a reopened storage holds what was written, indexes included', async () => {
      const { instance, databaseName, reopen } = await fresh();
      await insertAll(instance, [
        stored(doc('a', { age: 5 })),
        stored(doc('b', { age: 3 })),
        stored(doc('c', { age: 9 }), { deleted: true }),
      ]);
      await instance.close();
      const again = await openInstance(reopen(), databaseName);
      open.push(again);
      expect(await ids(again, { selector: { _deleted: { $eq: false }, age: { $gt: 1 } }, sort: [{ age: 'asc' }] })).toEqual(['b', 'a']);
      expect((await again.findDocumentsById(['c'], true)).map((d) => d._deleted)).toEqual([true]);
    });

    it('remove() deletes the data: a new instance starts empty', async () => {
      const { instance, databaseName, reopen } = await fresh();
      await insertAll(instance, [stored(doc('a'))]);
      await instance.remove();
      const again = await openInstance(reopen(), databaseName);
      open.push(again);
      expect(await again.findDocumentsById(['a'], true)).toEqual([]);
    });
  });
});

describe.each(STORAGES_UNDER_TEST.filter((under) => under.name !== 'dexie'))(
  'two instances of one collection in one process on $name',
  (under) => {
    it('see each other’s writes and share one change stream', async () => {
      const made = under.fresh();
      const databaseName = uniqueName();
      const a = await openInstance(made.storage, databaseName);
      const b = await openInstance(made.reopen(), databaseName);
      try {
        const seenByB = firstValueFrom(
          b.changeStream().pipe(
            filter((bulk) => bulk.events.length > 0),
            take(1),
            toArray(),
            timeout(2000),
          ),
        );
        const written: RxDocumentData<TestDoc> = stored(doc('shared'));
        await insertAll(a, [written]);
        expect((await seenByB)[0]!.events.map((event) => event.documentId)).toEqual(['shared']);
        expect(await b.findDocumentsById(['shared'], false)).toEqual([written]);
        const conflict = await b.bulkWrite([{ document: stored(doc('shared')) }], 'test');
        expect(conflict.error[0]?.status).toBe(409);
        await a.close();
        // The other instance keeps working after one closes (the connection is shared).
        expect(await ids(b, { selector: {} })).toEqual(['shared']);
      } finally {
        await a.close();
        await b.close();
      }
    });
  },
);
