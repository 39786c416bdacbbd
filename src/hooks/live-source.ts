import type { Observable, Subscription } from 'rxjs';

/** What a hook renders: the latest value, whether the first one is still coming, and a failure. */
export interface LiveState<T> {
  /** The latest value; `undefined` until the first one arrives. */
  readonly data: T | undefined;
  /** True until the first value (or an error) arrives. */
  readonly loading: boolean;
  /** The error the source ended with, if any (the value before it is kept in `data`). */
  readonly error: Error | undefined;
}

/**
 * An observable seen as an external store (`subscribe` + `getSnapshot`), the shape React's
 * `useSyncExternalStore` needs and Preact's hooks can read the same way. The observable is
 * subscribed once however many listeners there are, from the first listener to the last;
 * `getSnapshot` returns the same object until the state changes, so renders never tear.
 *
 * Framework-free on purpose: react.ts and preact.ts are thin bindings over it.
 */
export interface LiveSource<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): LiveState<T>;
}

const NO_SOURCE: LiveSource<never> = {
  subscribe: () => () => undefined,
  getSnapshot: () => IDLE,
};
const IDLE: LiveState<never> = Object.freeze({ data: undefined, loading: false, error: undefined });

/** `initial` shows (and `loading` is false) when the source is known to start with a value. */
export function liveSource<T>(source$: Observable<T> | null | undefined, initial?: { value: T }): LiveSource<T> {
  if (!source$) return NO_SOURCE;
  let state: LiveState<T> = initial
    ? { data: initial.value, loading: false, error: undefined }
    : { data: undefined, loading: true, error: undefined };
  const listeners = new Set<() => void>();
  let subscription: Subscription | undefined;
  const set = (next: LiveState<T>) => {
    state = next;
    for (const listener of [...listeners]) listener();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      subscription ??= source$.subscribe({
        next: (data) => set({ data, loading: false, error: undefined }),
        error: (error: unknown) =>
          set({ data: state.data, loading: false, error: error instanceof Error ? error : new Error(String(error)) }),
      });
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        subscription?.unsubscribe();
        subscription = undefined;
      };
    },
    getSnapshot: () => state,
  };
}
