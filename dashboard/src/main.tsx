import { render } from 'preact';
import { createBrainStore, replicateBrainStore, startExpiryCleanup } from './brain-store.ts';
import { readAccess } from './read-access.ts';
import { App } from './app.tsx';
import { Welcome } from './welcome.tsx';
import { registerServiceWorker } from './register-service-worker.ts';
import { mountUpdateBanner } from './update-banner.tsx';
import './styles.css';

/**
 * Boot: token from the fragment (or the one kept from before), the store on IndexedDB shared
 * by every tab of this origin (multiInstance: one leader tab replicates and runs the expiry
 * cleanup; every tab reads and writes locally), the sync server at this page's origin.
 */
async function boot(root: HTMLElement): Promise<void> {
  performance.mark('dashboard:boot');
  const access = readAccess(window.location, window.history, window.localStorage);
  if (!access) {
    render(<Welcome />, root);
    return;
  }
  // A member's store refuses locally what the server would refuse, so no write shows and then bounces.
  const member = access.role === 'member' && access.subject !== undefined ? { role: 'member' as const, subject: access.subject } : {};
  const store = await createBrainStore({ name: 'brain-dashboard', multiInstance: true, ...member });
  performance.mark('dashboard:store-open');
  const sync = replicateBrainStore(store, { url: window.location.origin, token: access.token });
  void store.database.waitForLeadership().then(() => {
    const cleanup = startExpiryCleanup(store);
    store.onClose(() => cleanup.unsubscribe());
  });
  // Back online: pull at once rather than at the next retry.
  window.addEventListener('online', () => sync.resync());
  // Leaving the page hands leadership over promptly instead of after a timeout.
  window.addEventListener('pagehide', () => void store.close());
  performance.mark('dashboard:sync-started');
  render(<App store={store} sync={sync} access={access} />, root);
  performance.mark('dashboard:app-rendered');
}

// The app shell offline, Background Sync, and "A new version is available — Reload" (issues 18, 20).
mountUpdateBanner(registerServiceWorker());

const root = document.getElementById('app');
if (root) {
  boot(root).catch((error: unknown) => {
    render(
      <main class="fatal" role="alert">
        <h1>The dashboard could not start</h1>
        <p>{error instanceof Error ? error.message : String(error)}</p>
      </main>,
      root,
    );
  });
}
