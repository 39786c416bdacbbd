import type { PushResponse, RejectedRow, WireDocument } from '../../protocol/messages.ts';
import { judgeWrite, type JudgeContext, type WriteRefusal } from '../../collections/write-rules.ts';
import { checkPushRow, isRefused, type AcceptedRow, type RefusedRow } from './check-push-row.ts';
import type { RawPushRow } from './raw-push-row.ts';
import {
  changeNotice,
  insertDocuments,
  insertNewDocuments,
  keyOf,
  notifyChange,
  readDocuments,
  updateDocuments,
  type StoredDocument,
} from './document-store.ts';
import type { HostedCollection } from './hosted-collections.ts';
import { sameContent } from './same-content.ts';
import { carryOver, currentStored } from './schema-versions.ts';
import { toWire } from './to-wire.ts';
import { withRetriedTransaction, type SqlDatabase, type SqlExecutor } from '../sql/sql-database.ts';

/** One accepted write, for the audit log: which document and how its status moved. */
export interface WrittenRow {
  readonly id: string;
  readonly workspace: string;
  /** e.g. `pending → actioned`, `new → pending`, `created`, `deleted`. */
  readonly transition: string;
}

export interface PushOutcome extends PushResponse {
  readonly written: number;
  readonly unchanged: number;
  readonly writes: readonly WrittenRow[];
}

type Decision = 'insert' | 'update' | 'unchanged' | 'conflict' | WriteRefusal;

/**
 * What to do with one row given the stored version:
 * - no stored row: insert, if the writer's role may create it and its times are plausible
 *   (also when the client assumed one: the row was purged, and refusing would stall the
 *   client's queue forever);
 * - the stored version already equals the new state: nothing (an identical resend, allowed
 *   to every role since it writes nothing);
 * - the change the writer made — from the version it assumed, or from the stored one when it
 *   assumed none — must be one its role may make, with times within the allowance of the
 *   server's clock; otherwise the row is refused (FORBIDDEN_ROLE / CLOCK_SKEW) whether or
 *   not it would also conflict, so a forbidden edit is never silently merged away;
 * - the client's assumed state equals the stored version: overwrite;
 * - otherwise a conflict, answered with the stored version.
 * Only document content is compared; bookkeeping lives in columns.
 */
export function decide(row: AcceptedRow, stored: StoredDocument | undefined, hosted: HostedCollection, judge: JudgeContext): Decision {
  if (!stored) return refusal(hosted, row, undefined, judge) ?? 'insert';
  const storedWire = toWire(stored);
  if (sameContent(row.wire, storedWire)) return 'unchanged';
  const base = row.assumed === null ? live(stored) : row.assumed['_deleted'] === true ? undefined : withoutDeleted(row.assumed);
  const refused = refusal(hosted, row, base, judge);
  if (refused) return refused;
  if (row.assumed === null || !sameContent(row.assumed, storedWire)) return 'conflict';
  return mergeKeeps(hosted.merge, row, stored) ? 'update' : 'conflict';
}

/** The roles' and time rules for a row replacing `previous` (undefined: a create). Extra collections only refuse operators. */
function refusal(hosted: HostedCollection, row: AcceptedRow, previous: Record<string, unknown> | undefined, judge: JudgeContext) {
  const rules = hosted.writeRules ?? { timeFields: [], mayWrite: () => null };
  return judgeWrite(rules, { previous, next: row.doc, deleted: row.deleted }, judge);
}

function live(stored: StoredDocument): Record<string, unknown> | undefined {
  return stored.deleted ? undefined : stored.doc;
}

function withoutDeleted(doc: Record<string, unknown>): Record<string, unknown> {
  const { _deleted: _ignored, ...rest } = doc;
  return rest;
}

