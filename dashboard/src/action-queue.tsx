import { useEffect, useMemo, useState } from 'preact/hooks';
import { ACTION_URGENCIES, isBrainStoreError, type ActionUrgency, type BrainAction, type BrainStore } from './brain-store.ts';
import { useNow, useObservable } from './use-observable.ts';
import { ActionRow } from './action-row.tsx';
import { plural, words } from './format.ts';
import { FilterSelect } from './filter-select.tsx';

/** How many actions the queue shows (the query's ceiling is 100). */
const QUEUE_LIMIT = 50;

/**
 * The pending queue from getActionsByPriority, highest priority first. The live query itself
 * drops an action at its expires_at instant; Done and Dismiss write locally and show at once.
 */
export function ActionQueue({ store, workspace, actor }: { store: BrainStore; workspace: string; actor: string }) {
  const [urgency, setUrgency] = useState<ActionUrgency | ''>('');
  const [message, setMessage] = useState('');
  const query = useMemo(
    () => store.brainActions.getActionsByPriority({ workspace_id: workspace, limit: QUEUE_LIMIT, ...(urgency ? { urgency } : {}) }),
    [store, workspace, urgency],
  );
  const queried = useObservable<BrainAction[] | undefined>(query.$, undefined);
  // Rows handled in this tab leave at the click, within the frame: the IndexedDB write and the
  // live query's re-emission take longer than one. A failed write brings the row back.
  const [leaving, setLeaving] = useState<ReadonlySet<string>>(() => new Set());
  useEffect(() => {
    // Once the query no longer has a row, it is gone for real: forget it.
    if (queried && [...leaving].some((id) => !queried.some((action) => action.id === id))) {
      setLeaving((current) => new Set([...current].filter((id) => queried.some((action) => action.id === id))));
    }
  }, [queried, leaving]);
  const actions = queried?.filter((action) => !leaving.has(action.id));
  const now = useNow(store.now);

  const act = (action: BrainAction, kind: 'done' | 'dismiss') => {
    setLeaving((current) => new Set(current).add(action.id));
    const comeBack = () =>
      setLeaving((current) => {
        const next = new Set(current);
        next.delete(action.id);
        return next;
      });
    // The write starts in the next task, after this frame: its first run (validation compiled
    // then) must not hold the row's removal off the screen.
    const write = new Promise((resolve) => setTimeout(resolve, 0)).then(() =>
      kind === 'done'
        ? store.brainActions.markActionActioned({ action_id: action.id, actioned_by: actor })
        : store.brainActions.dismissAction({ action_id: action.id }),
    );
    write.then(
      () => setMessage(`${kind === 'done' ? 'Marked done' : 'Dismissed'}: ${action.reason}`),
      (error: unknown) => {
        comeBack();
        setMessage(
          isBrainStoreError(error) && error.code === 'INVALID_TRANSITION'
            ? 'That action had already changed (expired or handled elsewhere).'
            : `Could not save: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
  };

  return (
    <section aria-labelledby="queue-heading">
      <div class="section-head">
        <h2 id="queue-heading">Action queue</h2>
        <FilterSelect label="Urgency" value={urgency} values={ACTION_URGENCIES} name={words} any="All" onChange={setUrgency} />
      </div>
      <p class="visually-hidden" role="status">
        {message}
      </p>
      {actions === undefined ? (
        <p class="empty">Loading actions…</p>
      ) : actions.length === 0 ? (
        <p class="empty">
          No pending actions{urgency ? ` marked ${words(urgency).toLowerCase()}` : ''}. New ones appear here as the bot writes them.
        </p>
      ) : (
        <>
          <p class="count">{plural(actions.length, 'pending action')}, highest priority first</p>
          <ol class="actions" data-testid="action-queue">
            {actions.map((action) => (
              <ActionRow
                key={action.id}
                action={action}
                now={now}
                onDone={() => act(action, 'done')}
                onDismiss={() => act(action, 'dismiss')}
              />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
