import { DAY_MS } from '../../collections/fields.ts';
import type { CollectionName } from '../../collections/declare-collection.ts';
import { resolveRetention, retentionCutoff, retentionRule, retentionWindow, type ResolvedRetention } from '../../collections/retention.ts';
import { DEFAULT_ACTION_RETENTION_MS, type RetentionOptions } from '../../collections/retention-rule.ts';
import { notifyChange, updateDocuments, type StoredDocument } from '../documents/document-store.ts';
import type { HostedCollection } from '../documents/hosted-collections.ts';
import { sameContent } from '../documents/same-content.ts';
import { withRetriedTransaction, type SqlDatabase } from '../sql/sql-database.ts';

/**
 * The server's retention: the collections' windows (the same `RetentionOptions` a store's
 * cleanup takes, `null` keeping forever) and how long tombstones stay before they are
 * deleted for good.
 */
export interface ServerRetentionOptions extends RetentionOptions {
  /** Tombstones (any collection) older than this are deleted for good (default 30 days; null keeps them). */
  readonly tombstonesMs?: number | null;
}

/** Each collection's declared default, and tombstones for 30 days. */
export const DEFAULT_RETENTION: Required<ServerRetentionOptions> = {
  actionsMs: DEFAULT_ACTION_RETENTION_MS,
  summariesMs: null,
  insightsMs: null,
  tombstonesMs: 30 * DAY_MS,
};

/** The windows the maintenance runs with, checked. */
export interface ResolvedServerRetention {
  readonly collections: ResolvedRetention;
  readonly tombstonesMs: number | undefined;
}

/** Fills in the defaults and checks the windows (a CONFIG error names a bad option). */
export function resolveServerRetention(options: ServerRetentionOptions = {}): ResolvedServerRetention {
  const tombstonesMs = options.tombstonesMs === undefined ? DEFAULT_RETENTION.tombstonesMs : options.tombstonesMs;
  return { collections: resolveRetention(options), tombstonesMs: retentionWindow('tombstonesMs', tombstonesMs) };
}

const NAMES: readonly CollectionName[] = ['brainActions', 'brainSummaries', 'brainInsights'];
const SQL_WORD = /^[A-Za-z_]+$/;

/**
 * What a collection's declared retention rule soft-deletes, as SQL ($1: the cutoff). Built
 * from the declaration (fixed words, never input), with literals so that the planner
 * matches the partial indexes of the migrations (brain_store_actions_terminal,
 * brain_store_created).
 */
export function retentionPredicate(name: CollectionName): string {
  const { since, statuses = [] } = retentionRule(name);
  if (![name, since, ...statuses].every((word) => SQL_WORD.test(word))) throw new Error(`retention rule of ${name} is not SQL-safe`);
  const status = statuses.length > 0 ? ` AND doc->>'status' IN (${statuses.map((value) => `'${value}'`).join(', ')})` : '';
  return `collection = '${name}' AND NOT deleted${status} AND (doc->>'${since}')::numeric < $1`;
}

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
  args: { actions: HostedCollection | undefined; now: number; retention: ResolvedServerRetention },
): Promise<MaintenanceResult> {
  const expired = args.actions ? await expireDueActions(db, args.actions, args.now) : 0;
  let purged = 0;
  for (const name of NAMES) {
    const cutoff = retentionCutoff(name, args.now, args.retention.collections);
    if (cutoff !== undefined) purged += await softDeleteOld(db, name, cutoff, args.now);
  }
  const { tombstonesMs } = args.retention;
  const tombstonesDeleted = tombstonesMs === undefined ? 0 : await deleteTombstones(db, args.now - tombstonesMs);
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

async function softDeleteOld(db: SqlDatabase, name: CollectionName, before: number, now: number): Promise<number> {
  const where = retentionPredicate(name);
  let total = 0;
  for (;;) {
    const purged = await withRetriedTransaction(db, async (tx) => {
      const rows = await tx.query<{ ws: string; id: string }>(
        `UPDATE brain_store_documents d SET deleted = true, received_at = $2
         FROM (SELECT workspace_id, id FROM brain_store_documents WHERE ${where}
               LIMIT $3 FOR UPDATE SKIP LOCKED) old
         WHERE d.collection = '${name}' AND d.workspace_id = old.workspace_id AND d.id = old.id
         RETURNING d.workspace_id AS ws, d.id`,
        [before, now, CHUNK],
      );
      if (rows.length > 0) await notifyChange(tx, name, new Set(rows.map((row) => row.ws)));
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
