import { useEffect, useState } from 'preact/hooks';
import type { BrainSync, RejectedWrite, SyncStatus } from './brain-store.ts';
import { useNow, useObservable } from './use-observable.ts';
import { ago, clockTime, plural, words } from './format.ts';

export const STARTING: SyncStatus = { state: 'syncing', pending: 0, lastSyncedAt: null };

export interface SyncLine {
  readonly tone: 'online' | 'syncing' | 'offline' | 'error';
  readonly text: string;
  readonly detail: string;
}

/**
 * The one sentence a person reads about sync: one state, with what it means for their
 * changes. Each state names itself once; nothing else on the line can contradict it.
 */
export function syncLine(
  status: SyncStatus,
  facts: { online: boolean; lastSyncedAt: number | null; now: number; accessProblem: boolean },
): SyncLine {
  const { pending } = status;
  const changes = plural(pending, 'change');
  const last = facts.lastSyncedAt === null ? '' : ` Last synced ${ago(facts.now - facts.lastSyncedAt)}.`;
  const code: string | undefined = status.error?.code;
  if (status.state === 'upgrade-required') {
    return { tone: 'error', text: 'A new version is available — reload', detail: pending ? `${changes} kept on this device.` : '' };
  }
  if (facts.accessProblem || status.state === 'unauthorized') {
    return { tone: 'error', text: 'Not syncing: access link expired or refused', detail: pending ? `${changes} kept on this device.` : '' };
  }
  if (!facts.online) {
    return {
      tone: 'offline',
      text: 'Offline',
      detail: `${pending ? `${changes} saved on this device, sent when you are back online.` : 'Showing what this device has.'}${last}`,
    };
  }
  if (code === 'NETWORK') {
    return {
      tone: 'offline',
      text: 'Can’t reach the server',
      detail: `${pending ? `${changes} waiting on this device.` : 'Your network is up; the server does not answer.'} Retrying.${last}`,
    };
  }
  if (status.state === 'error') {
    return {
      tone: 'error',
      text: 'Sync problem',
      detail: `${status.error?.message ?? 'Unknown error'}.${pending ? ` ${changes} kept on this device.` : ''}`,
    };
  }
  if (status.state === 'syncing' || pending > 0) {
    return {
      tone: 'syncing',
      text: facts.lastSyncedAt === null ? 'Syncing for the first time' : 'Syncing',
      detail: pending ? `${changes} not yet on the server.` : '',
    };
  }
  return { tone: 'online', text: 'All changes synced', detail: last.trim() };
}

/** Sync state, always on screen, and the writes the server refused, summarised by reason. */
export function SyncBar({
  sync,
  status,
  accessProblem,
  clock,
}: {
  sync: BrainSync;
  status: SyncStatus;
  accessProblem: boolean;
  clock: () => number;
}) {
  const rejected = useObservable<readonly RejectedWrite[]>(sync.rejected$, []);
  const online = useOnline();
  const now = useNow(clock, 5_000);
  // Remembered across reloads: an offline reload still says when this device last synced.
  const lastSyncedAt = useRememberedTime(status.lastSyncedAt);
  const line = syncLine(status, { online, lastSyncedAt, now, accessProblem });
  return (
    <section class="sync" aria-label="Sync status">
      <p class="sync-line" role="status" data-testid="sync-state" data-tone={line.tone}>
        <span class={`dot ${line.tone}`} aria-hidden="true" />
        <strong>{line.text}</strong>
        {line.detail ? <span class="sync-detail"> {line.detail}</span> : null}
        {status.state === 'upgrade-required' ? (
          <button type="button" class="quiet" onClick={() => window.location.reload()}>
            Reload
          </button>
        ) : null}
      </p>
      {rejected.length > 0 ? <RefusedWrites rejected={rejected} onClear={() => sync.clearRejected()} /> : null}
    </section>
  );
}

/** "3 changes refused by the server (2 clock skew, 1 forbidden role)", details on demand. */
function RefusedWrites({ rejected, onClear }: { rejected: readonly RejectedWrite[]; onClear: () => void }) {
  const byCode = new Map<string, number>();
  for (const write of rejected) byCode.set(write.code, (byCode.get(write.code) ?? 0) + 1);
  const reasons = [...byCode].map(([code, count]) => `${count} ${words(code.toLowerCase()).toLowerCase()}`).join(', ');
  return (
    <details class="rejected" data-testid="refused">
      <summary>
        {plural(rejected.length, 'change')} refused by the server ({reasons})
      </summary>
      <p class="muted">Each was undone on this device and the server’s version shown instead.</p>
      <ul class="rejected-list">
        {rejected.map((write) => (
          <li key={`${write.collection}-${String(write.document['id'])}-${write.rejectedAt}`}>
            <strong>{words(write.code.toLowerCase())}</strong>: {write.message}{' '}
            <span class="muted">
              ({describe(write)}, {clockTime(write.rejectedAt)})
            </span>
          </li>
        ))}
      </ul>
      <button type="button" class="quiet" onClick={onClear}>
        Clear this list
      </button>
    </details>
  );
}

export function useOnline(): boolean {
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

export function useRememberedTime(current: number | null): number | null {
  useEffect(() => {
    if (current !== null) window.localStorage.setItem(LAST_SYNCED_KEY, String(current));
  }, [current]);
  if (current !== null) return current;
  const kept = Number(window.localStorage.getItem(LAST_SYNCED_KEY));
  return Number.isFinite(kept) && kept > 0 ? kept : null;
}

/** The refused document in words: an action's reason, else its collection and id. */
function describe(write: RejectedWrite): string {
  const reason = write.document['reason'];
  return typeof reason === 'string' ? reason : `${write.collection} ${String(write.document['id'])}`;
}
