import { afterEach, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { createBrainStore, brainSummaries } from '../../src/index.ts';
import { toRxJsonSchema } from '../../src/collections/declare-collection.ts';
import { deriveJsonSchema } from '../../src/collections/derive-json-schema.ts';
import { brainSummaryDocumentSchema, type BrainSummaryDocument } from '../../src/collections/brain-summaries.ts';
import type { CollectionDeclaration } from '../../src/collections/declare-collection.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { STORAGES, closingStores, scratchDir, uniqueName } from '../helpers/storages.ts';
import { T0, actionArgs, manualClock, summaryArgs } from '../queries/fixtures.ts';
import { fakeClock } from '../helpers/fake-clock.ts';
import { until } from '../../harness/until.ts';

describe('createBrainStore without a storage in Node', () => {
  it('is durable: SQLite at `path`, and a reopened store holds what was written', async () => {
    const path = join(scratchDir(), 'bot.sqlite');
    const name = uniqueName();
    const first = await createBrainStore({ name, path });
    const id = await first.brainActions.createActionRecommendation(actionArgs());
    await first.close();
    expect(existsSync(path)).toBe(true);
    const second = await createBrainStore({ name, path });
    try {
      expect((await second.brainActions.getActionsByPriority({ workspace_id: 'w1' }).exec()).map((action) => action.id)).toEqual([id]);
    } finally {
      await second.close();
    }
  });

  it('defaults to .data/<name>.sqlite under the working directory', async () => {
    const cwd = process.cwd();
    const dir = scratchDir();
    process.chdir(dir);
    try {
      const store = await createBrainStore({ name: 'defaulted' });
      await store.close();
      expect(existsSync(join(dir, '.data', 'defaulted.sqlite'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe.each(STORAGES)('createBrainStore on $name', ({ make }) => {
  const stores = closingStores();
  afterEach(() => void vi.useRealTimers());

  it('close() is idempotent and the store refuses work afterwards with CLOSED', async () => {
    const store = await stores.open(make);
    await store.close();
    await store.close();
    await expect(store.brainSummaries.createSummary(summaryArgs())).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => store.brainSummaries.getLatestSummary({ workspace_id: 'w1' })).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('close() completes live subscriptions and leaves no timer behind', async () => {
    const clock = fakeClock(Date.now());
    const store = await stores.open(make, { scheduler: clock.scheduler });
    await store.brainActions.createActionRecommendation(actionArgs());
    let completed = false;
    const seen: unknown[] = [];
    const subscription = store.brainActions
      .getActionsByPriority({ workspace_id: 'w1' })
      .$.subscribe({ next: (value) => seen.push(value), complete: () => (completed = true) });
    await until(() => seen.length === 1, 'the first answer');
    expect(clock.pending).toBeGreaterThan(0); // at least the read's timer at expires_at
    await store.close();
    await store.close();
    expect(completed).toBe(true);
    expect(subscription.closed).toBe(true);
    // The read's 24 h timer is gone (RxDB's own short idle timers are real and drain by themselves).
    expect(clock.pending).toBe(0);
  });

  it('refuses an invalid document written through store.database (validated storage)', async () => {
    const store = await stores.open(make);
    const id = await store.brainActions.createActionRecommendation(actionArgs());
    const valid = (await store.database.brainActions.findOne(id).exec())!.toMutableJSON();
    const collection = store.database.brainActions;
    const bad = [
      { ...valid, id: 'x1', priority: 101, priority_rank: -1 },
      { ...valid, id: 'x2', status: 'done' },
      { ...valid, id: 'x3', reason: 'a\u0000b' },
      { ...valid, id: 'x4', extra: 1 },
      // Cross-field invariants are enforced by the storage too, not only by the query layer.
      { ...valid, id: 'x5', priority_rank: 3 },
      { ...valid, id: 'x6', status: 'actioned' },
    ];
    for (const doc of bad) await expect(collection.insert(doc as never), doc.id).rejects.toBeTruthy();
    await expect(
      collection
        .findOne(id)
        .exec()
        .then((d) => d!.incrementalPatch({ priority: 2.5 })),
    ).rejects.toBeTruthy();
    const raw = await collection.storageInstance.bulkWrite(
      [{ document: { ...valid, id: 'x7', urgency: 'soon', _meta: { lwt: 1 }, _rev: '1-a', _deleted: false, _attachments: {} } as never }],
      'test',
    );
    expect(raw.error[0]).toMatchObject({ status: 422 });
    const all = await collection.find().exec();
    expect(all.map((d) => d.toJSON())).toEqual([expect.objectContaining({ id, priority: 50 })]);
  });

  it('migrates v0 data when reopened with a v1 declaration (regression: #2 migration wiring)', async () => {
    const storage = make();
    const name = uniqueName();
    const clock = manualClock();
    const v0 = await stores.reopen(storage, name, { now: clock.now });
    const id = await v0.brainSummaries.createSummary(summaryArgs({ summary_text: 'old text' }));
    await v0.close();

    // A synthetic v1: a new optional field, filled by the migration.
    const documentV1 = z.extend(brainSummaryDocumentSchema, { language: z.optional(z.enum(['en', 'de']).check(z.meta({ maxLength: 2 }))) });
    const v1: CollectionDeclaration<BrainSummaryDocument, unknown> = {
      ...brainSummaries,
      document: documentV1,
      jsonSchema: toRxJsonSchema(deriveJsonSchema(documentV1), {
        ...brainSummaries.jsonSchema,
        title: 'brainSummaries',
        version: 1,
        indexes: brainSummaries.jsonSchema.indexes as string[][],
      }),
      migrationStrategies: { 1: (doc: BrainSummaryDocument) => ({ ...doc, language: 'en', summary_text: doc.summary_text.toUpperCase() }) },
    };
    const reopened = await stores.reopen(storage, name, { now: clock.now, collections: { brainSummaries: v1 } });
    expect(reopened.database.brainSummaries.schema.version).toBe(1);
    const latest = await reopened.brainSummaries.getLatestSummary({ workspace_id: 'w1' }).exec();
    expect(latest).toMatchObject({ id, summary_text: 'OLD TEXT', language: 'en', created_at: T0 });
  });
});
