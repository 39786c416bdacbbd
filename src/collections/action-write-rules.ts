import type { ActionStatus } from './action-status.ts';
import { SNOOZE_FIELDS, type SnoozeFields } from './action-snooze.ts';
import {
  changedFields,
  forbidden,
  skewed,
  type JudgeContext,
  type ProposedWrite,
  type WriteRefusal,
  type WriteRules,
} from './write-rules.ts';

interface ActionFields extends SnoozeFields {
  readonly status: ActionStatus;
  readonly status_at: number;
  readonly created_at: number;
  readonly expires_at: number;
  readonly actioned_at?: number | undefined;
  readonly actioned_by?: string | undefined;
}

/** What a bot may change on a pending action (the original's createActionRecommendation inputs that may be re-judged). */
const BOT_EDITABLE = ['priority', 'priority_rank', 'urgency', 'reason', 'suggested_message', 'expires_at'];
/** What a snooze sets (the action stays pending). */
const SNOOZE: readonly string[] = SNOOZE_FIELDS;
/** What a transition sets. */
const TRANSITION = ['status', 'status_at', 'actioned_at', 'actioned_by'];
/** What each member transition may change, nothing else (the original's markActionActioned / dismissAction). */
const MEMBER_CHANGES: Partial<Record<ActionStatus, readonly string[]>> = {
  pending: SNOOZE,
  actioned: TRANSITION,
  dismissed: ['status', 'status_at'],
  expired: ['status', 'status_at'],
};

/**
 * The roles' rules for actions:
 * - a bot creates, deletes (purges), edits a pending action's priority, urgency, reason,
 *   suggested message, expiry and snooze, and makes every transition — never touching the
 *   fields that identify the recommendation (contact, type, creation);
 * - a member snoozes a pending action as itself (`snoozed_by` = its subject, a new
 *   `snoozed_at` — the snooze's instant, judged like a transition's);
 * - a member only moves a pending action to actioned (as itself: `actioned_by` = its
 *   subject, `actioned_at` = `status_at`), to dismissed, or to expired once due (or an
 *   expired one to actioned or dismissed at an instant before its expiry, which the merge
 *   rule prefers: the re-push of a transition made offline after the expiry arrived); a
 *   transition's instant lies between the action's creation and its expiry (an action past
 *   its expiry was no longer pending then), and, with the other times, not in the future.
 */
function mayWrite(write: ProposedWrite<ActionFields>, { writer, now, allowance }: JudgeContext): WriteRefusal | null {
  const { previous, next, deleted } = write;
  if (writer.role === 'bot') {
    if (deleted || previous === undefined) return null;
    const allowed =
      previous.status !== 'pending'
        ? TRANSITION
        : next.status === 'pending'
          ? [...BOT_EDITABLE, ...SNOOZE]
          : [...BOT_EDITABLE, ...TRANSITION];
    const field = changedFields(previous, next).find((name) => !allowed.includes(name));
    return field === undefined ? null : forbidden(`a bot may not change ${field} here`, [field]);
  }
  if (deleted) return forbidden('a member may not delete documents', []);
  if (previous === undefined) return forbidden('a member may not create documents', []);
  // A transition made before the expiry beats it (the merge rule): after a conflict with the
  // expired version its store re-pushes it against that version, so it must pass here too.
  // Its instant is checked below to lie before the expiry.
  const overExpiry = previous.status === 'expired' && next.status !== 'expired';
  if (previous.status !== 'pending' && !overExpiry) return forbidden('a member may only change a pending action', ['status']);
  const allowed = MEMBER_CHANGES[next.status];
  if (!allowed) return forbidden('a member may only action, dismiss, snooze or expire an action', ['status']);
  const field = changedFields(previous, next).find((name) => !allowed.includes(name));
  if (field !== undefined) return forbidden(`a member may not change ${field}`, [field]);
  // An early expiry, like any time beyond the allowance, is the time rule's to refuse.
  if (next.status === 'expired') return null;
  if (next.status === 'actioned') {
    if (writer.subject === undefined || next.actioned_by !== writer.subject) {
      return forbidden('a member actions only in its own name (actioned_by = token subject)', ['actioned_by']);
    }
    if (next.actioned_at !== next.status_at) return forbidden('actioned_at must equal status_at', ['actioned_at']);
  }
  if (next.status === 'pending') return snoozeRefusal(previous, next, writer.subject, now + allowance.skewMs);
  const future = next.status_at > now + allowance.skewMs;
  if (!future && (next.status_at < previous.created_at || next.status_at >= previous.expires_at)) {
    return forbidden('the transition must lie between the action’s creation and its expiry', ['status_at']);
  }
  return null;
}

/** A member's snooze: in its own name, made anew, at an instant the action was pending (a future one is the time rule's). */
function snoozeRefusal(previous: ActionFields, next: ActionFields, subject: string | undefined, latest: number): WriteRefusal | null {
  if (subject === undefined || next.snoozed_by !== subject) {
    return forbidden('a member snoozes only in its own name (snoozed_by = token subject)', ['snoozed_by']);
  }
  const at = next.snoozed_at;
  if (at === undefined || at === previous.snoozed_at)
    return forbidden('a snooze carries the instant it was made (snoozed_at)', ['snoozed_at']);
  if (at <= latest && (at < previous.created_at || at >= previous.expires_at)) {
    return forbidden('the snooze must lie between the action’s creation and its expiry', ['snoozed_at']);
  }
  return null;
}

/** Nobody expires an action before it is due by the judge's clock (within the allowance). */
function timeRule(write: ProposedWrite<ActionFields>, { now, allowance }: JudgeContext): WriteRefusal | null {
  const { previous, next } = write;
  if (next.status !== 'expired' || previous?.status === 'expired') return null;
  return next.expires_at > now + allowance.skewMs ? skewed('the action is not due yet by the server clock', ['expires_at']) : null;
}

export const actionWriteRules: WriteRules<ActionFields> = {
  timeFields: ['created_at', 'status_at', 'actioned_at', 'snoozed_at'],
  mayWrite,
  timeRule,
};
