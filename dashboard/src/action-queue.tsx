import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ACTION_URGENCIES, type BrainAction, type BrainStore } from './brain-store.ts';
import { useNow, useObservable } from './use-observable.ts';
import { ActionRow } from './action-row.tsx';
import { plural, SOON_MS, words } from './format.ts';
import { FilterSelect } from './filter-select.tsx';
import { queuePage$, type QueuePage } from './queue-source.ts';
import type { DeferredActs, ActKind } from './deferred-acts.ts';
import type { ViewState } from './view-state.ts';
import { Pager } from './pager.tsx';
import { isTyping } from './keyboard.ts';

export const PAGE_SIZE = 50;
/** A second click this soon after an action is the rest of a double click, not a new decision. */
const DOUBLE_ACT_MS = 600;

export interface ActionQueueProps {
  readonly store: BrainStore;
  readonly workspace: string;
  readonly actor: string;
  readonly acts: DeferredActs;
  readonly view: ViewState;
  readonly setView: (change: Partial<ViewState>) => void;
  /** True until this device has finished its first sync: an empty queue is then not "empty". */
  readonly firstSync: boolean;
}

/**
 * The whole pending queue: its true count, a page of it in the chosen order, search,
 * urgency filter, and triage from the keyboard (j/k move, e Done, d Dismiss, / search).
 * Done and Dismiss go through the undo window (deferred-acts.ts): the row leaves at once.
 */
