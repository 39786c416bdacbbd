import type Database from 'better-sqlite3';

/** A range of one index table, as RxDB's query plan describes it, in SQL terms. */
export interface IndexRange {
  /** The document table, its key column and the SQLite index on that column. */
  readonly docs: string;
  readonly column: string;
  readonly index: string;
  readonly lower: Buffer;
  readonly upper: Buffer;
  readonly inclusiveLower: boolean;
  readonly inclusiveUpper: boolean;
  readonly descending: boolean;
}

export interface ScanOptions {
  /** RxDB's matcher for what the index range alone does not decide; absent: every row matches. */
  readonly matcher?: ((doc: never) => boolean) | undefined;
  readonly skip: number;
  readonly limit: number;
}

/** The SQL condition of a range on its key column (parameters: lower, upper). */
export function rangeWhere(range: IndexRange): string {
  return `${range.column} ${range.inclusiveLower ? '>=' : '>'} ? AND ${range.column} ${range.inclusiveUpper ? '<=' : '<'} ?`;
}

/**
 * Reads documents along an index range, in key order (or reverse), skipping and limiting.
 * Without a matcher SQLite does the skip and limit; with one, rows stream (iterate) and
 * the scan stops as soon as enough matched, so a selective filter never reads the rest.
 */
export function scanIndex(statement: (sql: string) => Database.Statement, range: IndexRange, options: ScanOptions): unknown[] {
  if (options.limit <= 0) return [];
  const base = `SELECT doc FROM ${range.docs} INDEXED BY ${range.index} WHERE ${rangeWhere(range)} ORDER BY ${range.column} ${range.descending ? 'DESC' : 'ASC'}`;
  if (!options.matcher) {
    const limit = Number.isFinite(options.limit) ? options.limit : -1;
    const rows = statement(`${base} LIMIT ? OFFSET ?`).all(range.lower, range.upper, limit, options.skip) as { doc: string }[];
    return rows.map((row) => JSON.parse(row.doc) as unknown);
  }
  const wanted = options.skip + options.limit;
  const matched: unknown[] = [];
  const cursor = statement(base).iterate(range.lower, range.upper) as IterableIterator<{ doc: string }>;
  for (const row of cursor) {
    const doc = JSON.parse(row.doc) as never;
    if (!options.matcher(doc)) continue;
    matched.push(doc);
    if (matched.length >= wanted) break; // for…of closes the statement's cursor
  }
  return matched.slice(options.skip);
}
