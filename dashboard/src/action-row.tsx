import { useState } from 'preact/hooks';
import type { BrainAction } from './brain-store.ts';
import { countdown, dateTime, SOON_MS, words } from './format.ts';
import { SnoozeMenu } from './snooze-menu.tsx';

export interface ActionRowProps {
  readonly action: BrainAction;
  readonly now: number;
  /** The row j/k stands on: the one e, d and the Tab key start from. */
  readonly current?: boolean;
  readonly onDone?: (event: MouseEvent) => void;
  readonly onDismiss?: (event: MouseEvent) => void;
  readonly onSnooze?: (until: number, label: string) => void;
  readonly onFocus?: () => void;
}

/**
 * One action: what to do and why, for whom, how urgent, how long it stays. Its buttons say
 * which action they act on ("Done: ‹reason›") to a screen reader; the row itself takes focus
 * (j/k, and after an action the next row), announced by its reason.
 */
export function ActionRow({ action, now, current = false, onDone, onDismiss, onSnooze, onFocus }: ActionRowProps) {
  const headingId = `action-${action.id}`;
  const pending = action.status === 'pending';
  const left = action.expires_at - now;
  const soon = pending && left <= SOON_MS;
  return (
    <li
      class={`action urgency-${action.urgency}${soon ? ' soon' : ''}${current ? ' current' : ''}`}
      aria-labelledby={headingId}
      data-action-id={action.id}
      tabIndex={-1}
      onFocusIn={onFocus}
    >
      <div class="action-main">
        <h3 id={headingId} class="reason">
          {action.reason}
        </h3>
        <p class="meta">
          <span class="contact">
            <span class="visually-hidden">Contact </span>
            {action.contact_id}
          </span>
          <span class="tag">{words(action.action_type)}</span>
          <span class={`tag urgency ${action.urgency}`}>{words(action.urgency)}</span>
          <span class="priority" title="Priority, 0–100">
            Priority <strong>{action.priority}</strong>
          </span>
        </p>
        {action.suggested_message ? <SuggestedMessage text={action.suggested_message} /> : null}
        <p class="when">
          {pending ? (
            <>
              {soon ? <strong class="soon-flag">Expires soon · </strong> : null}
              Expires in{' '}
              <time class="countdown" dateTime={new Date(action.expires_at).toISOString()} title={dateTime(action.expires_at)}>
                {countdown(left)}
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
          <button type="button" class="primary" data-act="done" aria-label={`Done: ${action.reason}`} onClick={onDone}>
            Done
          </button>
          <button type="button" class="secondary" data-act="dismiss" aria-label={`Dismiss: ${action.reason}`} onClick={onDismiss}>
            Dismiss
          </button>
          {onSnooze ? <SnoozeMenu reason={action.reason} now={now} expiresAt={action.expires_at} onSnooze={onSnooze} /> : null}
        </div>
      ) : null}
    </li>
  );
}

/** The bot's suggested message, with a button that copies it for pasting into a chat. */
function SuggestedMessage({ text }: { text: string }) {
  const [copied, setCopied] = useState<'copied' | 'failed' | null>(null);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setCopied('copied'),
      () => setCopied('failed'),
    );
    setTimeout(() => setCopied(null), 2_000);
  };
  return (
    <div class="message">
      <blockquote>
        <span class="visually-hidden">Suggested message: </span>
        {text}
      </blockquote>
      <button type="button" class="quiet copy" onClick={copy}>
        {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy message'}
      </button>
    </div>
  );
}
