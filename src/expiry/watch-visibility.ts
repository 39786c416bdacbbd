/**
 * Calls `onVisible` whenever the browser tab becomes visible again: timers in hidden tabs
 * are throttled (Chrome: once a minute, or frozen), so expiries may be overdue on return.
 * Outside a browser (no `document`) it does nothing. Returns the function that removes the
 * listener.
 */
export function watchVisibility(onVisible: () => void): () => void {
  const doc = (globalThis as { document?: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'> }).document;
  if (!doc) return () => undefined;
  const listener = () => {
    if (doc.visibilityState === 'visible') onVisible();
  };
  doc.addEventListener('visibilitychange', listener);
  return () => doc.removeEventListener('visibilitychange', listener);
}
