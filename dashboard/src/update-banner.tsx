import { render } from 'preact';
import type { DashboardUpdate } from './register-service-worker.ts';
import { useObservable } from './use-observable.ts';

/** "A new version is available — Reload": shown once a new build waits; nothing changes until the click. */
export function UpdateBanner({ update }: { update: DashboardUpdate }) {
  const available = useObservable(update.available$, false);
  if (!available) return null;
  return (
    <aside class="update-banner" role="status" aria-live="polite">
      <span>A new version is available.</span>{' '}
      <button type="button" onClick={() => update.apply()}>
        Reload
      </button>
    </aside>
  );
}

/** Shows the banner above whatever the page renders (the app, the welcome page, a fatal error). */
export function mountUpdateBanner(update: DashboardUpdate): void {
  const host = document.createElement('div');
  host.className = 'update-host';
  document.body.prepend(host);
  render(<UpdateBanner update={update} />, host);
}
