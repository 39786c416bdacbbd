import * as z from 'zod/mini';
import { oneOf, DAY_MS, identifier, text, timestamp } from './fields.ts';
import { createdDescIssues, toRxJsonSchema, type CollectionDeclaration } from './declare-collection.ts';
import { GENERATED_JSON_SCHEMAS } from './json-schemas.generated.ts';
import { ACTION_STATUSES, mergeActionVersions } from './action-status.ts';
import { actionWriteRules } from './action-write-rules.ts';
import { ACTION_RETENTION } from './retention-rule.ts';
import { withSnoozeOf } from './action-snooze.ts';
import type { BrainStoreIssue } from '../errors/brain-store-error.ts';
import { checkFirstSyncParts } from './first-sync-parts.ts';

export const ACTION_TYPES = ['follow_up', 'response_template', 'handoff_ready', 'opportunity_alert'] as const;
export const ACTION_URGENCIES = ['immediate', 'today', 'this_week'] as const;
export const DEFAULT_ACTION_TTL_MS = DAY_MS;

const priority = () => z.number().check(z.int(), z.minimum(0), z.maximum(100), z.meta({ multipleOf: 1 }));

export const createActionArgsSchema = z.strictObject({
  workspace_id: identifier(),
  contact_id: identifier(),
  action_type: oneOf(ACTION_TYPES),
  priority: priority(),
  urgency: oneOf(ACTION_URGENCIES),
  reason: text(4_000),
  suggested_message: z.optional(text(8_000)),
  expires_at: z.optional(timestamp()),
});

export const brainActionDocumentSchema = z.extend(createActionArgsSchema, {
  id: identifier(),
  status: oneOf(ACTION_STATUSES),
  /** When the current status was entered: created_at while pending, the transition time after. */
  status_at: timestamp(),
  actioned_at: z.optional(timestamp()),
  actioned_by: z.optional(text(256)),
  created_at: timestamp(),
  expires_at: timestamp(),
  /** Snooze (schema version 1, see action-snooze.ts): hidden from the queue until then; 0 = never snoozed. */
  snoozed_until: timestamp(),
  snoozed_at: z.optional(timestamp()),
  snoozed_by: z.optional(text(256)),
  /** 100 - priority: "highest priority first" as an ascending index order. */
  priority_rank: priority(),
  created_desc: timestamp(),
});

export type CreateActionArgs = z.input<typeof createActionArgsSchema>;
export type BrainActionDocument = z.infer<typeof brainActionDocumentSchema>;
export type BrainAction = Omit<BrainActionDocument, 'priority_rank' | 'created_desc'>;
export type ActionUrgency = (typeof ACTION_URGENCIES)[number];

function actionInvariants(doc: BrainActionDocument): BrainStoreIssue[] {
  const issues: BrainStoreIssue[] = [];
  const fail = (field: string, message: string) => issues.push({ path: [field], message, code: 'invariant' });
  if (doc.priority_rank !== 100 - doc.priority) fail('priority_rank', 'must equal 100 - priority');
  issues.push(...createdDescIssues(doc));
  if (doc.status === 'actioned' && (doc.actioned_at === undefined || doc.actioned_by === undefined)) {
    fail('actioned_at', 'an actioned action needs actioned_at and actioned_by');
  }
  if (doc.status === 'expired' && doc.status_at !== doc.expires_at) fail('status_at', 'an expired action has status_at = expires_at');
  if (doc.status === 'pending' && doc.status_at !== doc.created_at) fail('status_at', 'a pending action has status_at = created_at');
  if (doc.snoozed_at === undefined && (doc.snoozed_until !== 0 || doc.snoozed_by !== undefined)) {
    fail('snoozed_at', 'a snooze needs snoozed_at (when it was made)');
  }
  if (doc.snoozed_at !== undefined && doc.snoozed_at < doc.created_at) fail('snoozed_at', 'a snooze cannot predate the action');
  return issues;
}

/**
 * Version 0 → 1: never snoozed. The one upgrade, run by RxDB's migration of a stored
 * collection, by the server's forward-only migration (the same JSON, in SQL) and by the
 * server for documents an old client pushes. With `current` (the server's stored version),
 * the snooze an old client could not see is carried over, so its write neither loses it
 * nor conflicts over it.
 */
function upgradeActionFromV0(doc: Record<string, unknown>, current?: Record<string, unknown>): Record<string, unknown> {
  const carried = current === undefined ? doc : withSnoozeOf(doc, current);
  return 'snoozed_until' in carried ? carried : { ...carried, snoozed_until: 0 };
}

/** What a client of schema version 0 reads: the action without the snooze fields (it would refuse them). */
function downgradeActionToV0(doc: Record<string, unknown>): Record<string, unknown> {
  return withSnoozeOf(doc, {});
}

export const brainActions: CollectionDeclaration<BrainActionDocument, BrainAction> = {
  name: 'brainActions',
  document: brainActionDocumentSchema,
  // Derived from `document` at build time (packages/generate-json-schemas.ts).
  jsonSchema: toRxJsonSchema(GENERATED_JSON_SCHEMAS.brainActions, {
    title: 'brainActions',
    version: 1,
    indexes: [
      // getActionsByWorkspace / getActionsByPriority: priority high→low, newest first on ties
      ['workspace_id', 'status', 'priority_rank', 'created_desc'],
      ['workspace_id', 'status', 'urgency', 'priority_rank', 'created_desc'],
      // earliest pending expiry (the read timers), per workspace and across all
      ['workspace_id', 'status', 'expires_at'],
      ['status', 'expires_at'],
      // the next snoozed action to come back to the queue, per workspace (the read timers)
      ['workspace_id', 'status', 'snoozed_until'],
      // retention of terminal actions
      ['status', 'status_at'],
      ['contact_id'],
    ],
  }),
  // RxDB passes the collection as a second argument: the upgrade must not take it for `current`.
  migrationStrategies: { 1: (doc: Record<string, unknown>) => upgradeActionFromV0(doc) },
  previousVersion: {
    version: 0,
    isPrevious: (doc) => !Object.hasOwn(doc, 'snoozed_until'),
    upgrade: upgradeActionFromV0,
    downgrade: downgradeActionToV0,
  },
  invariants: actionInvariants,
  toPublic: ({ priority_rank: _rank, created_desc: _sortKey, ...action }) => action,
  merge: mergeActionVersions,
  writeRules: actionWriteRules,
  // A new device shows the head of the queue first: pending, highest priority, newest on ties.
  firstSync: checkFirstSyncParts([
    {
      name: 'urgent',
      where: { status: 'pending' },
      order: [
        { field: 'priority', direction: 'desc', type: 'number' },
        { field: 'created_at', direction: 'desc', type: 'number' },
      ],
      // The queue's index (priority_rank = 100 - priority, created_desc = MAX_TIME - created_at).
      localSort: [
        { field: 'priority_rank', direction: 'asc' },
        { field: 'created_desc', direction: 'asc' },
      ],
      limit: 200,
    },
  ]),
  retention: ACTION_RETENTION,
};
