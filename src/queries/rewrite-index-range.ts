import { normalizeMangoQuery, prepareQuery, type RxCollection, type RxDocumentData } from 'rxdb';
import { storageCall } from './query-context.ts';

/** Documents rewritten per storage write: bounded memory, one transaction each. */
const CHUNK = 1_000;

export interface IndexRange<Doc> {
  /** Equalities on the index prefix plus one range on `sortField` (`_deleted: false` is added). */
  readonly selector: Record<string, unknown>;
  /** The index field after the equality prefix: the sort follows the index, so no sort step. */
  readonly sortField: string;
  /** The index to walk, as RxDB stores it (with the leading `_deleted`). */
  readonly index: string[];
  /** The new version of a document read in the range; it must leave the range. */
  readonly rewrite: (previous: RxDocumentData<Doc>) => RxDocumentData<Doc>;
  /** The write context, so change-stream readers can tell these writes apart. */
  readonly context: string;
  /** Ids among a chunk read to leave as they are (they stay in the range; later reads skip past them). */
  readonly keep?: (documents: readonly RxDocumentData<Doc>[]) => Promise<ReadonlySet<string>>;
}

/**
 * Rewrites every live document in an index range, reading only that range, a chunk at a
 * time, straight on the storage instance (one bulk write per chunk, not one write per
 * document). Each row is conditional on the version read (`previous`): a document changed
 * meanwhile is a 409 and left for the next call. Returns how many documents were rewritten.
 */
export async function rewriteIndexRange<Doc>(collection: RxCollection<Doc>, range: IndexRange<Doc>): Promise<number> {
  const storage = collection.storageInstance;
  const schema = collection.schema.jsonSchema;
  const key = collection.schema.primaryPath as string;
  let rewritten = 0;
  /** Documents left in the range on purpose: they sort before every unread one, so skip them. */
  let kept = 0;
  for (;;) {
    const query = prepareQuery(
      schema,
      normalizeMangoQuery<Doc>(schema, {
        selector: { _deleted: { $eq: false }, ...range.selector } as never,
        sort: [{ [range.sortField]: 'asc' }, { id: 'asc' }] as never,
        index: range.index,
        ...(kept > 0 ? { skip: kept } : {}),
        limit: CHUNK,
      }),
    );
    const { documents } = await storageCall(() => storage.query(query));
    if (documents.length === 0) return rewritten;
    const keep = range.keep ? await range.keep(documents) : undefined;
    const chosen = keep?.size ? documents.filter((doc) => !keep.has((doc as Record<string, unknown>)[key] as string)) : documents;
    kept += documents.length - chosen.length;
    const rows = chosen.map((previous) => ({ previous, document: range.rewrite(previous) }));
    const result = rows.length > 0 ? await storageCall(() => storage.bulkWrite(rows, range.context)) : { error: [] };
    rewritten += rows.length - result.error.length;
    // Every remaining row conflicted (changed concurrently): the next call sees its new state.
    if (documents.length < CHUNK || (rows.length > 0 && result.error.length === rows.length)) return rewritten;
  }
}
