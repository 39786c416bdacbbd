import type { SqlExecutor } from '../sql/sql-database.ts';
import type { PullPosition } from './document-store.ts';

/**
 * "Changed since a checkpoint", for a resync (docs/first-sync.md): the rows a pull from the
 * checkpoint would send — every row whose writing transaction the checkpoint's snapshot does
 * not see: one it listed as running, or one at or past its xmax. A row rewritten since has the
 * new transaction's id (the stamping trigger), so the predicate reads the row's current state.
 *
 * A checkpoint in the middle of a batch (`upto` set) has delivered part of that batch already;
 * those rows count as changed too: a resync may bring a document the pull already brought
 * (RxDB skips it unchanged), never leaves one out.
 *
 * The bounds are parameters, not computed inside the statement, so the planner sees them and
 * walks the pull's index (collection, workspace_id, xid, seq) for both ranges.
 */
export interface ChangedSince {
  /** The snapshot's xmax: every transaction at or past it is unseen. */
  readonly xmax: string;
  /** The transactions it listed as running. */
  readonly running: readonly string[];
}

export function changedSince(position: PullPosition): ChangedSince {
  const [, xmax, xip] = position.prev.split(':');
  return { xmax: xmax!, running: xip ? xip.split(',') : [] };
}

/**
 * The predicate on alias `d`, its two bounds appended to `params` (SQL placeholders).
 */
export function changedPredicate(since: ChangedSince, params: unknown[]): string {
  const xmax = `$${params.push(since.xmax)}`;
  const running = `$${params.push(since.running)}`;
  return `(d.xid >= ${xmax}::xid8 OR d.xid = ANY(${running}::xid8[]))`;
}

/** Rows changed since the checkpoint per workspace, deletes included (those with none are absent). */
export async function countChanged(
  db: SqlExecutor,
  collection: string,
  workspaces: readonly string[],
  since: ChangedSince,
): Promise<Map<string, number>> {
  const params: unknown[] = [collection, workspaces];
  const rows = await db.query<{ ws: string; n: string | number }>(
    `SELECT d.workspace_id AS ws, count(*) AS n FROM brain_store_documents d
     WHERE d.collection = $1 AND d.workspace_id = ANY($2::text[]) AND ${changedPredicate(since, params)}
     GROUP BY d.workspace_id`,
    params,
  );
  return new Map(rows.map((row) => [row.ws, Number(row.n)]));
}
