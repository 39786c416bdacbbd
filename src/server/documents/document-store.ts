import { isRetryableSqlError, type SqlExecutor } from '../sql/sql-database.ts';
import { findUnsafeText } from './find-unsafe-text.ts';
import { pageWithinBytes } from './page-within-bytes.ts';

/**
 * The SQL of the documents table, one function per statement. Every write goes through
 * the stamping trigger (xid, seq); every read is filtered by collection and workspace in
 * the SQL itself.
 */

export interface DocumentKey {
  readonly ws: string;
  readonly id: string;
}

export interface StoredDocument extends DocumentKey {
  readonly doc: Record<string, unknown>;
  readonly deleted: boolean;
}

export interface PulledRow {
  readonly ws: string;
  readonly doc: Record<string, unknown>;
  readonly deleted: boolean;
  readonly tx: string;
  readonly seq: string;
  /** Length of the document's JSON text as PostgreSQL renders it (what the page budget counts). */
  readonly bytes: number;
}

/**
 * Where a pull stands: every row written by a transaction visible in `prev` was delivered;
 * the batch toward the snapshot `upto` (null: the current one) was delivered through (tx, seq).
 */
export interface PullPosition {
  readonly prev: string;
  readonly upto: string | null;
  readonly tx: string;
  readonly seq: string;
}

export const CHANGES_CHANNEL = 'brain_store_changes';

/**
 * One batch page: rows whose writing transaction is visible in the target snapshot ($4, or
 * the statement's own snapshot when null) but was not in the previous one ($3), after the
 * cursor ($5, $6), at most $7. "Not visible in prev" is index ranges per workspace: one per
 * transaction prev listed as running (if it has ended by the target), and one from prev's
 * xmax up to the target's, starting after ($8, $9) (see rangeStart). The last row names the
 * target snapshot, so a page cut short can continue toward the same one, and how many rows
 * the page had before the byte budget ($10, issue 23: see pageWithinBytes).
 */
export const PULL_SQL = `WITH b AS MATERIALIZED (
     SELECT s.target, pg_snapshot_xmax(s.prev) AS prev_xmax, ARRAY(SELECT pg_snapshot_xip(s.prev)) AS prev_xip,
       pg_snapshot_xmax(s.target) AS target_xmax
     FROM (SELECT $3::pg_snapshot AS prev, COALESCE($4::pg_snapshot, pg_current_snapshot()) AS target) s
   ),
   page AS (
     SELECT w.ws, p.doc, p.deleted, p.xid, p.seq FROM b CROSS JOIN unnest($2::text[]) AS w(ws)
     CROSS JOIN LATERAL (
       (SELECT q.doc, q.deleted, q.xid, q.seq FROM unnest(b.prev_xip) AS x(xid)
        CROSS JOIN LATERAL (
          SELECT d.doc, d.deleted, d.xid, d.seq FROM brain_store_documents d
          WHERE d.collection = $1 AND d.workspace_id = w.ws AND d.xid = x.xid
           AND d.seq > CASE WHEN x.xid = $5::xid8 THEN $6::bigint ELSE -1 END
          ORDER BY d.seq LIMIT $7
        ) q
        WHERE x.xid >= $5::xid8 AND pg_visible_in_snapshot(x.xid, b.target)
        ORDER BY q.xid, q.seq LIMIT $7)
       UNION ALL
       (SELECT d.doc, d.deleted, d.xid, d.seq FROM brain_store_documents d
        WHERE d.collection = $1 AND d.workspace_id = w.ws AND (d.xid, d.seq) > ($8::xid8, $9::bigint)
          AND d.xid < b.target_xmax AND pg_visible_in_snapshot(d.xid, b.target)
        ORDER BY d.xid, d.seq LIMIT $7)
     ) p
     ORDER BY p.xid, p.seq LIMIT $7
   ),
   ${pageWithinBytes('d.xid, d.seq', '$10')}
   SELECT ws, doc, deleted, xid::text AS tx, seq::text AS seq, bytes, NULL AS target, NULL::bigint AS page_rows
   FROM within
   UNION ALL
   SELECT NULL, NULL, NULL, NULL, NULL, NULL, target::text, (SELECT count(*) FROM page) FROM b`;

