import type { ComponentType, FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A view whose code loads the first time it is shown (the first visit's JavaScript carries
 * only the queue: issue 16.7). The service worker precaches every chunk, so it opens offline.
 */
export function lazyView<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  return function LazyView(props: P) {
    const [View, setView] = useState<ComponentType<P> | undefined>(() => loaded);
    useEffect(() => {
      if (View) return;
      let mounted = true;
      (loading ??= load().then((view) => (loaded = view))).then(
        (view) => mounted && setView(() => view),
        () => (loading = undefined),
      );
      return () => void (mounted = false);
    }, [View]);
    return View ? (
      <View {...props} />
    ) : (
      <p class="empty" role="status">
        <span class="spinner" aria-hidden="true" /> Loading…
      </p>
    );
  };
}
