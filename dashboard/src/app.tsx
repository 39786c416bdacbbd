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
  const chooseWorkspace = (next: string) => {
    window.localStorage.setItem(WORKSPACE_KEY, next);
    setWorkspace(next);
  };

  return (
    <div class="shell">
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