/** A stable string for a (workspace, id) pair, for maps. */
export function keyOf(key: DocumentKey): string {
  return JSON.stringify([key.ws, key.id]);
}

/**
 * One page of a pull, PgQ-style. Each snapshot sees a transaction once it has ended, so the
 * rows "visible in the next snapshot but not in the previous one" are exactly the rows made
 * visible in between: a transaction still open (here, in another database, anywhere) holds
 * back only its own rows, which arrive in the batch after it commits; no row is ever skipped
 * or repeated. A batch bigger than `limit` is paged in (tx, seq) order toward a *fixed*
 * target snapshot: rows rewritten meanwhile leave the batch (their new transaction is not
 * visible in the target) and come in the next one. When a batch runs out the page goes on
 * into the next batch, so a page shorter than `limit` always means "caught up".
 */
export async function pullPage(
  db: SqlExecutor,
  args: {
    collection: string;
    workspaces: readonly string[];
    from: PullPosition;
    limit: number;
    /** Deliver toward this snapshot instead of the current one (the change feed's position). */
    target?: string | undefined;
    /** JSON bytes of documents per page (the first row always goes); default unbounded. */
    maxBytes?: number | undefined;
  },
): Promise<{ rows: PulledRow[]; next: PullPosition; more: boolean }> {
  const { from, limit, target } = args;
  const maxBytes = args.maxBytes ?? UNBOUNDED_BYTES;
  const first = await pullBatch(db, args, from.upto === null && target !== undefined ? { ...from, upto: target } : from, limit, maxBytes);
  if (first.more) return cut(first.rows, from.prev, first.target);
  if (from.upto === null) return { rows: first.rows, next: { prev: first.target, upto: null, tx: '0', seq: '0' }, more: false };
  // The fixed batch is done: go on with the next one (toward the current snapshot).
  const remaining = limit - first.rows.length;
  const remainingBytes = maxBytes - sumBytes(first.rows);
  const between: PullPosition = { prev: from.upto, upto: null, tx: '0', seq: '0' };
  // The budget is spent: the next batch may hold rows, so the caller is told to pull again.
  if (remainingBytes <= 0 && remaining > 0) return { rows: first.rows, next: between, more: true };
  const second = await pullBatch(db, args, { ...between, upto: target ?? null }, remaining, remainingBytes);
  if (second.more) {
    const rest = cut(second.rows, from.upto, second.target);
    return { rows: [...first.rows, ...rest.rows], next: rest.next, more: true };
  }
  return { rows: [...first.rows, ...second.rows], next: { prev: second.target, upto: null, tx: '0', seq: '0' }, more: false };
}

/** Larger than any page: the byte budget of callers that set none. */
const UNBOUNDED_BYTES = Number.MAX_SAFE_INTEGER;

function sumBytes(rows: readonly PulledRow[]): number {
  let total = 0;
  for (const row of rows) total += row.bytes;
  return total;
}

/** The rows of a batch that has more; the position stays inside the batch. */
function cut(rows: PulledRow[], prev: string, target: string): { rows: PulledRow[]; next: PullPosition; more: true } {
  const last = rows.at(-1);
  return { rows, next: { prev, upto: target, tx: last?.tx ?? '0', seq: last?.seq ?? '0' }, more: true };
}

/**
 * At most `limit` rows of one batch, within `maxBytes` (the first row always), the batch's
 * target snapshot, and whether the batch holds more (a row past the limit, or rows left out
 * by the byte budget).
 */
