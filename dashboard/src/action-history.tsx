import { useMemo } from 'preact/hooks';
import type { ActionStatus, BrainStore } from './brain-store.ts';
import { useObservable } from './use-observable.ts';
import { ActionRow } from './action-row.tsx';
import { plural } from './format.ts';
import { FilterSelect } from './filter-select.tsx';
import { historyPage$, type HistoryPage } from './history-source.ts';
import type { DeferredActs } from './deferred-acts.ts';
import type { ViewState } from './view-state.ts';
import { Pager } from './pager.tsx';

const DONE_STATUSES = ['actioned', 'dismissed', 'expired'] as const satisfies readonly ActionStatus[];
type DoneStatus = (typeof DONE_STATUSES)[number];
const PAGE_SIZE = 50;
const LABELS: Record<DoneStatus, string> = { actioned: 'Done', dismissed: 'Dismissed', expired: 'Expired' };

/**
 * Actions that left the queue, newest first, a page at a time, with who did what and when.
 * On top, the ones still in their undo window: those can be restored (a saved Done or
 * Dismiss cannot: a terminal status never returns to pending, on any replica).
 */
export function ActionHistory({
  store,
  workspace,
  acts,
  view,
  setView,
}: {
  store: BrainStore;
  workspace: string;
  acts: DeferredActs;
  view: ViewState;
  setView: (change: Partial<ViewState>) => void;
}) {
  const status: DoneStatus = (DONE_STATUSES as readonly string[]).includes(view.status) ? (view.status as DoneStatus) : 'actioned';
  const page$ = useMemo(
    () => historyPage$(store, { workspace, status, page: view.hpage - 1, pageSize: PAGE_SIZE }),
    [store, workspace, status, view.hpage],
  );
  const result = useObservable<HistoryPage | undefined>(page$, undefined);
  const deferred = useObservable(acts.acts$, []).filter((act) => act.workspace === workspace);
  const pages = Math.max(1, Math.ceil((result?.total ?? 0) / PAGE_SIZE));
  return (
    <section aria-labelledby="history-heading">
      <div class="section-head">
        <h2 id="history-heading">History</h2>
        <FilterSelect
          label="Status"
          value={status}
          values={DONE_STATUSES}
          name={(value) => LABELS[value]}
          onChange={(value) => value !== '' && setView({ status: value, hpage: 1 })}
        />
      </div>
      {deferred.length > 0 ? (
        <div class="restorable">
          <h3>Just now (not saved yet)</h3>
          <ul>
            {deferred.map((act) => (
              <li key={act.id}>
                {act.kind === 'done' ? 'Done' : act.kind === 'dismiss' ? 'Dismissed' : 'Snoozed'}: {act.reason}{' '}
                <button type="button" class="quiet" aria-label={`Restore: ${act.reason}`} onClick={() => acts.undo(act.id)}>
                  Restore
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {result === undefined ? (
        <p class="empty">Loading…</p>
      ) : result.total === 0 ? (
        <p class="empty">No {LABELS[status].toLowerCase()} actions yet.</p>
      ) : (
        <>
          <p class="count" data-testid="history-count">
            {plural(result.total, `${LABELS[status].toLowerCase()} action`)}, newest first
          </p>
          <ol class="actions" data-testid="action-history">
            {result.actions.map((action) => (
              <ActionRow key={action.id} action={action} now={0} />
            ))}
          </ol>
          <Pager page={view.hpage} pages={pages} label="History pages" onPage={(hpage) => setView({ hpage })} />
        </>
      )}
    </section>
  );
}