/** How a write moved the document, for the audit log. */
function transitionOf(row: AcceptedRow, stored: StoredDocument | undefined): string {
  if (row.deleted) return 'deleted';
  const to = row.doc['status'];
  const before = stored && !stored.deleted ? stored.doc['status'] : undefined;
  if (typeof to !== 'string') return stored && !stored.deleted ? 'updated' : 'created';
  return `${typeof before === 'string' ? before : 'new'} → ${to}`;
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

/**
 * Applies a push in one transaction (one statement when every row is a create) and answers
 * only after it committed. Refused rows are not written; the rest are. A document that
 * appears twice in one batch is applied in order, each occurrence seeing the previous one's
 * result.
 */
export async function pushDocuments(
  db: SqlDatabase,
  args: {
    collection: HostedCollection;
    workspaces: ReadonlySet<string>;
    rows: readonly RawPushRow[];
    /** The server's clock: bookkeeping, and the instant the time rules judge against. */
    now: number;
    /** Who pushes and how far its times may stray from `now`. */
    judge: Omit<JudgeContext, 'now'>;
    /** The pushing client's id: its own stream is not poked about this write. */
    origin?: string | undefined;
  },
): Promise<PushOutcome> {
  const checked = args.rows.map((row, index) => checkPushRow(args.collection, args.workspaces, row, index));
  const refused = checked.filter(isRefused);
  const accepted = checked.filter((row): row is AcceptedRow => !isRefused(row));
  const name = args.collection.name;
  if (checked.length === 0) return { conflicts: [], rejected: [], written: 0, unchanged: 0, writes: [] };
  const judge: JudgeContext = { ...args.judge, now: args.now };

  // A batch of creates (a bot's new documents) is one statement: inserted with its change
  // notice, no BEGIN/COMMIT round trips. Should any of them exist already (a resend, a
  // racing push), that statement wrote nothing and the batch goes the general way below.
  const creates = refused.length === 0 ? onlyCreates(accepted, args.collection, judge) : null;
  if (creates) {
    const workspaces = new Set(creates.map((row) => row.ws));
    if (await insertNewDocuments(db, name, creates, args.now, changeNotice(name, workspaces, args.origin))) {
      const writes = creates.map((row) => ({ id: row.id, workspace: row.ws, transition: transitionOf(row, undefined) }));
      return { conflicts: [], rejected: [], written: writes.length, unchanged: 0, writes };
    }
  }

  return withRetriedTransaction(db, async (tx) => {
    const conflicts: WireDocument[] = [];
    const judged: { index: number; row: RejectedRow }[] = [];
    const writes: WrittenRow[] = [];
    const changedWorkspaces = new Set<string>();
    let unchanged = 0;
    let notified = false;
    const all = rounds(accepted);
    for (const [at, round] of all.entries()) {
      // The last round may send the change notice with its last write (the updates).
      const notice = at === all.length - 1 ? { workspaces: changedWorkspaces, origin: args.origin } : undefined;
      const result = await applyRound(tx, args.collection, round, args.now, judge, notice);
      conflicts.push(...result.conflicts);
      judged.push(...result.refused);
      unchanged += result.unchanged;
      writes.push(...result.writes);
      for (const write of result.writes) changedWorkspaces.add(write.workspace);
      notified = result.notified;
    }
    const early = await withMasters(tx, name, refused);
    // Rejected rows in batch order, whichever check refused them.
    const rejected = [...refused.map((row, at) => ({ index: row.index, row: early[at]! })), ...judged]
      .sort((a, b) => a.index - b.index)
      .map(({ row }) => row);
    if (changedWorkspaces.size > 0 && !notified) await notifyChange(tx, name, changedWorkspaces, args.origin);
    return { conflicts, rejected, written: writes.length, unchanged, writes };
  });
}

/**
 * The rows, when every one is a create the writer may make (no assumed state, allowed for
 * a document that does not exist) and no document appears twice; otherwise null.
 */
function onlyCreates(rows: readonly AcceptedRow[], hosted: HostedCollection, judge: JudgeContext): AcceptedRow[] | null {
  const keys = new Set<string>();
  for (const row of rows) {
    if (row.assumed !== null || decide(row, undefined, hosted, judge) !== 'insert') return null;
    const key = keyOf(row);
    if (keys.has(key)) return null;
    keys.add(key);
  }
  return rows as AcceptedRow[];
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

async function applyRound(
  tx: SqlExecutor,
  hosted: HostedCollection,
  rows: readonly AcceptedRow[],
  now: number,
  judge: JudgeContext,
  /** Set on the push's last round: the workspaces written by the earlier ones, and who pushes. */
  last?: { workspaces: ReadonlySet<string>; origin: string | undefined },
) {
  const collection = hosted.name;
  const conflicts: WireDocument[] = [];
  const refused: { index: number; row: RejectedRow }[] = [];
  const writes: WrittenRow[] = [];
  let unchanged = 0;
  let notified = false;
  // A create (no assumed state) its writer may make is inserted straight away, without
  // reading first: ON CONFLICT DO NOTHING leaves an existing row alone, and that row is then
  // decided below against the stored version like any other. A bot's push of new documents
  // is so one INSERT per batch, not a locking SELECT and an INSERT.
  const creates = rows.filter((row) => row.assumed === null && decide(row, undefined, hosted, judge) === 'insert');
  const created = await insertDocuments(tx, collection, creates, now);
  for (const row of creates) {
    if (created.has(keyOf(row))) writes.push({ id: row.id, workspace: row.ws, transition: transitionOf(row, undefined) });
  }
  let pending = created.size === rows.length ? [] : rows.filter((row) => !created.has(keyOf(row)));
  // Normally one pass; a row a concurrent push inserted first is decided again, now locked.
  for (let pass = 0; pending.length > 0; pass++) {
    const stored = await readDocuments(tx, collection, pending, true);
    const inserts: AcceptedRow[] = [];
    const updates: AcceptedRow[] = [];
    const transitions = new Map<AcceptedRow, string>();
    for (const sent of pending) {
      const found = stored.get(keyOf(sent));
      const current = found && currentStored(hosted, found);
      // An old client's row keeps what it could not see of the stored version (schema-versions.ts).
      const row = sent.previousVersion && current && !current.deleted ? carryOver(hosted, sent, current.doc) : sent;
      const decision = decide(row, current, hosted, judge);
      if (decision === 'insert') inserts.push(row);
      else if (decision === 'update') updates.push(row);
      else if (decision === 'unchanged') unchanged++;
      else if (decision === 'conflict') conflicts.push(toWire(current!));
      else {
        // The caller holds this workspace: it may see the stored version it is reverted to.
        const { code, message, path } = decision;
        const issues = [{ path: [...path], message, code: code.toLowerCase() }];
        refused.push({ index: row.index, row: { id: row.id, code, message, issues, master: current ? toWire(current) : null } });
      }
      if (decision === 'insert' || decision === 'update') transitions.set(row, transitionOf(row, current));
    }
    // Updates and nothing left to insert: this is the push's last write, so it carries the
    // change notice for every workspace the push wrote (one round trip less).
    if (last && inserts.length === 0 && updates.length > 0) {
      const workspaces = new Set([...last.workspaces, ...writes.map((write) => write.workspace), ...updates.map((row) => row.ws)]);
      await updateDocuments(tx, collection, updates, now, changeNotice(collection, workspaces, last.origin));
      notified = true;
    } else await updateDocuments(tx, collection, updates, now);
    const inserted = await insertDocuments(tx, collection, inserts, now);
    const done = [...updates, ...inserts.filter((row) => inserted.has(keyOf(row)))];
    writes.push(...done.map((row) => ({ id: row.id, workspace: row.ws, transition: transitions.get(row)! })));
    pending = inserts.filter((row) => !inserted.has(keyOf(row)));
    if (pass > 3 && pending.length > 0) throw new Error('push did not settle after concurrent inserts');
  }
  return { conflicts, refused, writes, unchanged, notified };
}

/** Attaches the server's current version to each refused row the caller may see. */
async function withMasters(tx: SqlExecutor, collection: string, refused: readonly RefusedRow[]): Promise<RejectedRow[]> {
  const keys = refused.flatMap((row) => (row.masterKey ? [row.masterKey] : []));
  if (keys.length === 0) return refused.map(({ rejected }) => ({ ...rejected, master: null }));
  const stored = await readDocuments(tx, collection, keys, false);
  return refused.map(({ rejected, masterKey }) => {
    const master = masterKey ? stored.get(keyOf(masterKey)) : undefined;
    return { ...rejected, master: master ? toWire(master) : null };
  });
}
