import { afterEach, vi } from 'vitest';
import type { RxCollection, RxStorage } from 'rxdb';
import type { BrainStore, CreateBrainStoreOptions, ExpiryScheduler } from '../../src/index.ts';
import type { ActionStatus } from '../../src/collections/action-status.ts';
import { startExpiryCleanup, type ExpiryCleanupOptions, type ExpiryRunReport } from '../../src/expiry/start-expiry-cleanup.ts';
import { closingStores } from '../helpers/storages.ts';
import { until } from '../../harness/until.ts';
import { DAY, HOUR, T0, actionArgs, actionDoc, flushWithoutTime } from '../queries/fixtures.ts';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.ts';

export { DAY, HOUR, T0, actionDoc };
export const SECOND = 1_000;
export const MINUTE = 60_000;

/** Lets pending storage work finish (real macrotasks; fake timers do not move). */
export const settle = (ticks = 30): Promise<void> => flushWithoutTime(ticks);

/** Collects the reports and errors of a cleanup subscription. */
export function recordRuns() {
  const reports: ExpiryRunReport[] = [];
  const errors: unknown[] = [];
  return {
    reports,
    errors,
    onRun: (report: ExpiryRunReport) => void reports.push(report),
    onError: (error: unknown) => void errors.push(error),
    /** Waits until at least `count` runs have completed. */
    runs: (count: number) =>
      until(
        () => reports.length >= count,
        () => `${count} runs (have ${reports.length})`,
      ),
  };
}

/** Counts the documents the storage hands out for queries and id lookups on a collection. */
export function countReads(collection: RxCollection) {
  const storage = collection.storageInstance;
  let read = 0;
  const query = storage.query.bind(storage);
  const byIds = storage.findDocumentsById.bind(storage);
  vi.spyOn(storage, 'query').mockImplementation(async (prepared) => {
    const result = await query(prepared);
    read += result.documents.length;
    return result;
  });
  vi.spyOn(storage, 'findDocumentsById').mockImplementation(async (ids, withDeleted) => {
    const result = await byIds(ids, withDeleted);
    read += result.length;
    return result;
  });
  return {
    get read() {
      return read;
    },
    reset: () => void (read = 0),
  };
}

/** The stored status of every action, by id. */
export async function statuses(store: BrainStore): Promise<Map<string, ActionStatus>> {
  const docs = await store.database.brainActions.find().exec();
  return new Map(docs.map((doc) => [doc.id, doc.status]));
}

export async function statusOf(store: BrainStore, id: string): Promise<ActionStatus | undefined> {
  return (await store.database.brainActions.findOne(id).exec())?.status;
}

/** A scheduler over `timers` (a fake clock's) that knows which of its timers are still armed. */
export function trackingScheduler(timers: ExpiryScheduler) {
  const live = new Set<unknown>();
  return {
    live,
    scheduler: {
      setTimeout(callback: () => void, ms: number) {
        const handle = timers.setTimeout(() => {
          live.delete(handle);
          callback();
        }, ms);
        live.add(handle);
        return handle;
      },
      clearTimeout(handle: unknown) {
        live.delete(handle);
        timers.clearTimeout(handle);
      },
    },
  };
}

/** A stand-in for the browser's `document`, enough for visibilitychange. */
export function fakeDocument() {
  const target = new EventTarget();
  const doc = Object.assign(target, { visibilityState: 'visible' });
  return {
    doc,
    show() {
      doc.visibilityState = 'visible';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
    hide() {
      doc.visibilityState = 'hidden';
      doc.dispatchEvent(new Event('visibilitychange'));
    },
  };
}

/**
 * Opens a store on a fake clock at T0 (its live queries and the cleanup on the clock's
 * scheduler, unless `options` names another), lets `setup` write, starts the cleanup and waits
 * for its first run.
 */
async function startedCleanup(
  open: (options: Pick<CreateBrainStoreOptions, 'scheduler'>) => Promise<BrainStore>,
  options: ExpiryCleanupOptions | ((clock: FakeClock) => ExpiryCleanupOptions) = {},
  setup?: (store: BrainStore) => Promise<void>,
) {
  const clock = fakeClock(T0);
  const store = await open({ scheduler: clock.scheduler });
  await setup?.(store);
  const log = recordRuns();
  const extra = typeof options === 'function' ? options(clock) : options;
  const subscription = startExpiryCleanup(store, { onRun: log.onRun, onError: log.onError, scheduler: clock.scheduler, ...extra });
  await log.runs(1);
  return { store, log, subscription, clock };
}

/**
 * The setup of a describe block over one storage: closes its stores and restores real timers
 * and globals after each test; `started` is startedCleanup on a fresh store of that storage.
 */
export function cleanupSuite(make: () => RxStorage<any, any>) {
  const stores = closingStores();
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });
  const started = (
    options: ExpiryCleanupOptions | ((clock: FakeClock) => ExpiryCleanupOptions) = {},
    setup?: (store: BrainStore) => Promise<void>,
  ) => startedCleanup((storeOptions) => stores.open(make, storeOptions), options, setup);
  return { stores, started };
}

/** A pending action that expires at `expires_at`; returns its id. */
export const create = (store: BrainStore, expires_at: number) => store.brainActions.createActionRecommendation(actionArgs({ expires_at }));
