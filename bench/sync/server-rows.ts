/**
 * Direct SQL on the sync server's table: fast seeding, and the raw baselines the sync
 * figures are compared with (the same statement shapes the server runs, minus HTTP, token
 * checks, validation and RxDB).
 */
import { pullPage, type PullPosition, type PulledRow } from '../../src/server/documents/document-store.ts';
import { EMPTY_SNAPSHOT } from '../../src/server/sql/pg-snapshot.ts';
import type { SqlDatabase } from '../../src/server/sql/sql-database.ts';

const TABLE = 'brain_store_documents';

/** Inserts documents of one collection in chunks (one statement, one transaction each); the stamping trigger runs as for any write. */
export async function insertRows(
  sql: SqlDatabase,
  collection: string,
  docs: readonly (Record<string, unknown> & { id: string; workspace_id: string })[],
  chunk: number,
): Promise<void> {
  const receivedAt = Date.now();
  for (let start = 0; start < docs.length; start += chunk) {
    const rows = docs.slice(start, start + chunk).map((doc) => ({ ws: doc.workspace_id, id: doc.id, doc, deleted: false }));
    await sql.query(
      `INSERT INTO ${TABLE} (collection, workspace_id, id, doc, deleted, received_at)
       SELECT $1, r.ws, r.id, r.doc, r.deleted, $3
       FROM jsonb_to_recordset($2::jsonb) AS r(ws text, id text, doc jsonb, deleted boolean)`,
      [collection, JSON.stringify(rows), receivedAt],
    );
  }
}

/** Reads every document of a workspace page by page with the server's own pull statement. */
export async function selectAllPages(
  sql: SqlDatabase,
  collection: string,
  workspace: string,
  batchSize: number,
): Promise<{ rows: PulledRow[]; pages: number }> {
  const rows: PulledRow[] = [];
  let from: PullPosition = { prev: EMPTY_SNAPSHOT, upto: null, tx: '0', seq: '0' };
  let pages = 0;
  for (;;) {
    const page = await pullPage(sql, { collection, workspaces: [workspace], from, limit: batchSize });
    pages += 1;
    for (const row of page.rows) rows.push(row);
    if (page.rows.length < batchSize) return { rows, pages };
    from = page.next;
  }
}

export async function countRows(sql: SqlDatabase, collection: string, workspace: string): Promise<number> {
  const [row] = await sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${TABLE} WHERE collection = $1 AND workspace_id = $2`, [
    collection,
    workspace,
  ]);
  return Number(row?.n ?? 0);
}

/** Removes a workspace's rows and vacuums, so the next write starts from a table without dead tuples. */
export async function clearWorkspace(sql: SqlDatabase, collection: string, workspace: string): Promise<void> {
  await sql.query(`DELETE FROM ${TABLE} WHERE collection = $1 AND workspace_id = $2`, [collection, workspace]);
  await sql.query(`VACUUM ANALYZE ${TABLE}`);
}