async function pullBatch(
  db: SqlExecutor,
  args: { collection: string; workspaces: readonly string[] },
  from: PullPosition,
  limit: number,
  maxBytes: number,
): Promise<{ rows: PulledRow[]; target: string; more: boolean }> {
  const result = await db.query<{
    ws: string | null;
    doc: Record<string, unknown> | null;
    deleted: boolean | null;
    tx: string | null;
    seq: string | null;
    bytes: string | number | null;
    target: string | null;
    page_rows: string | number | null;
  }>(PULL_SQL, pullParameters(args, from, limit + 1, maxBytes));
  let rows: PulledRow[] = [];
  let target = from.upto ?? '';
  let pageRows = 0;
  for (const row of result) {
    if (row.target !== null) {
      target = row.target;
      pageRows = Number(row.page_rows);
    } else rows.push({ ws: row.ws!, doc: row.doc!, deleted: row.deleted!, tx: row.tx!, seq: row.seq!, bytes: Number(row.bytes) });
  }
  // UNION ALL keeps no order by contract: sort by (tx, seq) numerically here.
  rows.sort((a, b) => compareDecimal(a.tx, b.tx) || compareDecimal(a.seq, b.seq));
  const more = rows.length > limit || pageRows > rows.length;
  if (rows.length > limit) rows = rows.slice(0, limit);
  return { rows, target, more };
}

/** The parameters of PULL_SQL for one batch page of at most `limit` rows and `maxBytes` of documents. */
export function pullParameters(
  args: { collection: string; workspaces: readonly string[] },
  from: PullPosition,
  limit: number,
  maxBytes = UNBOUNDED_BYTES,
): unknown[] {
  const budget = String(Math.max(1, Math.floor(maxBytes)));
  return [args.collection, args.workspaces, from.prev, from.upto, from.tx, from.seq, limit, ...rangeStart(from), budget];
}

/**
 * Where the range scan after prev's xmax starts: after the cursor, and never before that
 * xmax (every transaction below it that prev did not list as running was delivered). One
 * lower bound, given as values so the planner sees them: two bounds (xmax and the cursor)
 * made PostgreSQL start at the looser one and read the whole workspace on every caught-up
 * pull, and a bound computed inside the statement hid its selectivity, so pages of a big
 * first sync became a bitmap scan and sort of everything after the cursor.
 */
function rangeStart(from: PullPosition): [string, string] {
  const prevXmax = from.prev.split(':')[1]!;
  return BigInt(from.tx) >= BigInt(prevXmax) ? [from.tx, from.seq] : [prevXmax, '-1'];
}

