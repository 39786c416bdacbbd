import { useState } from 'preact/hooks';
import type { BrainStore, BrainSync } from './brain-store.ts';
import type { Access } from './read-access.ts';
import { SyncBar } from './sync-bar.tsx';
import { Tabs, type TabId } from './tabs.tsx';
import { ActionQueue } from './action-queue.tsx';
import { ActionHistory } from './action-history.tsx';
import { InsightsView } from './insights-view.tsx';
import { SummariesView } from './summaries-view.tsx';
import { FirstSync } from './first-sync.tsx';
import { useObservable } from './use-observable.ts';

export interface AppProps {
  readonly store: BrainStore;
  readonly sync: BrainSync;
  readonly access: Access;
}

const WORKSPACE_KEY = 'brain-dashboard.workspace';

export function App({ store, sync, access }: AppProps) {
  const [workspace, setWorkspace] = useState(() => {
    const kept = window.localStorage.getItem(WORKSPACE_KEY);
    return kept && access.workspaces.includes(kept) ? kept : access.workspaces[0]!;
  });
  const [tab, setTab] = useState<TabId>('actions');
  // Whether this tab is the one that replicates (it follows the tab in use; tests read it).
  const leader = useObservable(sync.leading$, false);
  // The store's clock is this device's corrected by the server's: the offset applied (tests read it).
  const clockOffset = useObservable<number | null>(store.clock.offset$, null);
  const chooseWorkspace = (next: string) => {
    window.localStorage.setItem(WORKSPACE_KEY, next);
    setWorkspace(next);
  };

  return (
    <div class="shell" data-sync-leader={leader ? 'true' : 'false'} data-clock-offset={clockOffset ?? undefined}>
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
        <SyncBar store={store} sync={sync} />
      </header>
      <FirstSync store={store} sync={sync} />
      <Tabs current={tab} onChange={setTab} />
      <main id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} tabIndex={0} class="panel">
        {tab === 'actions' && <ActionQueue store={store} workspace={workspace} actor={access.subject ?? 'dashboard'} />}
        {tab === 'history' && <ActionHistory store={store} workspace={workspace} />}
        {tab === 'insights' && <InsightsView store={store} workspace={workspace} />}
        {tab === 'summaries' && <SummariesView store={store} workspace={workspace} />}
      </main>
    </div>
  );
}
