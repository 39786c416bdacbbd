import type Database from 'better-sqlite3';
import { Subject, type Observable } from 'rxjs';
import {
  categorizeBulkWriteRows,
  getPrimaryFieldOfPrimaryKey,
  getQueryMatcher,
  getSortComparator,
  INDEX_MAX,
  INDEX_MIN,
  now,
  type BulkWriteRow,
  type CategorizeBulkWriteRowsOutput,
  type EventBulk,
  type PreparedQuery,
  type RxDocumentData,
  type RxJsonSchema,
  type RxStorageBulkWriteResponse,
  type RxStorageChangeEvent,
  type RxStorageCountResult,
  type RxStorageDefaultCheckpoint,
  type RxStorageInstance,
  type RxStorageQueryResult,
  type RxStorageWriteError,
} from 'rxdb';
import type { DocumentKeys, IndexKeyEncoder } from './index-key.ts';
import { releaseSqliteFile, type SqliteFile } from './open-sqlite-file.ts';
import { dropTable, type TableNames } from './sqlite-tables.ts';
import { rangeWhere, scanIndex, type IndexRange } from './scan-index.ts';

export interface SqliteInternals {
  readonly file: SqliteFile;
  readonly names: TableNames;
}

type Changes<Doc> = EventBulk<RxStorageChangeEvent<RxDocumentData<Doc>>, RxStorageDefaultCheckpoint>;

/** The state every instance of one table shares in this process: encoders and the change stream. */
export interface TableState<Doc> {
  readonly names: TableNames;
  readonly indexes: readonly IndexKeyEncoder<Doc>[];
  /** A document's keys in every index, in the order of `indexes`. */
  readonly keysOf: DocumentKeys<Doc>;
  readonly changes$: Subject<Changes<Doc>>;
}

export interface SqliteInstanceParams<Doc> {
  readonly databaseName: string;
  readonly collectionName: string;
  readonly schema: RxJsonSchema<RxDocumentData<Doc>>;
  readonly file: SqliteFile;
  readonly table: TableState<Doc>;
}

/**
 * One RxDB storage instance over one table of a SQLite file. better-sqlite3 runs every
 * statement synchronously, so a bulkWrite (read current states, decide conflicts, write
 * documents and index keys) is one transaction that no other write can interleave with,
 * in this process or — the file being locked — any other.
 */
export class RxStorageInstanceSQLite<Doc> implements RxStorageInstance<Doc, SqliteInternals, object, RxStorageDefaultCheckpoint> {
  readonly databaseName: string;
  readonly collectionName: string;
  readonly schema: RxJsonSchema<RxDocumentData<Doc>>;
  readonly internals: SqliteInternals;
  readonly options = {};
  readonly primaryPath: string;
  private readonly db: Database.Database;
  private readonly table: TableState<Doc>;
  private readonly byIndex: Map<string, number>;
  private readonly statements = new Map<string, Database.Statement>();
  private closed = false;