export function ActionQueue({ store, workspace, actor, acts, view, setView, firstSync }: ActionQueueProps) {
  const deferred = useObservable(acts.acts$, []);
  const hidden = useMemo(() => deferred.filter((act) => act.workspace === workspace).map((act) => act.id), [deferred, workspace]);
  const [search, setSearch] = useState(view.q);
  // The URL follows the search box a moment after typing stops.
  useEffect(() => {
    const timer = setTimeout(() => search !== view.q && setView({ q: search, page: 1 }), 250);
    return () => clearTimeout(timer);
  }, [search, view.q, setView]);
  const page$ = useMemo(
    () =>
      queuePage$(store, {
        workspace,
        urgency: view.urgency,
        search: view.q,
        sort: view.sort,
        page: view.page - 1,
        pageSize: PAGE_SIZE,
        hidden,
      }),
    [store, workspace, view.urgency, view.q, view.sort, view.page, hidden],
  );
  const result = useObservable<QueuePage | undefined>(page$, undefined);
  const now = useNow(store.now);
  const actions = result?.actions ?? [];
  const pages = Math.max(1, Math.ceil((result?.total ?? 0) / PAGE_SIZE));
  // A page emptied by triage (or a shrinking queue) steps back to the last page that exists.
  useEffect(() => {
    if (result && view.page > pages) setView({ page: pages });
  }, [result, view.page, pages, setView]);

  const [currentId, setCurrentIdState] = useState<string | undefined>(undefined);
  // Keys come faster than renders: the row j/k stands on is known at once, not at the next render.
  const currentRef = useRef<string | undefined>(undefined);
  const setCurrentId = (id: string | undefined) => {
    currentRef.current = id;
    setCurrentIdState(id);
  };
  const focusNext = useRef<{ id?: string; edge?: 'first' | 'last' } | undefined>(undefined);
  const listRef = useRef<HTMLOListElement>(null);
  // Not 0: performance.now() starts at page load, and a first click within the window must count.
  const lastActAt = useRef(Number.NEGATIVE_INFINITY);

  // Once the list shows the row asked for, it takes focus.
  useEffect(() => {
    const wanted = focusNext.current;
    if (!wanted || !result) return;
    const id = wanted.id ?? (wanted.edge === 'last' ? actions.at(-1)?.id : actions[0]?.id);
    const element = id ? listRef.current?.querySelector<HTMLElement>(`[data-action-id="${CSS.escape(id)}"]`) : undefined;
    if (!element && wanted.id && actions.some((action) => action.id === wanted.id)) return;
    focusNext.current = undefined;
    if (element) {
      element.focus();
      setCurrentId(id);
    } else if (actions.length === 0) {
      document.getElementById('queue-heading')?.focus();
    }
  }, [result, actions]);

  const act = (action: BrainAction, kind: ActKind, until?: number) => {
    const index = actions.findIndex((row) => row.id === action.id);
    const next = actions[index + 1] ?? actions[index - 1];
    focusNext.current = next ? { id: next.id } : { edge: 'first' };
    acts.act({ id: action.id, workspace, kind, reason: action.reason, actor, ...(until === undefined ? {} : { until }) });
  };
  const onClick = (action: BrainAction, kind: ActKind) => (event: MouseEvent) => {
    const at = performance.now();
    if (event.detail > 1 || at - lastActAt.current < DOUBLE_ACT_MS) {
      // The rest of a double click: its press focused a button of the row that slid under the
      // pointer; focus stays on the row itself, as after any action.
      const row = currentRef.current;
      if (row) listRef.current?.querySelector<HTMLElement>(`[data-action-id="${CSS.escape(row)}"]`)?.focus();
      return;
    }
    lastActAt.current = at;
    act(action, kind);
  };

  // j/k move, e/d act on the current row, / goes to the search box. One listener reads the
  // latest render's rows (a key pressed before an effect re-subscribed must not see old ones).
  const onKey = useRef<(event: KeyboardEvent) => void>(() => undefined);
  onKey.current = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target) || document.querySelector('dialog[open]')) return;
    const index = actions.findIndex((row) => row.id === currentRef.current);
    const current = actions[index];
    if (event.key === '/') {
      event.preventDefault();
      document.getElementById('queue-search')?.focus();
    } else if (event.key === 'j' || event.key === 'k') {
      event.preventDefault();
      const step = event.key === 'j' ? 1 : -1;
      const target = index === -1 ? 0 : index + step;
      if (target >= actions.length && view.page < pages) {
        focusNext.current = { edge: 'first' };
        setView({ page: view.page + 1 });
      } else if (target < 0 && view.page > 1) {
        focusNext.current = { edge: 'last' };
        setView({ page: view.page - 1 });
      } else {
        const row = actions[Math.min(Math.max(target, 0), actions.length - 1)];
        if (row) listRef.current?.querySelector<HTMLElement>(`[data-action-id="${CSS.escape(row.id)}"]`)?.focus();
      }
    } else if ((event.key === 'e' || event.key === 'd') && current && !event.repeat) {
      event.preventDefault();
      act(current, event.key === 'e' ? 'done' : 'dismiss');
    } else if (event.key === 's' && current && !event.repeat) {
      event.preventDefault();
      const until = store.now() + 3_600_000;
      if (until < current.expires_at) act(current, 'snooze', until);
    }
  };
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKey.current(event);
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, []);

  const soon = actions.filter((action) => action.expires_at - now <= SOON_MS).length;
  const first = (view.page - 1) * PAGE_SIZE + 1;
  const order = view.sort === 'priority' ? 'highest priority first' : 'soonest expiry first';
  return (
    <section aria-labelledby="queue-heading">
      <div class="section-head">
        <h2 id="queue-heading" tabIndex={-1}>
          Action queue
        </h2>
        <div class="toolbar">
          <label class="search">
            <span class="visually-hidden">Search actions</span>
            <input
              id="queue-search"
              type="search"
              placeholder="Search reason, contact, message"
              value={search}
              onInput={(event) => setSearch(event.currentTarget.value)}
              onKeyDown={(event) => {
                if (event.key === 'Escape' || event.key === 'Enter') {
                  setView({ q: search, page: 1 });
                  focusNext.current = { edge: 'first' };
                  if (event.key === 'Escape') event.currentTarget.blur();
                }
              }}
            />
          </label>
          <FilterSelect
            label="Urgency"
            value={view.urgency}
            values={ACTION_URGENCIES}
            name={words}
            any="All"
            onChange={(urgency) => setView({ urgency, page: 1 })}
          />
          <FilterSelect
            label="Sort"
            value={view.sort}
            values={['priority', 'expiry'] as const}
            name={(sort) => (sort === 'priority' ? 'Priority' : 'Soonest expiry')}
            onChange={(sort) => setView({ sort: sort === 'expiry' ? 'expiry' : 'priority', page: 1 })}
          />
        </div>
      </div>
      {result === undefined || (result.total === 0 && firstSync && view.q === '' && view.urgency === '') ? (
        <p class="empty" role="status">
          <span class="spinner" aria-hidden="true" /> Loading your queue…
        </p>
      ) : result.total === 0 ? (
        <p class="empty">
          {view.q || view.urgency
            ? `No pending actions match${view.q ? ` “${view.q}”` : ''}${view.urgency ? ` marked ${words(view.urgency).toLowerCase()}` : ''}.`
            : 'Nothing to do: no pending actions. New ones appear here as the bot writes them.'}
        </p>
      ) : (
        <>
          <p class="count" data-testid="queue-count">
            {result.total > actions.length
              ? `${first.toLocaleString()}–${(first + actions.length - 1).toLocaleString()} of ${plural(result.total, 'pending action')}`
              : plural(result.total, 'pending action')}
            , {order}
            {soon > 0 ? <strong class="soon-count"> · {soon} on this page expire within the hour</strong> : null}
            {result.snoozed > 0 ? ` · ${plural(result.snoozed, 'snoozed action')} hidden until later` : null}
          </p>
          <ol class="actions" data-testid="action-queue" ref={listRef}>
            {actions.map((action) => (
              <ActionRow
                key={action.id}
                action={action}
                now={now}
                current={action.id === currentId}
                onFocus={() => setCurrentId(action.id)}
                onDone={onClick(action, 'done')}
                onDismiss={onClick(action, 'dismiss')}
                onSnooze={(until) => act(action, 'snooze', until)}
              />
            ))}
          </ol>
          <Pager page={view.page} pages={pages} label="Queue pages" onPage={(page) => setView({ page })} />
        </>
      )}
    </section>
  );
}
