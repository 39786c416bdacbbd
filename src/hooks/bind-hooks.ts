import type { Observable } from 'rxjs';
import type { BrainStore } from '../store/create-brain-store.ts';
import type { BrainSync } from '../replication/replicate-brain-store.ts';
import type { SyncStatus } from '../replication/sync-status.ts';
import { BrainStoreError } from '../errors/brain-store-error.ts';
import { liveSource, type LiveSource, type LiveState } from './live-source.ts';

/** Anything with a live `$`: a LiveQuery (`store.brainActions.getActionsByPriority(…)`). */
export interface LiveReadable<T> {
  readonly $: Observable<T>;
}

/** What the provider hands down: the store, and the replication when there is one. */
export interface BrainStoreContextValue {
  readonly store: BrainStore;
  readonly sync: BrainSync | null;
}

export interface BrainStoreProviderProps<Node> {
  readonly store: BrainStore;
  readonly sync?: BrainSync | null | undefined;
  readonly children?: Node;
}

/** The few primitives React and Preact both offer, under the names both use. */
export interface HookPrimitives<Node, Element> {
  createContext<V>(value: V): { Provider: unknown };
  // Each framework types its own createElement; the bindings only need this call shape.
  createElement(type: unknown, props: Record<string, unknown>, children?: Node): Element;
  useContext<V>(context: { Provider: unknown }): V;
  useMemo<V>(make: () => V, deps: readonly unknown[]): V;
  /** Subscribes to a live source and returns its current snapshot without tearing. */
  useSource<T>(source: LiveSource<T>): LiveState<T>;
}

export interface UseLiveQuery {
  /**
   * The current answer of `read(args)`, e.g. `useLiveQuery(store.brainActions.getActionsByPriority,
   * { workspace_id })`. `args` are compared by value (as JSON), so an inline object is fine: the
   * query is made again only when they change. `null` args read nothing (`data` undefined).
   */
  <A, T>(read: (args: A) => LiveReadable<T>, args: A | null): LiveState<T>;
  /**
   * The current answer of a live query object. It must be the SAME object across renders
   * (made outside the component or in useMemo): a new object each render is a new
   * subscription each render. Prefer the `(read, args)` form.
   */
  <T>(query: LiveReadable<T> | null | undefined): LiveState<T>;
}

/**
 * Builds the hooks once per framework, so React and Preact share every line of behaviour:
 * one subscription per query however often a component renders, unsubscribed on unmount,
 * and a snapshot that only changes with the answer.
 */
export function bindHooks<Node, Element>(ui: HookPrimitives<Node, Element>) {
  const Context = ui.createContext<BrainStoreContextValue | null>(null);

  const useLiveQuery: UseLiveQuery = <A, T>(
    queryOrRead: LiveReadable<T> | null | undefined | ((args: A) => LiveReadable<T>),
    args?: A | null,
  ): LiveState<T> => {
    // The same three deps whichever form, so hooks keep their order and count.
    const read = typeof queryOrRead === 'function' ? queryOrRead : undefined;
    const argsKey = read && args !== null && args !== undefined ? JSON.stringify(args) : undefined;
    const given = typeof queryOrRead === 'function' ? undefined : queryOrRead;
    const query = ui.useMemo<LiveReadable<T> | null | undefined>(
      () => (read && argsKey !== undefined ? read(args as A) : given),
      [read, argsKey, given],
    );
    const source = ui.useMemo(() => liveSource(query?.$), [query]);
    return ui.useSource(source);
  };

  /** The latest value of any observable (`sync.rejected$`, `sync.clockOffset$` …); `initial` until the first. */
  function useObservable<T>(source$: Observable<T> | null | undefined, initial: T): T {
    const source = ui.useMemo(() => liveSource(source$), [source$]);
    const { data, loading } = ui.useSource(source);
    return loading || data === undefined ? initial : data;
  }

  /** The replication's status (`state`, `pending`, `lastSyncedAt`, `error`); undefined until it is known or without a sync. */
  function useSyncStatus(sync?: BrainSync | null): SyncStatus | undefined {
    const fromContext = ui.useContext<BrainStoreContextValue | null>(Context)?.sync;
    const chosen = sync === undefined ? fromContext : sync;
    const source = ui.useMemo(() => liveSource(chosen?.status$), [chosen]);
    return ui.useSource(source).data;
  }

  /** Makes `store` (and `sync`) available to useBrainStore / useBrainSync / useSyncStatus below it. */
  function BrainStoreProvider(props: BrainStoreProviderProps<Node>): Element {
    const { store, sync = null, children } = props;
    const value = ui.useMemo<BrainStoreContextValue>(() => ({ store, sync }), [store, sync]);
    return ui.createElement(Context.Provider, { value }, children);
  }

  function useContextValue(hook: string): BrainStoreContextValue {
    const value = ui.useContext<BrainStoreContextValue | null>(Context);
    if (!value) {
      throw new BrainStoreError('CONFIG', {
        parameters: { hook },
        message: `${hook}() was called outside <BrainStoreProvider store={…}>.`,
      });
    }
    return value;
  }

  /** The store given to the nearest BrainStoreProvider (throws CONFIG outside one). */
  const useBrainStore = (): BrainStore => useContextValue('useBrainStore').store;
  /** The replication given to the nearest BrainStoreProvider, or null (throws CONFIG outside one). */
  const useBrainSync = (): BrainSync | null => useContextValue('useBrainSync').sync;

  return { useLiveQuery, useObservable, useSyncStatus, BrainStoreProvider, useBrainStore, useBrainSync };
}
