import type { Observable } from 'rxjs';
import type { BrainStore, BrainSync } from './brain-store.ts';
import { useObservable } from './use-observable.ts';

type FirstSyncProgress = BrainSync['firstSync$'] extends Observable<infer Progress> ? Progress : never;

const LABELS: Readonly<Record<string, string>> = { brainActions: 'actions', brainSummaries: 'summaries', brainInsights: 'insights' };

/**
 * While a first sync runs on this device (nothing here yet), how far each collection has
 * come against the server's totals. The queue and the summary are live from the first page
 * (the most urgent actions and the latest summary come first); the banner goes once every
 * page is stored. On a device that already holds data it shows only a resync after a long
 * absence ("Catching up"), while the head of what changed arrives (the pull brings the rest).
 */
export function FirstSync({ sync }: { store: BrainStore; sync: BrainSync }) {
  const progress = useObservable<FirstSyncProgress | undefined>(sync.firstSync$, undefined);
  if (!progress || progress.state !== 'running') return null;
  const entries = Object.entries(progress.collections).filter(([, entry]) => entry.state === 'running' || entry.state === 'done');
  const resync = entries.every(([, entry]) => entry.kind === 'resync');
  const received = entries.reduce((sum, [, entry]) => sum + Math.min(entry.received, entry.total), 0);
  const total = entries.reduce((sum, [, entry]) => sum + entry.total, 0);
  return (
    <div class="first-sync" role="status">
      <span class="spinner" aria-hidden="true" />
      <span>
        {resync ? 'Catching up' : 'First sync'}:{' '}
        {entries.map(([name, entry], index) => (
          <span key={name}>
            {index > 0 ? ' · ' : ''}
            {LABELS[name] ?? name} {entry.received.toLocaleString()} of {entry.total.toLocaleString()}
          </span>
        ))}
      </span>
      <progress aria-label={resync ? 'Catch-up progress' : 'First sync progress'} max={Math.max(total, 1)} value={received} />
    </div>
  );
}
