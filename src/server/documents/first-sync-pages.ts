import type { FirstSyncPart } from '../../collections/first-sync-parts.ts';
import type { SqlExecutor } from '../sql/sql-database.ts';
import { findUnsafeText } from './find-unsafe-text.ts';
import { changedPredicate, type ChangedSince } from './changed-since.ts';
import { pageWithinBytes } from './page-within-bytes.ts';

/**
 * The SQL of a first sync's reads. Every statement is filtered by collection and workspace
 * in the SQL itself, as the pull is, and reads live rows only: a client with nothing has no
 * use for tombstones, and deletes made after the checkpoint come by the pull that follows.
 */

/** The snapshot a first sync's checkpoint names; taken before any page is read. */
export async function currentSnapshot(db: SqlExecutor): Promise<string> {
  const [row] = await db.query<{ snap: string }>('SELECT pg_current_snapshot()::text AS snap');
  return row!.snap;
}

/** Live documents per workspace (those with none are absent). */
export async function countLive(db: SqlExecutor, collection: string, workspaces: readonly string[]): Promise<Map<string, number>> {
  const rows = await db.query<{ ws: string; n: string | number }>(
    `SELECT workspace_id AS ws, count(*) AS n FROM brain_store_documents
     WHERE collection = $1 AND workspace_id = ANY($2::text[]) AND NOT deleted GROUP BY workspace_id`,
    [collection, workspaces],
  );
  return new Map(rows.map((row) => [row.ws, Number(row.n)]));
}

/** A page of a first sync: its documents in order, and whether the byte budget left rows of the page out. */
export interface FirstSyncRows {
  readonly ids: string[];
  readonly docs: Record<string, unknown>[];
  /** Rows the page read before the byte budget (its row limit or fewer): more than kept means cut by bytes. */
  readonly read: number;
  /** The JSON text bytes of the documents kept (what the budget counted; the cost budget charges them). */
  readonly bytes: number;
}

/** The rows of `page` (a statement selecting `d.id, d.doc` in `order`), in that order, within the byte budget (`budget`). */
function withinBytes(page: string, order: string, budget: string): string {
  return `WITH page AS MATERIALIZED (${page}),
   ${pageWithinBytes(order, budget)}
   SELECT d.id, d.doc, d.bytes, (SELECT count(*) FROM page) AS page_rows FROM within d ORDER BY ${order}`;
}

async function budgetedRows(db: SqlExecutor, sql: string, params: readonly unknown[]): Promise<FirstSyncRows> {
  const rows = await db.query<{ id: string; doc: Record<string, unknown>; bytes: string | number; page_rows: string | number }>(
    sql,
    params,
  );
  return {
    ids: rows.map((row) => row.id),
    docs: rows.map((row) => row.doc),
    read: rows.length === 0 ? 0 : Number(rows[0]!.page_rows),
    bytes: rows.reduce((sum, row) => sum + Number(row.bytes), 0),
  };
}

/** The byte budget as the statement's parameter (at least 1: the first row always goes). */
const budgetParameter = (maxBytes: number) => String(Math.max(1, Math.floor(Math.min(maxBytes, Number.MAX_SAFE_INTEGER))));

/**
 * A page of the head of a part: its filter as equalities on `doc->>field`, its order over the
 * same expressions (numbers cast), ties by id; one sort of the workspace's matching rows.
 * `offset` documents of the part were sent before (a head page cut by bytes continues there:
 * a row the shifting head skips meanwhile still comes with the rest, which reads every live
 * document). Field names come from the collection declaration (checked by
 * checkFirstSyncParts) and are passed as parameters all the same.
 *
 * With `since` (a resync), only the documents changed since that checkpoint: the head of what
 * the device has not seen yet.
 */
