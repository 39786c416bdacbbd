import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import { BehaviorSubject, Observable, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { BrainAction, BrainSync, SyncStatus } from '../../src/index.ts';
import type { LiveReadable, LiveState } from '../../src/hooks/react.ts';
import type * as ReactHooks from '../../src/hooks/react.ts';
import { actionArgs } from '../queries/fixtures.ts';
import { closingStores } from '../helpers/storages.ts';

type Hooks = Pick<typeof ReactHooks, 'useLiveQuery' | 'useObservable' | 'useSyncStatus' | 'BrainStoreProvider' | 'useBrainStore'>;

/** What each framework's Testing Library gives: render, its h(), act and waitFor. */
export interface Framework {
  readonly hooks: Hooks;
  h(type: unknown, props?: Record<string, unknown> | null, ...children: unknown[]): unknown;
  render(element: unknown): { container: HTMLElement; rerender(element: unknown): void; unmount(): void };
  waitFor<T>(check: () => T): Promise<T>;
  act(work: () => void | Promise<void>): Promise<void>;
}

/** Wraps a live read so the test sees how many subscriptions it holds open. */
function counted<T>(query: LiveReadable<T>) {
  const counter = { open: 0, opened: 0 };
  const $ = new Observable<T>((subscriber) => {
    counter.open += 1;
    counter.opened += 1;
    const inner = query.$.subscribe(subscriber);
    return () => {
      counter.open -= 1;
      inner.unsubscribe();
    };
  });
  return { query: { $ }, counter };
}

const text = (container: HTMLElement) => container.textContent ?? '';

/** One contract for React and Preact: the hooks behave the same in both. */
export function runHookContract(name: string, ui: Framework): void {
  const { hooks, h } = ui;
  const stores = closingStores();
  const openStore = () => stores.open(() => getRxStorageDexie({ indexedDB: new IDBFactory(), IDBKeyRange }));

  /** Renders the reasons of the queue of `workspace` (optionally one urgency). */
  function Queue(props: { urgency?: 'immediate' | 'today' }) {
    const store = hooks.useBrainStore();
    // A fresh args object every render, as people write it: compared by value.
    const state: LiveState<BrainAction[]> = hooks.useLiveQuery(store.brainActions.getActionsByPriority, {
      workspace_id: 'w1',
      ...(props.urgency ? { urgency: props.urgency } : {}),
    });
    if (state.loading) return h('p', null, 'loading');
    return h('ul', null, ...(state.data ?? []).map((action) => h('li', { key: action.id }, action.reason)));
  }

  describe(`${name} hooks`, () => {
    it('shows loading, then the current answer, then live updates', async () => {
      const store = await openStore();
      await store.brainActions.createActionRecommendation(actionArgs({ reason: 'first', priority: 40 }));
      const view = ui.render(h(hooks.BrainStoreProvider, { store }, h(Queue, {})));
      expect(text(view.container)).toBe('loading');
      await ui.waitFor(() => expect(text(view.container)).toBe('first'));
      await ui.act(async () => {
        await store.brainActions.createActionRecommendation(actionArgs({ reason: 'urgent', priority: 90, urgency: 'immediate' }));
      });
      await ui.waitFor(() => expect(text(view.container)).toBe('urgentfirst'));
      view.unmount();
    });

    it('follows a filter change with the new query', async () => {
      const store = await openStore();
      await store.brainActions.createActionRecommendation(actionArgs({ reason: 'today', priority: 40, urgency: 'today' }));
      await store.brainActions.createActionRecommendation(actionArgs({ reason: 'now', priority: 30, urgency: 'immediate' }));
      const view = ui.render(h(hooks.BrainStoreProvider, { store }, h(Queue, { urgency: 'today' })));
      await ui.waitFor(() => expect(text(view.container)).toBe('today'));
      view.rerender(h(hooks.BrainStoreProvider, { store }, h(Queue, { urgency: 'immediate' })));
      await ui.waitFor(() => expect(text(view.container)).toBe('now'));
      view.unmount();
    });

    it('reads nothing for null args, and starts reading when args arrive', async () => {
      const store = await openStore();
      await store.brainActions.createActionRecommendation(actionArgs({ reason: 'later' }));
      function Maybe(props: { workspace: string | null }) {
        const state = hooks.useLiveQuery(
          store.brainActions.getActionsByPriority,
          props.workspace ? { workspace_id: props.workspace } : null,
        );
        return h('p', null, state.data ? state.data.map((action) => action.reason).join(',') : `none:${String(state.loading)}`);
      }
      const view = ui.render(h(Maybe, { workspace: null }));
      expect(text(view.container)).toBe('none:false');
      view.rerender(h(Maybe, { workspace: 'w1' }));
      await ui.waitFor(() => expect(text(view.container)).toBe('later'));
      view.unmount();
    });

    it('subscribes once however often it renders, and unsubscribes on unmount', async () => {
      const store = await openStore();
      await store.brainActions.createActionRecommendation(actionArgs({ reason: 'one' }));
      const { query, counter } = counted(store.brainActions.getActionsByPriority({ workspace_id: 'w1' }));
      function Count(props: { tick: number }) {
        const { data } = hooks.useLiveQuery(query);
        return h('p', null, `${props.tick}:${data?.length ?? '-'}`);
      }
      const view = ui.render(h(Count, { tick: 0 }));
      await ui.waitFor(() => expect(text(view.container)).toBe('0:1'));
      for (let tick = 1; tick <= 5; tick += 1) view.rerender(h(Count, { tick }));
      await ui.waitFor(() => expect(text(view.container)).toBe('5:1'));
      expect(counter.open).toBe(1);
      view.unmount();
      expect(counter.open).toBe(0);
    });

    it('reports an error the query ends with, keeping the last value', async () => {
      const source$ = new Subject<number>();
      const failing = { $: source$ as Observable<number> };
      function Failing() {
        const state = hooks.useLiveQuery(failing);
        return h('p', null, `${String(state.data)}|${state.error?.message ?? 'ok'}`);
      }
      const view = ui.render(h(Failing, {}));
      await ui.act(() => source$.next(7));
      await ui.waitFor(() => expect(text(view.container)).toBe('7|ok'));
      await ui.act(() => source$.error(new Error('storage closed')));
      await ui.waitFor(() => expect(text(view.container)).toBe('7|storage closed'));
      view.unmount();
    });

    it('useSyncStatus reads the provider’s replication; useObservable any observable', async () => {
      const store = await openStore();
      const status$ = new BehaviorSubject<SyncStatus>({ state: 'syncing', pending: 2, lastSyncedAt: null });
      const rejected$ = new BehaviorSubject<readonly unknown[]>([]);
      const sync = { status$, rejected$ } as unknown as BrainSync;
      function Bar() {
        const status = hooks.useSyncStatus();
        const rejected = hooks.useObservable(sync.rejected$, []);
        return h('p', null, `${status?.state ?? 'none'}:${status?.pending ?? '-'}:${rejected.length}`);
      }
      const view = ui.render(h(hooks.BrainStoreProvider, { store, sync }, h(Bar, {})));
      await ui.waitFor(() => expect(text(view.container)).toBe('syncing:2:0'));
      await ui.act(() => status$.next({ state: 'idle', pending: 0, lastSyncedAt: 1 }));
      await ui.waitFor(() => expect(text(view.container)).toBe('idle:0:0'));
      view.unmount();
      expect(status$.observed).toBe(false);
    });

    it('useBrainStore outside a provider throws a CONFIG error naming the hook', () => {
      function Lost() {
        hooks.useBrainStore();
        return null;
      }
      const quiet = console.error;
      console.error = () => undefined;
      try {
        expect(() => ui.render(h(Lost, {}))).toThrow(/useBrainStore\(\) was called outside <BrainStoreProvider/);
      } finally {
        console.error = quiet;
      }
    });
  });
}
