import type { SqlExecutor } from '../sql/sql-database.ts';
import { findUnsafeText } from './find-unsafe-text.ts';

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
  readonly doc: Record<string, unknown>;
  readonly deleted: boolean;
  readonly tx: string;
  readonly seq: string;
}

export const CHANGES_CHANNEL = 'brain_store_changes';

/** $1 collection, $2 workspaces, $3/$4 checkpoint (tx, seq), $5 limit. See pullPage. */
export const PULL_SQL = `WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin),
   page AS (
     SELECT p.doc, p.deleted, p.xid, p.seq FROM unnest($2::text[]) AS w(ws)
     CROSS JOIN LATERAL (
       SELECT d.doc, d.deleted, d.xid, d.seq FROM brain_store_documents d
       WHERE d.collection = $1 AND d.workspace_id = w.ws
         AND (d.xid, d.seq) > ($3::xid8, $4::bigint)
         AND d.xid < (SELECT xmin FROM horizon)
       ORDER BY d.xid, d.seq LIMIT $5
     ) p
     ORDER BY p.xid, p.seq LIMIT $5
   )
   SELECT doc, deleted, xid::text AS tx, seq::text AS seq, false AS withheld FROM page
   UNION ALL
   SELECT NULL, NULL, NULL, NULL, true WHERE EXISTS (
     SELECT 1 FROM unnest($2::text[]) AS w(ws) JOIN brain_store_documents d
       ON d.collection = $1 AND d.workspace_id = w.ws
     WHERE (d.xid, d.seq) > ($3::xid8, $4::bigint) AND d.xid >= (SELECT xmin FROM horizon))`;

/** A stable string for a (workspace, id) pair, for maps. */
export function keyOf(key: DocumentKey): string {
  return JSON.stringify([key.ws, key.id]);
}

/**
 * One page of a pull. Only rows written by transactions below the snapshot's xmin are
 * returned: every transaction with a lower id has ended, so no row can later appear
 * behind the returned checkpoint. Each workspace is one ordered index range scan; the
 * pages are merged and cut to `limit`. `withheld` says rows exist above the horizon (a
 * transaction still running below them); the caller re-pokes until they become visible.
 */
export async function pullPage(
  db: SqlExecutor,
  args: { collection: string; workspaces: readonly string[]; after: { tx: string; seq: string }; limit: number },
): Promise<{ rows: PulledRow[]; withheld: boolean }> {
  const result = await db.query<{
    doc: Record<string, unknown> | null;
    deleted: boolean | null;
    tx: string | null;
    seq: string | null;
    withheld: boolean;
  }>(PULL_SQL, [args.collection, args.workspaces, args.after.tx, args.after.seq, args.limit]);
  const rows: PulledRow[] = [];
  let withheld = false;
  for (const row of result) {
    if (row.withheld) withheld = true;
    else rows.push({ doc: row.doc!, deleted: row.deleted!, tx: row.tx!, seq: row.seq! });
  }
  // UNION ALL keeps no order by contract: sort by (tx, seq) numerically here.
  rows.sort((a, b) => compareDecimal(a.tx, b.tx) || compareDecimal(a.seq, b.seq));
  return { rows, withheld };
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

/** Overwrites rows the caller has locked. */
export async function updateDocuments(
  db: SqlExecutor,
  collection: string,
  rows: readonly StoredDocument[],
  receivedAt: number,
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE brain_store_documents d SET doc = r.doc, deleted = r.deleted, received_at = $3
     FROM jsonb_to_recordset($2::jsonb) AS r(ws text, id text, doc jsonb, deleted boolean)
     WHERE d.collection = $1 AND d.workspace_id = r.ws AND d.id = r.id`,
    [collection, serializeRows(rows), receivedAt],
  );
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
  const list = [...workspaces];
  // `o`: the client whose push this was; its own streams are not poked (no echo pulls).
  const payload = JSON.stringify({ c: collection, w: list, ...(origin ? { o: origin } : {}) });
  await db.query('SELECT pg_notify($1, $2)', [
    CHANGES_CHANNEL,
    Buffer.byteLength(payload) <= MAX_NOTIFY_WORKSPACES_BYTES
      ? payload
      : JSON.stringify({ c: collection, ...(origin ? { o: origin } : {}) }),
  ]);
}
