import { render } from 'preact';
import { BehaviorSubject } from 'rxjs';
import { createBrainStore, startExpiryCleanup, type BrainStore, type BrainSync } from './brain-store.ts';
import { deferredSync } from './deferred-sync.ts';
import { forgetAccess, hasLinkToken, readAccess, type Access, type LinkOutcome } from './read-access.ts';
import { createDeferredActs, type DeferredActs } from './deferred-acts.ts';
import { App } from './app.tsx';
import { Welcome } from './welcome.tsx';
import { registerServiceWorker } from './register-service-worker.ts';
import { mountUpdateBanner } from './update-banner.tsx';
import './styles.css';

interface Running {
  readonly store: BrainStore;
  readonly sync: BrainSync;
  readonly acts: DeferredActs;
  access: Access;
}

/** What the last link opened into this tab came to (shown by the app until dismissed). */
const link$ = new BehaviorSubject<LinkOutcome | undefined>(undefined);
let running: Running | undefined;
/** Start, restart and sign-out run one at a time: they open and close the same database. */
let queue: Promise<void> = Promise.resolve();
const serially = (task: () => Promise<void>) => (queue = queue.then(task, task));

/**
 * Boot: token from the fragment (or the one kept from before), the store on IndexedDB shared
 * by every tab of this origin (multiInstance: the tab in use replicates and runs the expiry
 * cleanup; every tab reads and writes locally), the sync server at this page's origin.
 */
async function start(root: HTMLElement): Promise<void> {
  performance.mark('dashboard:boot');
  const { access, link } = readAccess(window.location, window.history, window.localStorage);
  link$.next(link);
  if (!access) {
    render(<Welcome link={link} />, root);
    return;
  }
  // A member's store refuses locally what the server would refuse, so no write shows and then bounces.
  const member = access.role === 'member' && access.subject !== undefined ? { role: 'member' as const, subject: access.subject } : {};
  const store = await createBrainStore({ name: 'brain-dashboard', multiInstance: true, ...member });
  performance.mark('dashboard:store-open');
  // The replication loads after the first render: the queue shows this device's data first.
  const sync = deferredSync(
    import('./brain-sync.ts').then(({ replicateBrainStore }) =>
      replicateBrainStore(store, { url: window.location.origin, token: access.token }),
    ),
  );
  // The expiry cleanup runs in the tab that replicates: the one in use (issue 18), not RxDB's
  // own elected tab, which may be a frozen background one.
  const cleanup = startExpiryCleanup(store, { leading$: sync.leading$ });
  store.onClose(() => cleanup.unsubscribe());
  const acts = createDeferredActs(store, window.localStorage);
  store.onClose(() => acts.dispose());
  running = { store, sync, acts, access };
  performance.mark('dashboard:sync-started');
  renderApp(root, running);
  performance.mark('dashboard:app-rendered');
}

function renderApp(root: HTMLElement, { store, sync, acts, access }: Running): void {
  render(
    <App store={store} sync={sync} access={access} acts={acts} link$={link$} onSignOut={() => void serially(() => signOut(root))} />,
    root,
  );
}

async function stop(): Promise<Running | undefined> {
  const current = running;
  running = undefined;
  if (!current) return undefined;
  await current.sync.cancel().catch(() => undefined);
  return current;
}

/** Forgets the token and this device's copy of the data (a shared computer keeps nothing). */
async function signOut(root: HTMLElement): Promise<void> {
  const current = await stop();
  render(<Welcome signedOut />, root);
  forgetAccess(window.localStorage);
  for (const key of Object.keys(window.localStorage)) if (key.startsWith('brain-dashboard.')) window.localStorage.removeItem(key);
  await current?.store.database.remove().catch(() => undefined);
}

/**
 * A link opened into this tab (pasted, or clicked while the page is open): a good token is
 * taken at once — for the same person the replication just switches to it (`setToken`) and
 * pushes the writes kept while the old one was refused; for someone else the store reopens
 * as theirs. A bad one is refused and said so, the current session untouched.
 */
function followLinks(root: HTMLElement): void {
  window.addEventListener('hashchange', () => {
    if (!hasLinkToken(window.location)) return;
    void serially(async () => {
      const { access, link } = readAccess(window.location, window.history, window.localStorage);
      if (link !== 'taken' && running) {
        link$.next(link);
        return;
      }
      link$.next(link);
      const same = running && access && access.subject === running.access.subject && access.role === running.access.role;
      if (running && access && same && sameWorkspaces(access, running.access)) {
        running.sync.setToken(access.token);
        running.access = access;
        renderApp(root, running);
        return;
      }
      const current = await stop();
      await current?.store.close();
      if (access) await start(root);
      else render(<Welcome link={link} />, root);
    });
  });
}

function sameWorkspaces(a: Access, b: Access): boolean {
  return a.workspaces.length === b.workspaces.length && a.workspaces.every((ws) => b.workspaces.includes(ws));
}

function showFailure(root: HTMLElement, error: unknown): void {
  render(
    <main class="fatal" role="alert">
      <h1>The dashboard could not start</h1>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      <p>Reload the page to try again. Changes made on this device are kept.</p>
    </main>,
    root,
  );
}

// The app shell offline, Background Sync, and "A new version is available — Reload" (issues 18, 20).
mountUpdateBanner(registerServiceWorker());

const root = document.getElementById('app');
if (root) {
  followLinks(root);
  // Leaving the page hands leadership over promptly instead of after a timeout.
  window.addEventListener('pagehide', () => void running?.store.close());
  // Back online: pull at once rather than at the next retry.
  window.addEventListener('online', () => running?.sync.resync());
  void serially(() => start(root).catch((error: unknown) => showFailure(root, error)));
}
