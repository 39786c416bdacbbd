import {
  createContext,
  createElement,
  useContext,
  useMemo,
  useSyncExternalStore,
  type Context,
  type ReactElement,
  type ReactNode,
} from 'react';
import { bindHooks } from './bind-hooks.ts';

/**
 * React 18/19 bindings. Reads go through `useSyncExternalStore`, so a live query never tears
 * under concurrent rendering; each query is subscribed once and unsubscribed on unmount.
 *
 * @example
 * import { BrainStoreProvider, useBrainStore, useLiveQuery, useSyncStatus } from '@brain-store/client/react';
 *
 * function Queue({ workspace }: { workspace: string }) {
 *   const store = useBrainStore();
 *   const { data: actions = [], loading } = useLiveQuery(
 *     () => store.brainActions.getActionsByPriority({ workspace_id: workspace }),
 *     [store, workspace],
 *   );
 *   const status = useSyncStatus();
 *   if (loading) return <p>Loading…</p>;
 *   return <ul>{actions.map((a) => <li key={a.id}>{a.reason}</li>)}</ul>;
 * }
 * // <BrainStoreProvider store={store} sync={sync}><Queue workspace="w1" /></BrainStoreProvider>
 */
const hooks = bindHooks<ReactNode, ReactElement>({
  createContext: (value) => createContext(value),
  createElement: (type, props, children) => createElement(type as Parameters<typeof createElement>[0], props, children),
  useContext: <V>(context: { Provider: unknown }) => useContext(context as Context<V>),
  useMemo: (make, deps) => useMemo(make, deps),
  useSource: (source) => useSyncExternalStore(source.subscribe, source.getSnapshot, source.getSnapshot),
});

export const { useLiveQuery, useObservable, useSyncStatus, BrainStoreProvider, useBrainStore, useBrainSync } = hooks;
export type { LiveState } from './live-source.ts';
export type { BrainStoreContextValue, BrainStoreProviderProps, LiveReadable, UseLiveQuery } from './bind-hooks.ts';
