import type { BrainAction } from './brain-store.ts';
import { countdown, dateTime, words } from './format.ts';

export interface ActionRowProps {
  readonly action: BrainAction;
  readonly now: number;
  readonly onDone?: () => void;
  readonly onDismiss?: () => void;
}

/** One action: what to do and why, for whom, how urgent, and how long it stays. */
export function ActionRow({ action, now, onDone, onDismiss }: ActionRowProps) {
  const headingId = `action-${action.id}`;
  const pending = action.status === 'pending';
  return (
    <li class={`action urgency-${action.urgency}`} aria-labelledby={headingId} data-action-id={action.id}>
      <div class="action-main">
        <h3 id={headingId} class="reason">
          {action.reason}
        </h3>
        <p class="meta">
          <span class="contact">{action.contact_id}</span>
          <span class="tag">{words(action.action_type)}</span>
          <span class={`tag urgency ${action.urgency}`}>{words(action.urgency)}</span>
          <span class="priority" title="Priority, 0–100">
            Priority <strong>{action.priority}</strong>
          </span>
        </p>
        {action.suggested_message ? (
          <blockquote class="message">
            <span class="visually-hidden">Suggested message: </span>
            {action.suggested_message}
          </blockquote>
        ) : null}
        <p class="when">
          {pending ? (
            <>
              Expires in{' '}
              <time class="countdown" dateTime={new Date(action.expires_at).toISOString()}>
                {countdown(action.expires_at - now)}
              </time>
            </>
          ) : (
            <>
              {words(action.status)} <time dateTime={new Date(action.status_at).toISOString()}>{dateTime(action.status_at)}</time>
              {action.actioned_by ? ` by ${action.actioned_by}` : ''}
            </>
          )}
        </p>
      </div>
      {pending && onDone && onDismiss ? (
        <div class="buttons">
          <button type="button" class="primary" onClick={onDone}>
            Done
          </button>
          <button type="button" class="secondary" onClick={onDismiss}>
            Dismiss
          </button>
        </div>
      ) : null}
    </li>
  );
}
