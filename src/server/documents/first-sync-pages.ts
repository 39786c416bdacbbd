import type { FirstSyncPart } from '../../collections/first-sync-parts.ts';
import type { SqlExecutor } from '../sql/sql-database.ts';

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

/**
 * The head of a part: its filter as equalities on `doc->>field`, its order over the same
 * expressions (numbers cast), ties by id; one sort of the workspace's matching rows, read once.
 * Field names come from the collection declaration (checked by checkFirstSyncParts) and are
 * passed as parameters all the same.
 */
export async function headPage(
  db: SqlExecutor,
  args: { collection: string; workspace: string; part: FirstSyncPart },
): Promise<Record<string, unknown>[]> {
  const params: unknown[] = [args.collection, args.workspace, args.part.limit];
  const parameter = (value: unknown) => `$${params.push(value)}`;
  const where = Object.entries(args.part.where).map(([field, value]) => `d.doc->>${parameter(field)} = ${parameter(value)}`);
  const order = args.part.order.map(
    (key) =>
      `${key.type === 'number' ? `(d.doc->>${parameter(key.field)})::numeric` : `d.doc->>${parameter(key.field)} COLLATE "C"`} ${key.direction.toUpperCase()}`,
  );
  const rows = await db.query<{ doc: Record<string, unknown> }>(
    `SELECT d.doc FROM brain_store_documents d
     WHERE d.collection = $1 AND d.workspace_id = $2 AND NOT d.deleted ${where.map((clause) => `AND ${clause}`).join(' ')}
     ORDER BY ${[...order, 'd.id COLLATE "C" ASC'].join(', ')} LIMIT $3`,
    params,
  );
  return rows.map((row) => row.doc);
}

/**
 * One page of the rest: live documents by id descending after `after` (newest first, ids
 * being time-ordered), a backward walk of the primary key that stops after the page.
 */
export async function restPage(
  db: SqlExecutor,
  args: { collection: string; workspace: string; after: string | null; limit: number },
): Promise<{ ids: string[]; docs: Record<string, unknown>[] }> {
  const rows =
    args.after === null
      ? await db.query<{ id: string; doc: Record<string, unknown> }>(
          `SELECT id, doc FROM brain_store_documents
           WHERE collection = $1 AND workspace_id = $2 AND NOT deleted ORDER BY collection DESC, workspace_id DESC, id DESC LIMIT $3`,
          [args.collection, args.workspace, args.limit],
        )
      : await db.query<{ id: string; doc: Record<string, unknown> }>(
          `SELECT id, doc FROM brain_store_documents
           WHERE collection = $1 AND workspace_id = $2 AND id < $4 AND NOT deleted ORDER BY collection DESC, workspace_id DESC, id DESC LIMIT $3`,
          [args.collection, args.workspace, args.limit, args.after],
        );
  return { ids: rows.map((row) => row.id), docs: rows.map((row) => row.doc) };
}
