import { z } from 'zod';
import { oneOf, DAY_MS, identifier, text, timestamp } from './fields.ts';
import { createdDescIssues, toRxJsonSchema, type CollectionDeclaration } from './declare-collection.ts';
import { ACTION_STATUSES, mergeActionVersions } from './action-status.ts';
import { actionWriteRules } from './action-write-rules.ts';
import type { BrainStoreIssue } from '../errors/brain-store-error.ts';
import { checkFirstSyncParts } from './first-sync-parts.ts';

export const ACTION_TYPES = ['follow_up', 'response_template', 'handoff_ready', 'opportunity_alert'] as const;
export const ACTION_URGENCIES = ['immediate', 'today', 'this_week'] as const;
export const DEFAULT_ACTION_TTL_MS = DAY_MS;

const priority = () => z.number().int().min(0).max(100).meta({ multipleOf: 1 });

export const createActionArgsSchema = z.strictObject({
  workspace_id: identifier(),
  contact_id: identifier(),
  action_type: oneOf(ACTION_TYPES),
  priority: priority(),
  urgency: oneOf(ACTION_URGENCIES),
  reason: text(4_000),
  suggested_message: text(8_000).optional(),
  expires_at: timestamp().optional(),
});

export const brainActionDocumentSchema = createActionArgsSchema.extend({
  id: identifier(),
  status: oneOf(ACTION_STATUSES),
  /** When the current status was entered: created_at while pending, the transition time after. */
  status_at: timestamp(),
  actioned_at: timestamp().optional(),
  actioned_by: text(256).optional(),
  created_at: timestamp(),
  expires_at: timestamp(),
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
  return issues;
}

export const brainActions: CollectionDeclaration<BrainActionDocument, BrainAction> = {
  name: 'brainActions',
  document: brainActionDocumentSchema,
  jsonSchema: toRxJsonSchema(brainActionDocumentSchema, {
    title: 'brainActions',
    version: 0,
    indexes: [
      // getActionsByWorkspace / getActionsByPriority: priority high→low, newest first on ties
      ['workspace_id', 'status', 'priority_rank', 'created_desc'],
      ['workspace_id', 'status', 'urgency', 'priority_rank', 'created_desc'],
      // earliest pending expiry (the read timers), per workspace and across all
      ['workspace_id', 'status', 'expires_at'],
      ['status', 'expires_at'],
      // retention of terminal actions
      ['status', 'status_at'],
      ['contact_id'],
    ],
  }),
  migrationStrategies: {},
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
      limit: 200,
    },
  ]),
};
