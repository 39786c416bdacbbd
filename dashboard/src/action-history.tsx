import { useMemo, useState } from 'preact/hooks';
import type { ActionStatus, BrainAction, BrainStore } from './brain-store.ts';
import { useObservable } from './use-observable.ts';
import { ActionRow } from './action-row.tsx';
import { plural, words } from './format.ts';
import { FilterSelect } from './filter-select.tsx';

const DONE_STATUSES = ['actioned', 'dismissed', 'expired'] as const satisfies readonly ActionStatus[];
type DoneStatus = (typeof DONE_STATUSES)[number];

/** Actions that left the queue, by status, from getActionsByWorkspace. */
export function ActionHistory({ store, workspace }: { store: BrainStore; workspace: string }) {
  const [status, setStatus] = useState<DoneStatus>('actioned');
  const query = useMemo(
    () => store.brainActions.getActionsByWorkspace({ workspace_id: workspace, status, limit: 100 }),
    [store, workspace, status],
  );
  const actions = useObservable<BrainAction[] | undefined>(query.$, undefined);
  return (
    <section aria-labelledby="history-heading">
      <div class="section-head">
        <h2 id="history-heading">History</h2>
        <FilterSelect
          label="Status"
          value={status}
          values={DONE_STATUSES}
          name={words}
          onChange={(value) => value !== '' && setStatus(value)}
        />
      </div>
      {actions === undefined ? (
        <p class="empty">Loading…</p>
      ) : actions.length === 0 ? (
        <p class="empty">No {status} actions yet.</p>
      ) : (
        <>
          <p class="count">{plural(actions.length, `${status} action`)}</p>
          <ol class="actions" data-testid="action-history">
            {actions.map((action) => (
              <ActionRow key={action.id} action={action} now={0} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
