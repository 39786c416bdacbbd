import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillWithDefaultSettings, normalizeMangoQuery, prepareQuery, type RxJsonSchema } from 'rxdb';
import { getRxStorageSQLite } from '../../src/node/index.ts';
import { scratchDir } from '../helpers/storages.ts';
import { TEST_SCHEMA, doc, openInstance, stored, type TestDoc } from './storage-fixtures.ts';

/** What only the SQLite storage decides (the contract suite covers what all storages share). */
describe('SQLite storage specifics', () => {
  it('rows for one id twice in one bulkWrite apply in order: a second insert is a 409 against the first', async () => {
    const instance = await openInstance(getRxStorageSQLite({ path: join(scratchDir(), 's.sqlite') }));
    try {
      const first = stored(doc('a', { name: 'first' }));
      const result = await instance.bulkWrite([{ document: first }, { document: stored(doc('a', { name: 'second' })) }], 'test');
      expect(result.error).toEqual([expect.objectContaining({ status: 409, documentId: 'a', documentInDb: first })]);
      expect(await instance.findDocumentsById(['a'], true)).toEqual([first]);
    } finally {
      await instance.close();
    }
  });

  it('a schema whose index list changed (same version) gets its keys rebuilt from the stored documents', async () => {
    const path = join(scratchDir(), 's.sqlite');
    const before = await openInstance(getRxStorageSQLite({ path }), 'db');
    await before.bulkWrite(
      ['x', 'y', 'z'].map((tag, i) => ({ document: stored(doc(`d${i}`, { tag: tag === 'y' ? 'b' : tag === 'x' ? 'c' : 'a' })) })),
      'test',
    );
    await before.close();
    const withTagIndex = fillWithDefaultSettings<TestDoc>({
      ...(TEST_SCHEMA as unknown as RxJsonSchema<TestDoc>),
      properties: { ...TEST_SCHEMA.properties, tag: { type: 'string', maxLength: 10 } },
      indexes: [['tag', 'id']],
    });
    const after = await getRxStorageSQLite({ path }).createStorageInstance<TestDoc>({
      databaseInstanceToken: 'db',
      databaseName: 'db',
      collectionName: 'docs',
      schema: withTagIndex,
      options: {},
      multiInstance: false,
      devMode: false,
    });
    try {
      const query = prepareQuery<TestDoc>(
        withTagIndex,
        normalizeMangoQuery<TestDoc>(withTagIndex, {
          selector: { tag: { $gte: 'b' } },
          sort: [{ tag: 'asc' }],
          index: ['_deleted', 'tag', 'id'],
        }),
      );
      const { documents } = await after.query(query);
      expect(documents.map((d) => d.tag)).toEqual(['b', 'c']);
    } finally {
      await after.close();
    }
  });
});
