import type { PushResponse, RejectedRow, WireDocument } from '../../protocol/messages.ts';
import { checkPushRow, isRefused, type AcceptedRow, type RawPushRow, type RefusedRow } from './check-push-row.ts';
import { insertDocuments, keyOf, notifyChange, readDocuments, updateDocuments, type StoredDocument } from './document-store.ts';
import type { HostedCollection } from './hosted-collections.ts';
import { sameContent } from './same-content.ts';
import { withRetriedTransaction, type SqlDatabase, type SqlExecutor } from '../sql/sql-database.ts';

export interface PushOutcome extends PushResponse {
  readonly written: number;
  readonly unchanged: number;
}

type Decision = 'insert' | 'update' | 'unchanged' | 'conflict';

/**
 * What to do with one row given the stored version:
 * - no stored row: insert (also when the client assumed one: the row was purged, and
 *   refusing would stall the client's queue forever);
 * - the stored version already equals the new state: nothing (an identical resend);
 * - the client's assumed state equals the stored version: overwrite;
 * - otherwise a conflict, answered with the stored version.
 * Only document content is compared; bookkeeping lives in columns.
 */
export function decide(row: AcceptedRow, stored: StoredDocument | undefined, merge: HostedCollection['merge']): Decision {
  if (!stored) return 'insert';
  const storedWire = toWire(stored);
  if (sameContent(row.wire, storedWire)) return 'unchanged';
  if (row.assumed === null || !sameContent(row.assumed, storedWire)) return 'conflict';
  return mergeKeeps(merge, row, stored) ? 'update' : 'conflict';
}

/**
 * The declared merge rule guards even a well-based update: given the master role, the new
 * version must survive a merge with the stored one. Edits the rule allows pass (a pending
 * action re-prioritised, pending → terminal, an earlier terminal transition); a terminal
 * action going back to pending, or a later terminal transition, is answered as a conflict,
 * which the client's conflict handler resolves with the same rule to the stored version.
 * Deletes (purges) are not status changes and always pass.
 */
function mergeKeeps(merge: HostedCollection['merge'], row: AcceptedRow, stored: StoredDocument): boolean {
  if (!merge || row.deleted || stored.deleted) return true;
  return merge(row.doc, stored.doc) === row.doc;
}

export function toWire(stored: Pick<StoredDocument, 'doc' | 'deleted'>): WireDocument {
  return { ...stored.doc, _deleted: stored.deleted } as WireDocument;
}

/**
 * Applies a push in one transaction and answers only after it committed. Refused rows are
 * not written; the rest are. A document that appears twice in one batch is applied in
 * order, each occurrence seeing the previous one's result.
 */
export async function pushDocuments(
  db: SqlDatabase,
  args: {
    collection: HostedCollection;
    workspaces: ReadonlySet<string>;
    rows: readonly RawPushRow[];
    now: number;
    /** The pushing client's id: its own stream is not poked about this write. */
    origin?: string | undefined;
  },
): Promise<PushOutcome> {
  const checked = args.rows.map((row, index) => checkPushRow(args.collection, args.workspaces, row, index));
  const refused = checked.filter(isRefused);
  const accepted = checked.filter((row): row is AcceptedRow => !isRefused(row));
  const name = args.collection.name;
  if (checked.length === 0) return { conflicts: [], rejected: [], written: 0, unchanged: 0 };

  return withRetriedTransaction(db, async (tx) => {
    const conflicts: WireDocument[] = [];
    const changedWorkspaces = new Set<string>();
    let written = 0;
    let unchanged = 0;
    for (const round of rounds(accepted)) {
      const result = await applyRound(tx, args.collection, round, args.now);
      conflicts.push(...result.conflicts);
      unchanged += result.unchanged;
      written += result.written.length;
      for (const row of result.written) changedWorkspaces.add(row.ws);
    }
    const rejected = await withMasters(tx, name, refused);
    if (changedWorkspaces.size > 0) await notifyChange(tx, name, changedWorkspaces, args.origin);
    return { conflicts, rejected, written, unchanged };
  });
}

/** Splits rows so that each round names every document at most once, keeping batch order. */
function rounds(rows: readonly AcceptedRow[]): AcceptedRow[][] {
  const seen = new Map<string, number>();
  const result: AcceptedRow[][] = [];
  for (const row of rows) {
    const key = keyOf(row);
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (result[round] ??= []).push(row);
  }
  return result;
}

async function applyRound(tx: SqlExecutor, hosted: HostedCollection, rows: readonly AcceptedRow[], now: number) {
  const collection = hosted.name;
  const conflicts: WireDocument[] = [];
  const written: AcceptedRow[] = [];
  let unchanged = 0;
  let pending = rows;
  // Normally one pass; a row a concurrent push inserted first is decided again, now locked.
  for (let pass = 0; pending.length > 0; pass++) {
    const stored = await readDocuments(tx, collection, pending, true);
    const inserts: AcceptedRow[] = [];
    const updates: AcceptedRow[] = [];
    for (const row of pending) {
      const current = stored.get(keyOf(row));
      const decision = decide(row, current, hosted.merge);
      if (decision === 'insert') inserts.push(row);
      else if (decision === 'update') updates.push(row);
      else if (decision === 'unchanged') unchanged++;
      else conflicts.push(toWire(current!));
    }
    await updateDocuments(tx, collection, updates, now);
    written.push(...updates);
    const inserted = await insertDocuments(tx, collection, inserts, now);
    written.push(...inserts.filter((row) => inserted.has(keyOf(row))));
    pending = inserts.filter((row) => !inserted.has(keyOf(row)));
    if (pass > 3 && pending.length > 0) throw new Error('push did not settle after concurrent inserts');
  }
  return { conflicts, written, unchanged };
}

/** Attaches the server's current version to each refused row the caller may see. */
async function withMasters(tx: SqlExecutor, collection: string, refused: readonly RefusedRow[]): Promise<RejectedRow[]> {
  const keys = refused.flatMap((row) => (row.masterKey ? [row.masterKey] : []));
  const stored = await readDocuments(tx, collection, keys, false);
  return refused.map(({ rejected, masterKey }) => {
    const master = masterKey ? stored.get(keyOf(masterKey)) : undefined;
    return { ...rejected, master: master ? toWire(master) : null };
  });
}
