import * as z from 'zod/mini';
import type { RxCollection, RxDocumentData } from 'rxdb';
import {
  ACTION_URGENCIES,
  brainActions,
  createActionArgsSchema,
  DEFAULT_ACTION_TTL_MS,
  type BrainAction,
  type BrainActionDocument,
  type CreateActionArgs,
} from '../collections/brain-actions.ts';
import { ACTION_STATUSES, canTransition, type ActionStatus, type TerminalStatus } from '../collections/action-status.ts';
import { descendingTime, identifier, text, timestamp } from '../collections/fields.ts';
import { BrainStoreError } from '../errors/brain-store-error.ts';
import { liveQuery, type LiveQuery } from './live-query.ts';
import { assertMayWrite, insertAll, limitSchema, checkArgs, storageCall, type QueryContext } from './query-context.ts';
import { expireDueActions } from './expire-due-actions.ts';

const byWorkspaceArgs = z.strictObject({
  workspace_id: identifier(),
  status: z.optional(z.enum(ACTION_STATUSES)),
  limit: z.optional(limitSchema(100)),
});
const byPriorityArgs = z.strictObject({
  workspace_id: identifier(),
  urgency: z.optional(z.enum(ACTION_URGENCIES)),
  limit: z.optional(limitSchema(100)),
});
const actionedArgs = z.strictObject({ action_id: identifier(), actioned_by: text(256) });
const dismissArgs = z.strictObject({ action_id: identifier() });
const snoozeArgs = z.strictObject({ action_id: identifier(), until: timestamp(), snoozed_by: z.optional(text(256)) });

export interface ActionQueries {
  /** Stores a pending action; `expires_at` defaults to created_at + 24 h. Returns the id. */
  createActionRecommendation(args: CreateActionArgs): Promise<string>;
  /** Actions of one status (default pending; snoozed ones hidden until they come back), priority high→low, ties newest first; limit default 20. */
  getActionsByWorkspace(args: z.input<typeof byWorkspaceArgs>): LiveQuery<BrainAction[]>;
  /** Pending, unexpired, unsnoozed actions, optionally of one urgency, in the same order; limit default 20. */
  getActionsByPriority(args: z.input<typeof byPriorityArgs>): LiveQuery<BrainAction[]>;
  /** pending → actioned, with actioned_at = now. */
  markActionActioned(args: z.input<typeof actionedArgs>): Promise<void>;
  /** pending → dismissed. */
  dismissAction(args: z.input<typeof dismissArgs>): Promise<void>;
  /**
   * Hides a pending action from the queue (getActionsByPriority, getActionsByWorkspace with
   * status pending) until `until` (epoch ms); it comes back at that instant. It stays
   * pending: it still expires at its expires_at, and may be actioned or dismissed meanwhile.
   * A later snooze replaces it; `until` at or before now shows it again at once.
   * `snoozed_by` records who snoozed (a member store: its subject, the default).
   * @example
   * await store.brainActions.snoozeAction({ action_id, until: Date.now() + 3 * 3_600_000 });
   */
  snoozeAction(args: z.input<typeof snoozeArgs>): Promise<void>;
  /** Marks every pending action with expires_at ≤ now as expired; returns how many. */
  cleanupExpiredActions(): Promise<number>;
  /** The earliest expires_at among pending actions (found through an index), or undefined. */
  nextExpiry(): Promise<number | undefined>;
}

const TRANSITION_WRITE_CONTEXT = 'brain-store-transition';
/** Re-reads after a concurrent change before giving up with STORAGE. */
const MAX_TRANSITION_ATTEMPTS = 10;

const PRIORITY_ORDER = [{ priority_rank: 'asc' }, { created_desc: 'asc' }, { id: 'asc' }] as const;

