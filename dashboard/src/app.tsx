import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Observable } from 'rxjs';
import type { BrainStore, BrainSync, SyncStatus } from './brain-store.ts';
import type { Access, LinkOutcome } from './read-access.ts';
import type { DeferredActs } from './deferred-acts.ts';
import { STARTING, SyncBar } from './sync-bar.tsx';
import { Tabs } from './tabs.tsx';
import { ActionQueue } from './action-queue.tsx';
import { lazyView } from './lazy-view.tsx';
import { FirstSync } from './first-sync.tsx';
import { AccessNotice } from './access-notice.tsx';
import { UndoToast } from './undo-toast.tsx';
import { HelpDialog } from './help-dialog.tsx';
import { isTyping } from './keyboard.ts';
import { useViewState } from './view-state.ts';
import { useObservable } from './use-observable.ts';
import { useSyncStatus } from './brain-store-preact.ts';
import { useUrgentTitle } from './use-urgent-title.ts';

export interface AppProps {
  readonly store: BrainStore;
  readonly sync: BrainSync;
  readonly access: Access;
  readonly acts: DeferredActs;
  readonly link$: Observable<LinkOutcome | undefined>;
  readonly onSignOut: () => void;
}

// The other tabs load when first opened: a first visit carries the queue only.
const ActionHistory = lazyView(() => import('./action-history.tsx').then((module) => module.ActionHistory));
const InsightsView = lazyView(() => import('./insights-view.tsx').then((module) => module.InsightsView));
const SummariesView = lazyView(() => import('./summaries-view.tsx').then((module) => module.SummariesView));

const WORKSPACE_KEY = 'brain-dashboard.workspace';
const LOADED_KEY = 'brain-dashboard.queue-loaded';

export function App({ store, sync, access, acts, link$, onSignOut }: AppProps) {
  const [workspace, setWorkspace] = useState(() => {
    const kept = window.localStorage.getItem(WORKSPACE_KEY);
    return kept && access.workspaces.includes(kept) ? kept : access.workspaces[0]!;
  });
  const [view, setView] = useViewState();
  const [help, setHelp] = useState(false);
  // Whether this tab is the one that replicates (it follows the tab in use; tests read it).
  const leader = useObservable(sync.leading$, false);
  const status: SyncStatus = useSyncStatus(sync) ?? STARTING;
  const firstSync = useFirstSync(sync);
  const expiredHere = useExpired(access.expiresAt);
  // The replication's word (state 'unauthorized': the server refused the token) or the token's own expiry.
  const refused = status.state === 'unauthorized' && status.tokenProblem !== 'expired';
  const expired = expiredHere || (status.state === 'unauthorized' && status.tokenProblem === 'expired');
  // The store's clock is this device's corrected by the server's: the offset applied (tests read it).
  const clockOffset = useObservable<number | null>(store.clock.offset$, null);
  useUrgentTitle(store, workspace);
  const chooseWorkspace = (next: string) => {
    window.localStorage.setItem(WORKSPACE_KEY, next);
    setWorkspace(next);
    setView({ page: 1, hpage: 1 });
  };

  // Page-wide keys: ? help, z undo (the queue has its own: j/k/e/d and /).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (event.key === '?') {
        event.preventDefault();
        setHelp((open) => !open);
      } else if (event.key === 'z' && !document.querySelector('dialog[open]')) {
        event.preventDefault();
        acts.undo();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [acts]);

  return (
    <div class="shell" data-sync-leader={leader ? 'true' : 'false'} data-clock-offset={clockOffset ?? undefined}>
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          // The fragment holds the view state: move focus, leave the URL alone.
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <h1>Brain</h1>
          {access.workspaces.length > 1 ? (
            <label class="workspace">
              <span>Workspace</span>
              <select value={workspace} onChange={(event) => chooseWorkspace(event.currentTarget.value)}>
                {access.workspaces.map((ws) => (
                  <option key={ws} value={ws}>
                    {ws}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <p class="workspace-name">
              <span class="visually-hidden">Workspace </span>
              {workspace}
            </p>
          )}
        </div>
        <SyncBar sync={sync} status={status} accessProblem={expired || refused} clock={store.now} />
        <div class="account">
          <button type="button" class="quiet shortcuts" onClick={() => setHelp(true)} aria-keyshortcuts="?">
            Shortcuts
          </button>
          <SignOut pending={status.pending + acts.pendingCount()} subject={access.subject} onSignOut={onSignOut} />
        </div>
      </header>
      <AccessNotice link$={link$} expired={expired} refused={refused} pending={status.pending} />
      <FirstSync store={store} sync={sync} />
      <Tabs current={view.tab} onChange={(tab) => setView({ tab })} />
      <main id="main" tabIndex={-1} class="panel">
        <div id={`panel-${view.tab}`} role="tabpanel" aria-labelledby={`tab-${view.tab}`}>
          {view.tab === 'actions' && (
            <ActionQueue
              store={store}
              workspace={workspace}
              actor={access.subject ?? 'dashboard'}
              acts={acts}
              view={view}
              setView={setView}
              firstSync={firstSync && !expired && !refused}
            />
          )}
          {view.tab === 'history' && <ActionHistory store={store} workspace={workspace} acts={acts} view={view} setView={setView} />}
          {view.tab === 'insights' && <InsightsView store={store} workspace={workspace} view={view} setView={setView} />}
          {view.tab === 'summaries' && <SummariesView store={store} workspace={workspace} />}
        </div>
      </main>
      <UndoToast acts={acts} />
      <HelpDialog open={help} onClose={() => setHelp(false)} />
    </div>
  );
}

function SignOut({ pending, subject, onSignOut }: { pending: number; subject: string | undefined; onSignOut: () => void }) {
  const signOut = () => {
    const lost = pending > 0 ? ` ${pending} change(s) not yet on the server will be lost.` : '';
    if (window.confirm(`Sign out${subject ? ` ${subject}` : ''}? This device forgets your link and its copy of the queue.${lost}`))
      onSignOut();
  };
  return (
    <button type="button" class="quiet" onClick={signOut}>
      Sign out
    </button>
  );
}

/** Whether the token has expired, turning true at its expiry instant (this device's clock: the token's `exp` is the server's verdict too, give or take skew). */
function useExpired(expiresAt: number | undefined): boolean {
  const [expired, setExpired] = useState(() => expiresAt !== undefined && expiresAt <= Date.now());
  useEffect(() => {
    if (expiresAt === undefined) return;
    const left = expiresAt - Date.now();
    if (left <= 0) {
      setExpired(true);
      return;
    }
    setExpired(false);
    const timer = setTimeout(() => setExpired(true), Math.min(left, 2_147_483_647));
    return () => clearTimeout(timer);
  }, [expiresAt]);
  return expired;
}

/** True until this device has once been fully in sync: an empty queue then means "not loaded yet". */
function useFirstSync(sync: BrainSync): boolean {
  const [running, setRunning] = useState(() => window.localStorage.getItem(LOADED_KEY) !== '1');
  const done = useMemo(() => sync.awaitInSync(), [sync]);
  useEffect(() => {
    if (!running) return;
    let live = true;
    done.then(
      () => {
        window.localStorage.setItem(LOADED_KEY, '1');
        if (live) setRunning(false);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [done, running]);
  return running;
}
