import { distinctUntilChanged, Subscription, type Observable } from 'rxjs';
import type { CollectionName } from '../collections/declare-collection.ts';
import { BrainStoreError } from '../errors/brain-store-error.ts';
import type { BrainStore } from '../store/create-brain-store.ts';
import { defaultScheduler, type ExpiryScheduler } from '../store/scheduler.ts';
import { purgeByRetention, type PurgeCounts } from './purge-by-retention.ts';
import { needsReplicationWait, removeTombstones } from './remove-tombstones.ts';
import { resolveRetention } from '../collections/retention.ts';
import type { RetentionOptions } from '../collections/retention-rule.ts';
import { setRetentionInUse } from '../store/retention-in-use.ts';
import { retentionGuard } from '../store/unacknowledged-writes.ts';
import { createRunQueue } from './run-queue.ts';
import { watchClock } from './watch-clock.ts';
import { watchEarliestExpiry } from './watch-earliest-expiry.ts';
import { watchVisibility } from './watch-visibility.ts';

export interface ExpiryCleanupOptions {
  /** A cleanup run every this many ms. Default 60 000. */
  readonly intervalMs?: number;
  /** Local retention of finished documents; see RetentionOptions. */
  readonly retention?: RetentionOptions;
  /** Timers to use; default the global setTimeout/clearTimeout. */
  readonly scheduler?: ExpiryScheduler;
  /** How often the injected clock is compared with the timers to see jumps. Default 5 000 (capped at intervalMs). */
  readonly clockCheckMs?: number;
  /** A drift beyond this between the clock and the timers is a jump. Default 2 000. */
  readonly clockJumpToleranceMs?: number;
  /** Errors of a run (the library prints nothing); the subscription keeps going. */
  readonly onError?: (error: unknown) => void;
  /** After each successful run: what it did. */
  readonly onRun?: (report: ExpiryRunReport) => void;
  /**
   * Run only while this says true, e.g. a replication's `leading$`: with several tabs on one
   * database the cleanup then runs in the tab that replicates — the one in use — and moves
   * with it. Without it, a multi-instance database runs it in RxDB's elected tab, which may be
   * a frozen background tab.
   */
  readonly leading$?: Observable<boolean>;
}

export interface ExpiryRunReport {
  /** The injected clock when the run started. */
  readonly at: number;
  /** Pending actions marked expired. */
  readonly expired: number;
  /** Documents purged by retention, per collection. */
  readonly purged: PurgeCounts;
}

/** What the cleanup needs from a store. */
export type ExpiryStore = Pick<BrainStore, 'database' | 'now' | 'brainActions' | 'onClose'> & Partial<Pick<BrainStore, 'clock'>>;

/**
 * Marks due actions expired and purges old finished documents, in the background, until
 * unsubscribed (or the store closes). A run happens at start, every `intervalMs`, exactly at
 * the earliest pending `expires_at`, when a hidden browser tab becomes visible again, and
 * when the injected clock is seen to jump (a laptop waking from sleep). Runs never overlap.
 * With several browser tabs on one database only one tab runs it (the one `leading$` names,
 * else RxDB's leader); every tab's reads hide expired actions on their own.
 *
 * @example
 * const cleanup = startExpiryCleanup(store, { retention: { actionsMs: 3 * 86_400_000 }, onError: reportError });
 * // later
 * cleanup.unsubscribe();
 */
export function startExpiryCleanup(store: ExpiryStore, options: ExpiryCleanupOptions = {}): Subscription {
  const intervalMs = positive('intervalMs', options.intervalMs ?? 60_000);
  const checkMs = Math.min(positive('clockCheckMs', options.clockCheckMs ?? 5_000), intervalMs);
  const toleranceMs = positive('clockJumpToleranceMs', options.clockJumpToleranceMs ?? 2_000);
  const retention = resolveRetention(options.retention);
  const scheduler = options.scheduler ?? defaultScheduler;
  const { database } = store;
  setRetentionInUse(database, retention);
  const guard = retentionGuard(database);

  const subscription = new Subscription();
  // After unsubscribe, a run still finishing may fail because the store is closing: not news.
  const report = (error: unknown) => {
    if (!subscription.closed) options.onError?.(error);
  };

  /** Collections whose tombstones await removal, and those whose removal waits for a replication. */
  const tombstones = new Set<CollectionName>();
  const waiting = new Set<CollectionName>();
  const removePurgedTombstones = async () => {
    for (const name of [...tombstones]) {
      const collection = database[name];
      if (!needsReplicationWait(collection)) {
        await removeTombstones(collection);
        tombstones.delete(name);
      } else if (!waiting.has(name)) {
        // Waiting for "in sync" can take as long as the client is offline: not in the queue.
        tombstones.delete(name);
        waiting.add(name);
        removeTombstones(collection)
          .catch(report)
          .finally(() => waiting.delete(name));
      }
    }
  };

  const run = async () => {
    try {
      const at = store.now();
      const expired = await store.brainActions.cleanupExpiredActions();
      const purged = await purgeByRetention(database, store.now(), retention, guard);
      for (const [name, count] of Object.entries(purged)) if (count > 0) tombstones.add(name as CollectionName);
      await removePurgedTombstones();
      options.onRun?.({ at, expired, purged });
    } catch (error) {
      report(error);
    }
  };

  let idle = () => Promise.resolve();
  /** Starts the timers and watchers; returns what stops them. */
  const begin = (): (() => void) => {
    const queue = createRunQueue(run);
    idle = queue.idle;
    const earliest = watchEarliestExpiry({
      collection: database.brainActions,
      now: store.now,
      scheduler,
      onDue: queue.request,
      onError: report,
    });
    // After a jump or a return from a hidden tab the armed wait is stale: run, and re-arm.
    const catchUp = () => {
      queue.request();
      earliest.rearm();
    };
    const stopClock = watchClock({
      scheduler,
      now: store.now,
      intervalMs,
      checkMs,
      toleranceMs,
      onInterval: queue.request,
      onJump: catchUp,
    });
    const stopVisibility = watchVisibility(catchUp);
    // A new offset to the server's clock moves `now` at once: act on the server's instant,
    // not after the jump detector's next check.
    const clockStep = store.clock?.changed$.subscribe(catchUp);
    queue.request();
    return () => {
      clockStep?.unsubscribe();
      queue.stop();
      earliest.stop();
      stopClock();
      stopVisibility();
    };
  };

  let stopRunning: (() => void) | undefined;
  const start = () => {
    if (!subscription.closed && !stopRunning) stopRunning = begin();
  };
  const stop = () => {
    stopRunning?.();
    stopRunning = undefined;
  };
  subscription.add(stop);
  // Tabs sharing one database: one runner is enough, and the others would only conflict.
  if (options.leading$)
    subscription.add(options.leading$.pipe(distinctUntilChanged()).subscribe((leading) => (leading ? start() : stop())));
  else if (database.multiInstance) database.waitForLeadership().then(start, report);
  else start();

  store.onClose(async () => {
    subscription.unsubscribe();
    await idle();
  });
  return subscription;
}

function positive(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BrainStoreError('CONFIG', { parameters: { option, value }, message: `${option} must be a positive number of milliseconds.` });
  }
  return value;
}