  constructor(params: SqliteInstanceParams<Doc>) {
    this.databaseName = params.databaseName;
    this.collectionName = params.collectionName;
    this.schema = params.schema;
    this.internals = { file: params.file, names: params.table.names };
    this.db = params.file.db;
    this.table = params.table;
    this.primaryPath = getPrimaryFieldOfPrimaryKey(this.schema.primaryKey);
    this.byIndex = new Map(this.table.indexes.map((encoder, position) => [encoder.fields.join(','), position]));
  }

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error(`SQLite storage instance ${this.collectionName} is closed`);
  }

  private readByIds(ids: readonly string[]): Map<string, { rid: number; doc: RxDocumentData<Doc> }> {
    const found = new Map<string, { rid: number; doc: RxDocumentData<Doc> }>();
    if (ids.length === 0) return found;
    const rows = this.statement(`SELECT rid, id, doc FROM ${this.table.names.docs} WHERE id IN (SELECT value FROM json_each(?))`).all(
      JSON.stringify(ids),
    ) as { rid: number; id: string; doc: string }[];
    for (const row of rows) found.set(row.id, { rid: row.rid, doc: JSON.parse(row.doc) as RxDocumentData<Doc> });
    return found;
  }

  /**
   * Rows for the same id twice in one call are applied in order, each against the state
   * the previous one left (so a second insert of an id is a 409, not a duplicate).
   */
  private writeRows(rows: BulkWriteRow<Doc>[], context: string): CategorizeBulkWriteRowsOutput<Doc>[] {
    const batches: BulkWriteRow<Doc>[][] = [];
    let seen = new Set<string>();
    let current: BulkWriteRow<Doc>[] = [];
    for (const row of rows) {
      const id = (row.document as Record<string, unknown>)[this.primaryPath] as string;
      if (seen.has(id)) {
        batches.push(current);
        current = [];
        seen = new Set();
      }
      seen.add(id);
      current.push(row);
    }
    batches.push(current);
    return batches.map((batch) => this.writeBatch(batch, context));
  }

  private writeBatch(rows: BulkWriteRow<Doc>[], context: string): CategorizeBulkWriteRowsOutput<Doc> {
    const names = this.table.names;
    const stored = this.readByIds(rows.map((row) => (row.document as Record<string, unknown>)[this.primaryPath] as string));
    const docsInDb = new Map([...stored].map(([id, entry]) => [id, entry.doc]));
    const categorized = categorizeBulkWriteRows<Doc>(this, this.primaryPath as never, docsInDb, rows, context);
    const keyColumns = this.table.indexes.map((_, j) => `k${j}`);
    const insertDoc = this.statement(
      `INSERT INTO ${names.docs} (id, doc, ${keyColumns.join(', ')}) VALUES (?, ?${keyColumns.map(() => ', ?').join('')})`,
    );
    for (const { document } of categorized.bulkInsertDocs) {
      const id = (document as Record<string, unknown>)[this.primaryPath] as string;
      insertDoc.run(id, JSON.stringify(document), ...this.table.keysOf(document));
    }
    for (const { document } of categorized.bulkUpdateDocs) {
      const id = (document as Record<string, unknown>)[this.primaryPath] as string;
      const before = stored.get(id)!;
      // Only the keys that changed are set: SQLite then touches only those indexes.
      const changed: number[] = [];
      const keys: Buffer[] = [];
      const previous = this.table.keysOf(before.doc);
      this.table.keysOf(document).forEach((key, j) => {
        if (key.equals(previous[j]!)) return;
        changed.push(j);
        keys.push(key);
      });
      this.statement(`UPDATE ${names.docs} SET doc = ?${changed.map((j) => `, k${j} = ?`).join('')} WHERE rid = ?`).run(
        JSON.stringify(document),
        ...keys,
        before.rid,
      );
    }
    return categorized;
  }

  bulkWrite(documentWrites: BulkWriteRow<Doc>[], context: string): Promise<RxStorageBulkWriteResponse<Doc>> {
    try {
      this.ensureOpen();
      const parts = this.db.transaction(() => this.writeRows(documentWrites, context))();
      const error: RxStorageWriteError<Doc>[] = parts.flatMap((part) => part.errors);
      const events = parts.flatMap((part) => part.eventBulk.events);
      const newest = parts.reduce<RxDocumentData<Doc> | undefined>((last, part) => part.newestRow?.document ?? last, undefined);
      // Only after the commit: a reader told of a change must be able to read it.
      if (events.length > 0 && newest) {
        const first = parts[0]!.eventBulk;
        this.table.changes$.next({
          id: first.id,
          context: first.context,
          events,
          checkpoint: { id: (newest as Record<string, unknown>)[this.primaryPath] as string, lwt: newest._meta.lwt },
        });
      }
      return Promise.resolve({ error });
    } catch (cause) {
      return Promise.reject(asError(cause));
    }
  }

  /** Refills every index table from the documents (the schema's index list changed). */
  rebuildIndexes(): void {
    const names = this.table.names;
    const columns = this.table.indexes.map((_, j) => `k${j} = ?`).join(', ');
    this.db.transaction(() => {
      const update = this.statement(`UPDATE ${names.docs} SET ${columns} WHERE rid = ?`);
      const rows = this.statement(`SELECT rid, doc FROM ${names.docs}`).all() as { rid: number; doc: string }[];
      for (const row of rows) {
        const doc = JSON.parse(row.doc) as RxDocumentData<Doc>;
        update.run(...this.table.keysOf(doc), row.rid);
      }
    })();
  }

  findDocumentsById(ids: string[], withDeleted: boolean): Promise<RxDocumentData<Doc>[]> {
    try {
      this.ensureOpen();
      const found = this.readByIds(ids);
      const result: RxDocumentData<Doc>[] = [];
      for (const id of ids) {
        const entry = found.get(id);
        if (entry && (withDeleted || !entry.doc._deleted)) result.push(entry.doc);
      }
      return Promise.resolve(result);
    } catch (cause) {
      return Promise.reject(asError(cause));
    }
  }

  private rangeOf(preparedQuery: PreparedQuery<Doc>): IndexRange {
    const plan = preparedQuery.queryPlan;
    const position = this.byIndex.get(plan.index.join(','));
    if (position === undefined) throw new Error(`SQLite storage: no index ${plan.index.join(',')} on ${this.collectionName}`);
    const encoder = this.table.indexes[position]!;
    return {
      docs: this.table.names.docs,
      column: `k${position}`,
      index: this.table.names.indexes[position]!,
      lower: encoder.lowerBound(plan.startKeys),
      upper: encoder.upperBound(plan.endKeys),
      inclusiveLower: plan.inclusiveStart,
      inclusiveUpper: plan.inclusiveEnd,
      descending: false,
    };
  }

  query(preparedQuery: PreparedQuery<Doc>): Promise<RxStorageQueryResult<Doc>> {
    try {
      this.ensureOpen();
      const { query, queryPlan } = preparedQuery;
      const skip = query.skip ?? 0;
      const limit = typeof query.limit === 'number' ? query.limit : Infinity;
      const matcher = queryPlan.selectorSatisfiedByIndex ? undefined : getQueryMatcher(this.schema, query);
      const descending = !queryPlan.sortSatisfiedByIndex && reverseOfIndex(queryPlan.index, query);
      const inOrder = queryPlan.sortSatisfiedByIndex || descending;
      const range = { ...this.rangeOf(preparedQuery), descending };
      let documents: RxDocumentData<Doc>[];
      if (inOrder) {
        documents = scanIndex(this.statement.bind(this), range, { matcher, skip, limit }) as RxDocumentData<Doc>[];
      } else {
        const all = scanIndex(this.statement.bind(this), range, { matcher, skip: 0, limit: Infinity }) as RxDocumentData<Doc>[];
        documents = all.sort(getSortComparator(this.schema, query)).slice(skip, skip + limit);
      }
      return Promise.resolve({ documents });
    } catch (cause) {
      return Promise.reject(asError(cause));
    }
  }

  count(preparedQuery: PreparedQuery<Doc>): Promise<RxStorageCountResult> {
    try {
      this.ensureOpen();
      const range = this.rangeOf(preparedQuery);
      if (preparedQuery.queryPlan.selectorSatisfiedByIndex) {
        const row = this.statement(`SELECT count(*) AS n FROM ${range.docs} INDEXED BY ${range.index} WHERE ${rangeWhere(range)}`).get(
          range.lower,
          range.upper,
        ) as { n: number };
        return Promise.resolve({ count: row.n, mode: 'fast' });
      }
      const matcher = getQueryMatcher(this.schema, preparedQuery.query);
      const count = scanIndex(this.statement.bind(this), range, { matcher, skip: 0, limit: Infinity }).length;
      return Promise.resolve({ count, mode: 'fast' });
    } catch (cause) {
      return Promise.reject(asError(cause));
    }
  }

  /** Changes in checkpoint order ([_meta.lwt, id]), strictly after the checkpoint: equal lwt continues by id. */
  getChangedDocumentsSince(
    limit: number,
    checkpoint?: RxStorageDefaultCheckpoint,
  ): Promise<{ documents: RxDocumentData<Doc>[]; checkpoint: RxStorageDefaultCheckpoint }> {
    try {
      this.ensureOpen();
      const fields = ['_meta.lwt', this.primaryPath].join(',');
      const position = this.byIndex.get(fields)!;
      const encoder = this.table.indexes[position]!;
      const documents = scanIndex(
        this.statement.bind(this),
        {
          docs: this.table.names.docs,
          column: `k${position}`,
          index: this.table.names.indexes[position]!,
          lower: checkpoint ? encoder.lowerBound([checkpoint.lwt, checkpoint.id]) : encoder.lowerBound([INDEX_MIN, INDEX_MIN]),
          upper: encoder.upperBound([INDEX_MAX, INDEX_MAX]),
          inclusiveLower: !checkpoint,
          inclusiveUpper: true,
          descending: false,
        },
        { skip: 0, limit },
      ) as RxDocumentData<Doc>[];
      const last = documents[documents.length - 1];
      return Promise.resolve({
        documents,
        checkpoint: last
          ? { id: (last as Record<string, unknown>)[this.primaryPath] as string, lwt: last._meta.lwt }
          : (checkpoint ?? { id: '', lwt: 0 }),
      });
    } catch (cause) {
      return Promise.reject(asError(cause));
    }
  }

  changeStream(): Observable<Changes<Doc>> {
    return this.table.changes$.asObservable();
  }

  /**
   * Deletes tombstones older than `minimumDeletedTime` ms in one statement: the tombstones
   * are one range (`_deleted` true) of an index that starts with `_deleted`, their age is
   * compared on the `[_meta.lwt, id]` key column of each. Deleting the rows is enough:
   * SQLite removes their index entries.
   */
  cleanup(minimumDeletedTime: number): Promise<boolean> {
    try {
      this.ensureOpen();
      const maxDeletionTime = now() - minimumDeletedTime;
      const tombstones = this.table.indexes.findIndex((encoder) => encoder.fields[0] === '_deleted');
      const byAge = this.byIndex.get(['_meta.lwt', this.primaryPath].join(','))!;
      const encoder = this.table.indexes[tombstones]!;
      const rest = encoder.fields.slice(1);
      this.statement(
        `DELETE FROM ${this.table.names.docs} INDEXED BY ${this.table.names.indexes[tombstones]!} WHERE k${tombstones} >= ? AND k${tombstones} <= ? AND k${byAge} <= ?`,
      ).run(
        encoder.lowerBound([true, ...rest.map(() => INDEX_MIN)]),
        encoder.upperBound([true, ...rest.map(() => INDEX_MAX)]),
        this.table.indexes[byAge]!.upperBound([maxDeletionTime, INDEX_MAX]),
      );
      return Promise.resolve(true);
    } catch (cause) {
      return Promise.reject(asError(cause));
    }
  }

  getAttachmentData(): Promise<Blob> {
    return Promise.reject(new Error('The SQLite storage of brain-store does not store attachments'));
  }

  async remove(): Promise<void> {
    this.ensureOpen();
    dropTable(this.db, { database: this.databaseName, collection: this.collectionName, version: this.schema.version }, this.table.names);
    this.internals.file.tables.delete(this.table.names.docs);
    await this.close();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.statements.clear();
    releaseSqliteFile(this.internals.file);
    return Promise.resolve();
  }
}

function asError(cause: unknown): Error {
  return cause instanceof Error ? cause : new Error(String(cause));
}

/**
 * RxDB's planner walks indexes upwards only and re-sorts any descending sort. When every
 * sort field is descending and, leaving out fields the selector pins to one value, the sort
 * is the index itself, the index read backwards is already in order: no full read and sort.
 */
function reverseOfIndex(index: readonly string[], query: PreparedQuery<unknown>['query']): boolean {
  const sort = query.sort.map((part) => Object.entries(part)[0]!);
  if (sort.length === 0 || sort.some(([, direction]) => direction !== 'desc')) return false;
  const pinned = (field: string) => {
    const condition = (query.selector as Record<string, unknown>)[field];
    if (typeof condition !== 'object' || condition === null || !('$eq' in condition)) return false;
    const value = condition.$eq;
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  };
  const sortFields = sort.map(([field]) => field).filter((field) => !pinned(field));
  const indexFields = index.filter((field) => !pinned(field));
  return sortFields.length === indexFields.length && sortFields.every((field, i) => field === indexFields[i]);
}