export async function headPage(
  db: SqlExecutor,
  args: { collection: string; workspace: string; part: FirstSyncPart; offset: number; maxBytes: number; since?: ChangedSince | undefined },
): Promise<FirstSyncRows> {
  const params: unknown[] = [args.collection, args.workspace, Math.max(0, args.part.limit - args.offset), args.offset];
  const parameter = (value: unknown) => `$${params.push(value)}`;
  const budget = parameter(budgetParameter(args.maxBytes));
  const where = partFilter(args.part, params, args.since);
  const order = [
    ...args.part.order.map(
      (key) =>
        `${key.type === 'number' ? `(d.doc->>${parameter(key.field)})::numeric` : `d.doc->>${parameter(key.field)} COLLATE "C"`} ${key.direction.toUpperCase()}`,
    ),
    'd.id COLLATE "C" ASC',
  ].join(', ');
  const page = `SELECT d.id, d.doc FROM brain_store_documents d
     WHERE d.collection = $1 AND d.workspace_id = $2 AND NOT d.deleted ${where}
     ORDER BY ${order} LIMIT $3 OFFSET $4`;
  return budgetedRows(db, withinBytes(page, order, budget), params);
}

/** The part's equalities (and, for a resync, "changed since"), each clause prefixed with AND. */
function partFilter(part: FirstSyncPart, params: unknown[], since: ChangedSince | undefined): string {
  const parameter = (value: unknown) => `$${params.push(value)}`;
  const clauses = Object.entries(part.where).map(([field, value]) => `d.doc->>${parameter(field)} = ${parameter(value)}`);
  if (since) clauses.push(changedPredicate(since, params));
  return clauses.map((clause) => `AND ${clause}`).join(' ');
}

/** How many live documents changed since the checkpoint a head part holds in a workspace (at most its limit). */
export async function countChangedHead(
  db: SqlExecutor,
  args: { collection: string; workspace: string; part: FirstSyncPart; since: ChangedSince },
): Promise<number> {
  const params: unknown[] = [args.collection, args.workspace, args.part.limit];
  const where = partFilter(args.part, params, args.since);
  const [row] = await db.query<{ n: string | number }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM brain_store_documents d
       WHERE d.collection = $1 AND d.workspace_id = $2 AND NOT d.deleted ${where} LIMIT $3) s`,
    params,
  );
  return Number(row?.n ?? 0);
}

/**
 * Of the documents `ids` (what a resyncing client holds at the head of its queue), those
 * changed since the checkpoint, in their current version with `_deleted` — deleted ones
 * included: a document that left the head must leave the client's. By id, within the byte
 * budget; an unchanged one is not sent (the client's copy is the server's).
 */
export async function heldPage(
  db: SqlExecutor,
  args: { collection: string; workspace: string; ids: readonly string[]; since: ChangedSince; maxBytes: number },
): Promise<FirstSyncRows> {
  // An id with a NUL or a lone surrogate names no stored row, and PostgreSQL would refuse the statement.
  const ids = args.ids.filter((id) => findUnsafeText([id]) === null);
  const params: unknown[] = [args.collection, args.workspace, ids, budgetParameter(args.maxBytes)];
  const changed = changedPredicate(args.since, params);
  const page = `SELECT d.id, d.doc || jsonb_build_object('_deleted', d.deleted) AS doc FROM brain_store_documents d
     WHERE d.collection = $1 AND d.workspace_id = $2 AND d.id = ANY($3::text[]) AND ${changed}
     ORDER BY d.id COLLATE "C"`;
  return budgetedRows(db, withinBytes(page, 'd.id COLLATE "C"', '$4'), params);
}

/**
 * One page of the rest: live documents by id descending after `after` (newest first, ids
 * being time-ordered), a backward walk of the primary key that stops after the page, and
 * within the byte budget.
 */
export async function restPage(
  db: SqlExecutor,
  args: { collection: string; workspace: string; after: string | null; limit: number; maxBytes: number },
): Promise<FirstSyncRows> {
  const from = args.after === null ? '' : 'AND d.id < $5';
  const page = `SELECT d.id, d.doc FROM brain_store_documents d
     WHERE d.collection = $1 AND d.workspace_id = $2 ${from} AND NOT d.deleted
     ORDER BY d.collection DESC, d.workspace_id DESC, d.id DESC LIMIT $3`;
  const params = [args.collection, args.workspace, args.limit, budgetParameter(args.maxBytes)];
  if (args.after !== null) params.push(args.after);
  return budgetedRows(db, withinBytes(page, 'd.id DESC', '$4'), params);
}
