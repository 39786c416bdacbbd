import { useEffect, useState } from 'preact/hooks';
import type { BrainStore, BrainSync, SyncStatus } from './brain-store.ts';
import { useNow, useObservable } from './use-observable.ts';
import { ago, clockTime, plural, words } from './format.ts';

const STARTING: SyncStatus = { state: 'syncing', pending: 0, lastSyncedAt: null };

/** What a person should read: the state in words, never only a colour. */
function stateLabel(status: SyncStatus, online: boolean): { tone: string; text: string } {
  if (!online || status.state === 'offline') return { tone: 'offline', text: 'Offline' };
  if (status.state === 'error') return { tone: 'error', text: 'Sync error' };
  if (status.state === 'syncing') return { tone: 'syncing', text: 'Syncing' };
  return { tone: 'online', text: 'Online' };
}

/** Sync state, always on screen: online/offline/error, unsynced writes, last synced, rejected writes. */
export function SyncBar({ store, sync }: { store: BrainStore; sync: BrainSync }) {
  const status = useObservable(sync.status$, STARTING);
  const rejected = useObservable(sync.rejected$, []);
  const online = useOnline();
  const now = useNow(store.now);
  const label = stateLabel(status, online);
  // Remembered across reloads: an offline reload still says when this device last synced.
  const lastSyncedAt = useRememberedTime(status.lastSyncedAt);

  return (
    <section class="sync" aria-label="Sync status">
      <p class="sync-line" role="status" data-testid="sync-state">
        <span class={`dot ${label.tone}`} aria-hidden="true" />
        <strong>{label.text}</strong>
        <span class="sep" aria-hidden="true">
          ·
        </span>
        <span data-testid="pending">
          {status.pending === 0 ? 'All changes synced' : `${plural(status.pending, 'change')} not yet synced`}
        </span>
        <span class="sep" aria-hidden="true">
          ·
        </span>
        <span class="last-synced">
          {lastSyncedAt === null ? (
            'Not synced yet'
          ) : (
            <>
              Last synced <time dateTime={new Date(lastSyncedAt).toISOString()}>{ago(now - lastSyncedAt)}</time>
            </>
          )}
        </span>
      </p>
      {status.error && label.tone === 'error' ? <p class="sync-error">{status.error.message}</p> : null}
      {rejected.length > 0 ? (
        <div class="rejected" role="region" aria-label="Refused writes">
          <p>
            <strong>{plural(rejected.length, 'write')} refused by the server</strong>{' '}
            <button type="button" class="quiet" onClick={() => sync.clearRejected()}>
              Clear
            </button>
          </p>
          {
            <ul class="rejected-list">
              {rejected.map((write) => (
                <li key={`${write.collection}-${String(write.document['id'])}-${write.rejectedAt}`}>
                  <strong>{words(write.code.toLowerCase())}</strong>: {write.message}{' '}
                  <span class="muted">
                    ({write.collection} {String(write.document['id'])}, {clockTime(write.rejectedAt)})
                  </span>
                </li>
              ))}
            </ul>
          }
        </div>
      ) : null}
    </section>
  );
}

function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);
  return online;
}

const LAST_SYNCED_KEY = 'brain-dashboard.last-synced';

function useRememberedTime(current: number | null): number | null {
  useEffect(() => {
    if (current !== null) window.localStorage.setItem(LAST_SYNCED_KEY, String(current));
  }, [current]);
  if (current !== null) return current;
  const kept = Number(window.localStorage.getItem(LAST_SYNCED_KEY));
  return Number.isFinite(kept) && kept > 0 ? kept : null;
}