function compareDecimal(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads documents by key. With `lock`, takes row locks in key order, so concurrent pushes
 * serialize per document and two batches can never deadlock on each other.
 */
export async function readDocuments(
  db: SqlExecutor,
  collection: string,
  keys: readonly DocumentKey[],
  lock: boolean,
): Promise<Map<string, StoredDocument>> {
  const found = new Map<string, StoredDocument>();
  // A key with a NUL or a lone surrogate names no stored row (none could be stored) and
  // would make PostgreSQL refuse the whole statement: a refused row's master lookup for
  // such an id turned one bad row into a 500 for the batch (issue 11, hostile input).
  const storable = keys.filter(({ ws, id }) => findUnsafeText([ws, id]) === null);
  if (storable.length === 0) return found;
  const rows = await db.query<StoredDocument>(
    `SELECT d.workspace_id AS ws, d.id, d.doc, d.deleted
     FROM jsonb_to_recordset($2::jsonb) AS k(ws text, id text)
     JOIN brain_store_documents d ON d.collection = $1 AND d.workspace_id = k.ws AND d.id = k.id
     ORDER BY d.workspace_id, d.id ${lock ? 'FOR UPDATE OF d' : ''}`,
    [collection, JSON.stringify(storable.map(({ ws, id }) => ({ ws, id })))],
  );
  for (const row of rows) found.set(keyOf(row), row);
  return found;
}

/** Inserts rows that do not exist yet; returns the keys actually inserted (a concurrent insert wins the others). */
export async function insertDocuments(
  db: SqlExecutor,
  collection: string,
  rows: readonly StoredDocument[],
  receivedAt: number,
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const inserted = await db.query<DocumentKey>(
    `INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, received_at)
     SELECT $1, r.ws, r.id, r.doc, r.deleted, $3
     FROM jsonb_to_recordset($2::jsonb) AS r(ws text, id text, doc jsonb, deleted boolean)
     ORDER BY r.ws, r.id
     ON CONFLICT DO NOTHING
     RETURNING workspace_id AS ws, id`,
    [collection, serializeRows(rows), receivedAt],
  );
  return new Set(inserted.map(keyOf));
}

/**
 * Inserts rows that are all new, with the change notice, as one statement outside any
 * transaction: one round trip, atomic on its own, its notice sent when it commits. A plain
 * INSERT (no ON CONFLICT, no rows returned): PostgreSQL spent about a fifth more on the same
 * rows with ON CONFLICT DO NOTHING RETURNING. Returns false, having written nothing, when
 * a row already exists (a resend, or a concurrent push of the same document) or the
 * statement deadlocked: the caller then takes the general path. Other errors are thrown.
 */
export async function insertNewDocuments(
  db: SqlExecutor,
  collection: string,
  rows: readonly StoredDocument[],
  receivedAt: number,
  notice: string,
): Promise<boolean> {
  if (rows.length === 0) return true;
  try {
    // Data-modifying CTEs always run to completion; the SELECT adds the notice in the same
    // statement, so a failed insert sends nothing. Key order, as every other write takes it.
    await db.query(
      `WITH written AS (
         INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, received_at)
         SELECT $1, r.ws, r.id, r.doc, r.deleted, $3
         FROM jsonb_to_recordset($2::jsonb) AS r(ws text, id text, doc jsonb, deleted boolean)
         ORDER BY r.ws, r.id
       )
       SELECT pg_notify($4, $5)`,
      [collection, serializeRows(rows), receivedAt, CHANGES_CHANNEL, notice],
    );
    return true;
  } catch (error) {
    // A unique violation (a row exists), or a deadlock or serialization failure: nothing was
    // written, decide row by row.
    if (isRetryableSqlError(error) || (error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) return false;
    throw error;
  }
}

const UNIQUE_VIOLATION = '23505';

/**
 * Overwrites rows the caller has locked. With `notice`, the change notice goes in the same
 * statement (one round trip less for the common push of one edit).
 */
export async function updateDocuments(
  db: SqlExecutor,
  collection: string,
  rows: readonly StoredDocument[],
  receivedAt: number,
  notice?: string,
): Promise<void> {
  if (rows.length === 0) return;
  const update = `UPDATE brain_store_documents d SET doc = r.doc, deleted = r.deleted, received_at = $3
     FROM jsonb_to_recordset($2::jsonb) AS r(ws text, id text, doc jsonb, deleted boolean)
     WHERE d.collection = $1 AND d.workspace_id = r.ws AND d.id = r.id`;
  const params = [collection, serializeRows(rows), receivedAt];
  if (notice === undefined) await db.query(update, params);
  else await db.query(`WITH written AS (${update} RETURNING 1) SELECT pg_notify($4, $5)`, [...params, CHANGES_CHANNEL, notice]);
}

function serializeRows(rows: readonly StoredDocument[]): string {
  return JSON.stringify(rows.map(({ ws, id, doc, deleted }) => ({ ws, id, doc, deleted })));
}

/** Largest NOTIFY payload PostgreSQL accepts is 8000 bytes; beyond this the workspaces are left out. */
const MAX_NOTIFY_WORKSPACES_BYTES = 7_000;

/**
 * Queues a change notice, delivered by PostgreSQL only when the transaction commits. The
 * payload names the collection and workspaces so instances poke only the streams concerned;
 * when the list is too long it is left out and every stream of the collection is poked.
 */
export async function notifyChange(db: SqlExecutor, collection: string, workspaces: ReadonlySet<string>, origin?: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, changeNotice(collection, workspaces, origin)]);
}

/** The payload of a change notice on CHANGES_CHANNEL: `{ c, w?, o? }`. */
export function changeNotice(collection: string, workspaces: ReadonlySet<string>, origin?: string): string {
  // `o`: the client whose push this was; its own streams are not poked (no echo pulls).
  const payload = JSON.stringify({ c: collection, w: [...workspaces], ...(origin ? { o: origin } : {}) });
  return Buffer.byteLength(payload) <= MAX_NOTIFY_WORKSPACES_BYTES
    ? payload
    : JSON.stringify({ c: collection, ...(origin ? { o: origin } : {}) });
}
