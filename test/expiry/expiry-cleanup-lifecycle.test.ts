import { describe, expect, it, vi } from 'vitest';
import { BehaviorSubject } from 'rxjs';
import { STORAGES } from '../helpers/storages.ts';
import {
  HOUR,
  MINUTE,
  SECOND,
  T0,
  cleanupSuite,
  create,
  fakeDocument,
  recordRuns,
  settle,
  statusOf,
  trackingScheduler,
} from './expiry-fixtures.ts';
import { fakeClock } from '../helpers/fake-clock.ts';
import { until } from '../../harness/until.ts';
import { startExpiryCleanup } from '../../src/expiry/start-expiry-cleanup.ts';
import { isBrainStoreError, type BrainStore } from '../../src/index.ts';

describe.each(STORAGES)('startExpiryCleanup lifecycle on $name', ({ make }) => {
  const { stores, started } = cleanupSuite(make);

  it('errors go to onError and the subscription keeps running', async () => {
    const { store, log, clock } = await started({ intervalMs: MINUTE });
    const spy = vi.spyOn(store.brainActions, 'cleanupExpiredActions').mockRejectedValueOnce(new Error('disk full'));
    await clock.advance(MINUTE);
    await until(() => log.errors.length === 1, 'the error');
    expect(String(log.errors[0])).toContain('disk full');
    await clock.advance(MINUTE);
    await log.runs(2);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('never overlaps runs; triggers during a run collapse into one follow-up run', async () => {
    const { store, log, clock } = await started({ intervalMs: MINUTE });
    const real = store.brainActions.cleanupExpiredActions.bind(store.brainActions);
    let active = 0;
    let maxActive = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(store.brainActions, 'cleanupExpiredActions').mockImplementation(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      await gate;
      active -= 1;
      return real();
    });
    await clock.advance(MINUTE); // starts a run that blocks on the gate
    await create(store, Date.now()); // due now: the expiry timer asks for a run
    await clock.advance(3 * MINUTE); // three more interval requests
    await settle();
    expect(spy).toHaveBeenCalledTimes(1);
    release();
    await log.runs(3);
    await settle();
    expect(spy).toHaveBeenCalledTimes(2);
    expect(maxActive).toBe(1);
  });

  it('unsubscribe stops every timer and listener; no run happens afterwards', async () => {
    let tracked!: ReturnType<typeof trackingScheduler>;
    const page = fakeDocument();
    vi.stubGlobal('document', page.doc);
    let id = '';
    const { store, log, subscription, clock } = await started(
      (fake) => ({ scheduler: (tracked = trackingScheduler(fake.scheduler)).scheduler }),
      async (s) => void (id = await create(s, T0 + HOUR)),
    );
    expect(tracked.live.size).toBe(2); // the clock watch and the expiry timer
    const spy = vi.spyOn(store.brainActions, 'cleanupExpiredActions');
    subscription.unsubscribe();
    expect(tracked.live.size).toBe(0);
    await clock.advance(SECOND);
    await settle();
    // Nothing left on the clock: only the store's live queries would arm it, and none is open.
    expect(clock.pending).toBe(0);
    page.hide();
    page.show();
    await clock.advance(2 * HOUR);
    await settle();
    expect(spy).not.toHaveBeenCalled();
    expect(log.reports).toHaveLength(1);
    expect(await statusOf(store, id)).toBe('pending');
  });

  it('store.close() stops it too', async () => {
    let tracked!: ReturnType<typeof trackingScheduler>;
    const { store, subscription } = await started((fake) => ({ scheduler: (tracked = trackingScheduler(fake.scheduler)).scheduler }));
    const closing = store.close();
    expect(subscription.closed).toBe(true); // the teardown runs first, synchronously
    expect(tracked.live.size).toBe(0);
    // RxDB's close waits on its own timers, which stay real.
    await closing;
  });

  it('runs at once when a hidden tab becomes visible again', async () => {
    const page = fakeDocument();
    vi.stubGlobal('document', page.doc);
    let id = '';
    const { store, log } = await started({}, async (s) => void (id = await create(s, T0 + HOUR)));
    page.hide();
    await settle();
    expect(log.reports).toHaveLength(1);
    vi.setSystemTime(T0 + 2 * HOUR); // the tab's timers were frozen meanwhile
    page.show();
    await log.runs(2);
    expect(await statusOf(store, id)).toBe('expired');
  });

  it('a drift within the tolerance is not a jump', async () => {
    const { log, clock } = await started({ clockCheckMs: 5 * SECOND, clockJumpToleranceMs: 2 * SECOND });
    vi.setSystemTime(Date.now() + 1_500);
    await clock.advance(30 * SECOND);
    await settle();
    expect(log.reports).toHaveLength(1);
    vi.setSystemTime(Date.now() - 3 * SECOND);
    await clock.advance(5 * SECOND);
    await log.runs(2);
  });

  it('with several tabs on one database, runs only once this tab is the leader', async () => {
    const clock = fakeClock(T0);
    const store = await stores.open(make, { scheduler: clock.scheduler });
    const due = await create(store, T0 - 1);
    const { database, becomeLeader } = waitingForLeadership(store);
    const log = recordRuns();
    startExpiryCleanup({ ...store, database }, { onRun: log.onRun, onError: log.onError, scheduler: clock.scheduler });
    await clock.advance(5 * MINUTE);
    await settle();
    expect(log.reports).toHaveLength(0);
    expect(await statusOf(store, due)).toBe('pending');
    becomeLeader();
    await log.runs(1);
    expect(await statusOf(store, due)).toBe('expired');
  });

  it('with leading$, runs while it says true and stops when it says false, whatever RxDB elected', async () => {
    const clock = fakeClock(T0);
    const store = await stores.open(make, { scheduler: clock.scheduler });
    const first = await create(store, T0 - 1);
    // RxDB's election never picks this tab (its leader is a frozen background tab, say).
    const { database } = waitingForLeadership(store);
    const leading$ = new BehaviorSubject(false);
    const tracked = trackingScheduler(clock.scheduler);
    const log = recordRuns();
    const cleanup = startExpiryCleanup(
      { ...store, database },
      { leading$, onRun: log.onRun, onError: log.onError, scheduler: tracked.scheduler, intervalMs: MINUTE },
    );
    await clock.advance(5 * MINUTE);
    await settle();
    expect(log.reports).toHaveLength(0);
    expect(tracked.live.size).toBe(0);
    // This tab takes over the replication: the cleanup runs here at once.
    leading$.next(true);
    await log.runs(1);
    expect(await statusOf(store, first)).toBe('expired');
    // It hands over: no timer left, and nothing more runs here.
    leading$.next(false);
    await settle();
    expect(tracked.live.size).toBe(0);
    const second = await create(store, Date.now() + SECOND);
    await clock.advance(5 * MINUTE);
    await settle();
    expect(log.reports).toHaveLength(1);
    expect(await statusOf(store, second)).toBe('pending');
    // Back again: one run catches up.
    leading$.next(true);
    await log.runs(2);
    expect(await statusOf(store, second)).toBe('expired');
    cleanup.unsubscribe();
    expect(tracked.live.size).toBe(0);
    expect(log.errors).toEqual([]);
  });

  it('unsubscribed before leadership: never runs', async () => {
    const clock = fakeClock(T0);
    const store = await stores.open(make, { scheduler: clock.scheduler });
    const { database, becomeLeader } = waitingForLeadership(store);
    const tracked = trackingScheduler(clock.scheduler);
    const log = recordRuns();
    startExpiryCleanup({ ...store, database }, { onRun: log.onRun, scheduler: tracked.scheduler }).unsubscribe();
    becomeLeader();
    await settle();
    expect(log.reports).toHaveLength(0);
    expect(tracked.live.size).toBe(0);
  });

  it('refuses bad options with a CONFIG error', async () => {
    fakeClock(T0);
    const store = await stores.open(make);
    for (const options of [{ intervalMs: 0 }, { intervalMs: Number.NaN }, { clockCheckMs: -1 }, { retention: { actionsMs: -5 } }]) {
      let caught: unknown;
      try {
        startExpiryCleanup(store, options);
      } catch (error) {
        caught = error;
      }
      expect(isBrainStoreError(caught, 'CONFIG')).toBe(true);
    }
  });
});

/** The store's database as one of several tabs, not the leader until `becomeLeader()`. */
function waitingForLeadership(store: BrainStore) {
  let becomeLeader!: () => void;
  const leadership = new Promise<boolean>((resolve) => (becomeLeader = () => resolve(true)));
  const database = new Proxy(store.database, {
    get: (target, key) =>
      key === 'multiInstance' ? true : key === 'waitForLeadership' ? () => leadership : (Reflect.get(target, key) as unknown),
  });
  return { database, becomeLeader };
}
