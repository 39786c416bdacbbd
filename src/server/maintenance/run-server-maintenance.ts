import { DAY_MS } from '../../collections/fields.ts';
import { notifyChange, updateDocuments, type StoredDocument } from '../documents/document-store.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import { sameContent } from '../documents/same-content.ts';
import { withRetriedTransaction, type SqlDatabase } from '../sql/sql-database.ts';

/** Server retention; `null` turns a purge off. */
export interface RetentionOptions {
  /** Terminal actions whose status_at is older than this are soft-deleted (default 7 days). */
  readonly actionsMs?: number | null;
  /** Summaries created longer ago than this are soft-deleted (default null: kept). */
  readonly summariesMs?: number | null;
  /** Insights created longer ago than this are soft-deleted (default null: kept). */
  readonly insightsMs?: number | null;
  /** Tombstones (any collection) older than this are deleted for good (default 30 days). */
  readonly tombstonesMs?: number | null;
}

export const DEFAULT_RETENTION: Required<RetentionOptions> = {
  actionsMs: 7 * DAY_MS,
  summariesMs: null,
  insightsMs: null,
  tombstonesMs: 30 * DAY_MS,
};

/**
 * What each retention soft-deletes. Fixed SQL (never from input), written with literals so
 * that the planner matches the partial indexes of the migrations.
 */
const PURGES = {
  actionsMs: {
    collection: 'brainActions',
    where: `collection = 'brainActions' AND NOT deleted AND doc->>'status' IN ('actioned', 'dismissed', 'expired') AND (doc->>'status_at')::numeric < $1`,
  },
  summariesMs: {
    collection: 'brainSummaries',
    where: `collection = 'brainSummaries' AND NOT deleted AND (doc->>'created_at')::numeric < $1`,
  },
  insightsMs: { collection: 'brainInsights', where: `collection = 'brainInsights' AND NOT deleted AND (doc->>'created_at')::numeric < $1` },
} as const;

/**
 * Pending actions due at $1, at most $2, claimed. The literals match the partial index
 * brain_store_actions_due, which serves this scan; SKIP LOCKED lets instances share the work.
 */
export const DUE_ACTIONS_SQL = `SELECT workspace_id AS ws, id, doc, deleted FROM brain_store_documents
  WHERE collection = 'brainActions' AND NOT deleted AND doc->>'status' = 'pending'
    AND (doc->>'expires_at')::numeric <= $1
  ORDER BY (doc->>'expires_at')::numeric LIMIT $2
  FOR UPDATE SKIP LOCKED`;

/** Rows per transaction: bounded locks and memory whatever the backlog. */
const CHUNK = 1_000;

export interface MaintenanceResult {
  readonly expired: number;
  readonly purged: number;
  readonly tombstonesDeleted: number;
}

/**
 * The periodic server job: expire due pending actions, then purge by retention.
 *
 * Expiry writes the deterministic fields the clients write (status 'expired', status_at =
 * expires_at), chosen through the collection's declared merge rule, and like any write it is
 * stamped and notified, so it syncs. Rows are claimed with SKIP LOCKED and re-checked, so two
 * instances running at once split the work and write the same fields: no conflict loop.
 *
 * Retention soft-deletes terminal actions older than the window (and, when configured,
 * old summaries and insights): clients receive the tombstone and drop the document, so they
 * need not push deletes of their own. Tombstones older than their window are then deleted
 * for good; a client offline for longer than that keeps its copy until its own purge.
 */
export async function runServerMaintenance(
  db: SqlDatabase,
  args: { actions: HostedCollection | undefined; now: number; retention: Required<RetentionOptions> },
): Promise<MaintenanceResult> {
  const expired = args.actions ? await expireDueActions(db, args.actions, args.now) : 0;
  let purged = 0;
  for (const [option, purge] of Object.entries(PURGES) as [keyof typeof PURGES, (typeof PURGES)[keyof typeof PURGES]][]) {
    const window = args.retention[option];
    if (window !== null) purged += await softDeleteOld(db, purge, args.now - window, args.now);
  }
  const tombstonesDeleted = args.retention.tombstonesMs === null ? 0 : await deleteTombstones(db, args.now - args.retention.tombstonesMs);
  return { expired, purged, tombstonesDeleted };
}

async function expireDueActions(db: SqlDatabase, actions: HostedCollection, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    const count = await withRetriedTransaction(db, async (tx) => {
      const due = await tx.query<StoredDocument>(DUE_ACTIONS_SQL, [now, CHUNK]);
      const writes: StoredDocument[] = [];
      for (const row of due) {
        const expired = { ...row.doc, status: 'expired', status_at: row.doc['expires_at'] };
        const winner = actions.merge ? actions.merge(row.doc, expired) : expired;
        if (!sameContent(winner, row.doc)) writes.push({ ...row, doc: winner });
      }
      await updateDocuments(tx, 'brainActions', writes, now);
      if (writes.length > 0) await notifyChange(tx, 'brainActions', new Set(writes.map((row) => row.ws)));
      return { seen: due.length, written: writes.length };
    });
    total += count.written;
    if (count.seen < CHUNK) return total;
  }
}

async function softDeleteOld(db: SqlDatabase, purge: { collection: string; where: string }, before: number, now: number): Promise<number> {
  let total = 0;
  for (;;) {
    const purged = await withRetriedTransaction(db, async (tx) => {
      const rows = await tx.query<{ ws: string; id: string }>(
        `UPDATE brain_store_documents d SET deleted = true, received_at = $2
         FROM (SELECT workspace_id, id FROM brain_store_documents WHERE ${purge.where}
               LIMIT $3 FOR UPDATE SKIP LOCKED) old
         WHERE d.collection = '${purge.collection}' AND d.workspace_id = old.workspace_id AND d.id = old.id
         RETURNING d.workspace_id AS ws, d.id`,
        [before, now, CHUNK],
      );
      if (rows.length > 0) await notifyChange(tx, purge.collection, new Set(rows.map((row) => row.ws)));
      return rows.length;
    });
    total += purged;
    if (purged < CHUNK) return total;
  }
}

async function deleteTombstones(db: SqlDatabase, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await db.query<{ id: string }>(
      `DELETE FROM brain_store_documents d
       USING (SELECT collection, workspace_id, id FROM brain_store_documents
              WHERE deleted AND received_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED) old
       WHERE d.collection = old.collection AND d.workspace_id = old.workspace_id AND d.id = old.id
       RETURNING d.id`,
      [before, CHUNK],
    );
    total += rows.length;
    if (rows.length < CHUNK) return total;
  }
}