export function createActionQueries(collection: RxCollection<BrainActionDocument>, context: QueryContext): ActionQueries {
  const { now } = context;
  const toPublic = (docs: BrainActionDocument[]) => docs.map(brainActions.toPublic);
  /**
   * Pending actions leave the answer at their expires_at, before any cleanup has run, and a
   * snoozed one comes back at its snoozed_until (the first of them is `watched`).
   */
  const nextQueueChange = (docs: BrainActionDocument[], _at: number, watched: BrainActionDocument[]) => {
    let earliest = watched[0]?.snoozed_until;
    for (const doc of docs)
      if (doc.status === 'pending' && (earliest === undefined || doc.expires_at < earliest)) earliest = doc.expires_at;
    return earliest;
  };

  const byPriority = (selector: Record<string, unknown>, index: string[], limit: number, status: ActionStatus) =>
    liveQuery({
      collection,
      now,
      lifecycle: context.lifecycle,
      scheduler: context.scheduler,
      clockChanged$: context.clockChanged$,
      query: (at) => ({
        selector: status === 'pending' ? { ...selector, expires_at: { $gt: at }, snoozed_until: { $lte: at } } : selector,
        sort: [...PRIORITY_ORDER],
        index,
        limit,
      }),
      answer: toPublic,
      changesAt: status === 'pending' ? nextQueueChange : undefined,
      watch: status === 'pending' ? (at) => nextSnoozeEnd(selector['workspace_id'] as string, at) : undefined,
    });

  /** The snoozed pending action of a workspace that comes back first (after `at`): a limit-1 index read. */
  const nextSnoozeEnd = (workspace_id: string, at: number) => ({
    selector: { workspace_id, status: 'pending' as const, snoozed_until: { $gt: at } },
    sort: [{ snoozed_until: 'asc' as const }, { id: 'asc' as const }],
    index: ['workspace_id', 'status', 'snoozed_until'],
    limit: 1,
  });

  /**
   * One status transition as a conditional write on the version read. Not incrementalModify:
   * RxDB still writes (a new revision, which replication would push) when its modifier throws,
   * and a refused transition must write nothing. A concurrent change (409) re-reads and
   * re-checks, so the state machine is enforced against the state actually replaced.
   */
  async function transition(action_id: string, to: TerminalStatus, extra: (at: number) => Partial<BrainActionDocument>) {
    await rewrite(action_id, to, (previous, at) => ({ ...previous, ...extra(at), status: to, status_at: at }));
  }

  /**
   * A rewrite of a live action (`to`: the status it moves to; 'pending' for a snooze, which
   * is allowed only while the action is pending), conditional on the version read.
   */
  async function rewrite(
    action_id: string,
    to: ActionStatus,
    build: (previous: RxDocumentData<BrainActionDocument>, at: number) => RxDocumentData<BrainActionDocument>,
  ) {
    for (let attempt = 0; ; attempt++) {
      const [previous] = await storageCall(() => collection.storageInstance.findDocumentsById([action_id], false));
      if (!previous) throw new BrainStoreError('NOT_FOUND', { parameters: { action_id } });
      const at = now();
      // An action past its expiry is expired, whether or not a cleanup has marked it yet.
      const from: ActionStatus = previous.status === 'pending' && previous.expires_at <= at ? 'expired' : previous.status;
      const allowed = to === 'pending' ? from === 'pending' : canTransition(from, to);
      if (!allowed) throw new BrainStoreError('INVALID_TRANSITION', { parameters: { action_id, from, to } });
      const document = build(previous, at);
      assertMayWrite(context, brainActions, previous, document);
      const { error } = await storageCall(() => collection.storageInstance.bulkWrite([{ previous, document }], TRANSITION_WRITE_CONTEXT));
      const failure = error[0];
      if (!failure) return;
      if (failure.status === 409 && attempt < MAX_TRANSITION_ATTEMPTS) continue;
      throw new BrainStoreError('STORAGE', { cause: failure, parameters: { action_id, status: failure.status } });
    }
  }

  return {
    async createActionRecommendation(args) {
      const input = checkArgs(context, createActionArgsSchema, args);
      const created_at = now();
      const doc: BrainActionDocument = {
        ...input,
        id: context.newId(),
        status: 'pending',
        status_at: created_at,
        created_at,
        expires_at: input.expires_at ?? created_at + DEFAULT_ACTION_TTL_MS,
        snoozed_until: 0,
        priority_rank: 100 - input.priority,
        created_desc: descendingTime(created_at),
      };
      assertMayWrite(context, brainActions, undefined, doc);
      await insertAll(collection, brainActions, [doc]);
      return doc.id;
    },

    getActionsByWorkspace(args) {
      const { workspace_id, status = 'pending', limit = 20 } = checkArgs(context, byWorkspaceArgs, args);
      return byPriority({ workspace_id, status }, ['workspace_id', 'status', 'priority_rank', 'created_desc'], limit, status);
    },

    getActionsByPriority(args) {
      const { workspace_id, urgency, limit = 20 } = checkArgs(context, byPriorityArgs, args);
      return urgency === undefined
        ? byPriority({ workspace_id, status: 'pending' }, ['workspace_id', 'status', 'priority_rank', 'created_desc'], limit, 'pending')
        : byPriority(
            { workspace_id, status: 'pending', urgency },
            ['workspace_id', 'status', 'urgency', 'priority_rank', 'created_desc'],
            limit,
            'pending',
          );
    },

    async markActionActioned(args) {
      const { action_id, actioned_by } = checkArgs(context, actionedArgs, args);
      await transition(action_id, 'actioned', (at) => ({ actioned_by, actioned_at: at }));
    },

    async dismissAction(args) {
      const { action_id } = checkArgs(context, dismissArgs, args);
      await transition(action_id, 'dismissed', () => ({}));
    },

    async snoozeAction(args) {
      const { action_id, until, snoozed_by = context.writer?.subject } = checkArgs(context, snoozeArgs, args);
      await rewrite(action_id, 'pending', (previous, at) => {
        const { snoozed_by: _previousBy, ...rest } = previous;
        return { ...rest, snoozed_until: until, snoozed_at: at, ...(snoozed_by === undefined ? {} : { snoozed_by }) };
      });
    },

    async cleanupExpiredActions() {
      context.lifecycle.assertOpen();
      // Expiring a due action is every writer's right but an operator's (who writes nothing).
      if (context.writer?.role === 'operator') {
        throw new BrainStoreError('FORBIDDEN_ROLE', { message: 'an operator store writes no documents', parameters: { role: 'operator' } });
      }
      return expireDueActions(collection, now());
    },

    async nextExpiry() {
      context.lifecycle.assertOpen();
      const first = await storageCall(() => earliestPendingAction(collection).exec());
      return first?.expires_at;
    },
  };
}

/**
 * The pending action that expires first: a limit-1 read of the [status, expires_at] index,
 * one document whatever the number pending. `nextExpiry()` execs it; the expiry cleanup
 * watches its `$`, which RxDB updates from write events alone.
 */
export function earliestPendingAction(collection: RxCollection<BrainActionDocument>) {
  return collection.findOne({
    selector: { status: 'pending' },
    sort: [{ expires_at: 'asc' }, { id: 'asc' }],
    index: ['status', 'expires_at'],
  });
}
