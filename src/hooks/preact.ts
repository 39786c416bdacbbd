import { createContext, createElement, type ComponentChildren, type Context, type VNode } from 'preact';
import { useContext, useEffect, useMemo, useReducer } from 'preact/hooks';
import { bindHooks } from './bind-hooks.ts';
import type { LiveSource, LiveState } from './live-source.ts';

/** Preact renders synchronously: a subscription in an effect plus the snapshot at render cannot tear. */
function useSource<T>(source: LiveSource<T>): LiveState<T> {
  const [, rerender] = useReducer((count: number) => count + 1, 0);
  useEffect(() => source.subscribe(() => rerender(undefined)), [source]);
  return source.getSnapshot();
}

/**
 * Preact 10 bindings (no preact/compat needed). The same behaviour as the React ones: one
 * subscription per query, unsubscribed on unmount.
 *
 * @example
 * import { BrainStoreProvider, useBrainStore, useLiveQuery } from '@brain-store/client/preact';
 *
 * function Latest({ workspace }: { workspace: string }) {
 *   const store = useBrainStore();
 *   const { data } = useLiveQuery(() => store.brainSummaries.getLatestSummary({ workspace_id: workspace }), [store, workspace]);
 *   return <p>{data?.summary_text ?? 'No summary yet'}</p>;
 * }
 */
const hooks = bindHooks<ComponentChildren, VNode>({
  createContext: (value) => createContext(value),
  createElement: (type, props, children) => createElement(type as Parameters<typeof createElement>[0], props, children),
  useContext: <V>(context: { Provider: unknown }) => useContext(context as Context<V>),
  useMemo: (make, deps) => useMemo(make, deps),
  useSource,
});

export const { useLiveQuery, useObservable, useSyncStatus, BrainStoreProvider, useBrainStore, useBrainSync } = hooks;
export type { LiveState } from './live-source.ts';
export type { BrainStoreContextValue, BrainStoreProviderProps, LiveReadable, UseLiveQuery } from './bind-hooks.ts';
