import type { ActionStatus } from './action-status.ts';
import {
  changedFields,
  forbidden,
  skewed,
  type JudgeContext,
  type ProposedWrite,
  type WriteRefusal,
  type WriteRules,
} from './write-rules.ts';

interface ActionFields {
  readonly status: ActionStatus;
  readonly status_at: number;
  readonly created_at: number;
  readonly expires_at: number;
  readonly actioned_at?: number | undefined;
  readonly actioned_by?: string | undefined;
}

/** What a bot may change on a pending action (the original's createActionRecommendation inputs that may be re-judged). */
const BOT_EDITABLE = ['priority', 'priority_rank', 'urgency', 'reason', 'suggested_message', 'expires_at'];
/** What a transition sets. */
const TRANSITION = ['status', 'status_at', 'actioned_at', 'actioned_by'];
/** What each member transition may change, nothing else (the original's markActionActioned / dismissAction). */
const MEMBER_CHANGES: Partial<Record<ActionStatus, readonly string[]>> = {
  actioned: TRANSITION,
  dismissed: ['status', 'status_at'],
  expired: ['status', 'status_at'],
};

/**
 * The roles' rules for actions:
 * - a bot creates, deletes (purges), edits a pending action's priority, urgency, reason,
 *   suggested message and expiry, and makes every transition — never touching the fields
 *   that identify the recommendation (contact, type, creation);
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
      previous.status !== 'pending' ? TRANSITION : next.status === 'pending' ? BOT_EDITABLE : [...BOT_EDITABLE, ...TRANSITION];
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
  if (!allowed) return forbidden('a member may only action, dismiss or expire an action', ['status']);
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
  const future = next.status_at > now + allowance.skewMs;
  if (!future && (next.status_at < previous.created_at || next.status_at >= previous.expires_at)) {
    return forbidden('the transition must lie between the action’s creation and its expiry', ['status_at']);
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
  timeFields: ['created_at', 'status_at', 'actioned_at'],
  mayWrite,
  timeRule,
};
