import { BehaviorSubject, Observable, distinctUntilChanged, map, switchMap } from 'rxjs';
import { liveRead } from './live-read.ts';
import {
  brainActions,
  defaultScheduler,
  whenClockReaches,
  type BrainAction,
  type BrainStore,
  type ExpiryScheduler,
} from './brain-store.ts';

/**
 * The whole pending queue, a page at a time, read from IndexedDB through the collection's
 * indexes (the package's own reads stop at 100 rows):
 * - the true count: an index count over [workspace_id, status, expires_at];
 * - a page: an index walk in the chosen order ([…, priority_rank, created_desc] or
 *   […, expires_at]) with skip and limit — rows past the page are never read;
 * - with an urgency filter or a search, the workspace's pending rows are read once through
 *   the index and filtered, counted and paged here (text search has no index).
 * Every answer is for an instant `at` (an action leaves at its expires_at, exactly): `at`
 * moves when the next pending action expires and when the store's clock is corrected.
 */
export interface QueueRequest {
  readonly workspace: string;
  readonly urgency: string;
  readonly search: string;
  readonly sort: 'priority' | 'expiry';
  /** 0-based page index. */
  readonly page: number;
  readonly pageSize: number;
  /** Rows hidden by the undo window: left out of the page and the count. */
  readonly hidden: readonly string[];
}

export interface QueuePage {
  readonly total: number;
  readonly actions: readonly BrainAction[];
  /** The instant the answer holds for (store clock). */
  readonly at: number;
  /** Pending, unexpired actions snoozed at `at` (not in `total`). */
  readonly snoozed: number;
}

const PRIORITY_SORT = [{ priority_rank: 'asc' }, { created_desc: 'asc' }, { id: 'asc' }] as const;
const EXPIRY_SORT = [{ expires_at: 'asc' }, { id: 'asc' }] as const;
const PRIORITY_INDEX = ['workspace_id', 'status', 'priority_rank', 'created_desc'];
const EXPIRY_INDEX = ['workspace_id', 'status', 'expires_at'];
const SNOOZE_INDEX = ['workspace_id', 'status', 'snoozed_until'];

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/**
 * The instants at which the pending set of `workspace` changes by time alone: an expiry, the end of a snooze.
 * A wait longer than a timer can hold (~24.8 days: an action may expire a month out) fires early and re-arms.
 */
export function pendingInstants(store: BrainStore, workspace: string, timers: ExpiryScheduler = defaultScheduler): Observable<number> {
  const collection = store.database.brainActions;
  const at$ = new BehaviorSubject(store.now());
  return new Observable<number>((subscriber) => {
    let cancelWait: (() => void) | undefined;
    const clock = store.clock.changed$.subscribe(() => at$.next(store.now()));
    const next = at$
      .pipe(
        switchMap((at) =>
          liveRead(collection.$, () =>
            Promise.all([
              collection
                .findOne({
                  selector: { workspace_id: workspace, status: 'pending', expires_at: { $gt: at } },
                  sort: [...EXPIRY_SORT],
                  index: EXPIRY_INDEX,
                })
                .exec(),
              collection
                .findOne({
                  selector: { workspace_id: workspace, status: 'pending', snoozed_until: { $gt: at } },
                  sort: [{ snoozed_until: 'asc' }, { id: 'asc' }],
                  index: SNOOZE_INDEX,
                })
                .exec(),
            ]),
          ).pipe(map(([expiring, snoozed]) => ({ at, expiresAt: earliest(expiring?.expires_at, snoozed?.snoozed_until) }))),
        ),
      )
      .subscribe(({ at, expiresAt }) => {
        cancelWait?.();
        cancelWait =
          expiresAt === undefined
            ? undefined
            : whenClockReaches(
                timers,
                () => store.now(),
                expiresAt,
                (now) => at$.next(now),
              );
        subscriber.next(at);
      });
    return () => {
      cancelWait?.();
      clock.unsubscribe();
      next.unsubscribe();
    };
  });
}

export function queuePage$(store: BrainStore, request: QueueRequest): Observable<QueuePage> {
  const collection = store.database.brainActions;
  const { workspace, urgency, search, sort, page, pageSize, hidden } = request;
  const filtered = urgency !== '' || search.trim() !== '';
  const needle = search.trim().toLowerCase();
  const matches = (action: BrainAction) =>
    (urgency === '' || action.urgency === urgency) &&
    (needle === '' ||
      action.reason.toLowerCase().includes(needle) ||
      action.contact_id.toLowerCase().includes(needle) ||
      (action.suggested_message ?? '').toLowerCase().includes(needle));
  const hiddenSet = new Set(hidden);
  const orderBy =
    sort === 'priority' ? { sort: [...PRIORITY_SORT], index: PRIORITY_INDEX } : { sort: [...EXPIRY_SORT], index: EXPIRY_INDEX };

  return pendingInstants(store, workspace)
    .pipe(distinctUntilChanged())
    .pipe(
      switchMap((at) => {
        const selector = { workspace_id: workspace, status: 'pending' as const, expires_at: { $gt: at }, snoozed_until: { $lte: at } };
        // Snoozed actions are few: read them through their index, then count the others.
        const snoozedNow = () =>
          collection
            .find({ selector: { workspace_id: workspace, status: 'pending', snoozed_until: { $gt: at } }, index: SNOOZE_INDEX })
            .exec()
            .then((docs) => docs.filter((doc) => doc.expires_at > at).length);
        if (filtered) {
          return liveRead(collection.$, () => Promise.all([collection.find({ selector, ...orderBy }).exec(), snoozedNow()])).pipe(
            map(([docs, snoozed]) => {
              const all = docs
                .map((doc) => brainActions.toPublic(doc.toMutableJSON()))
                .filter((action) => matches(action) && !hiddenSet.has(action.id));
              return { total: all.length, actions: all.slice(page * pageSize, (page + 1) * pageSize), at, snoozed };
            }),
          );
        }
        // Hidden rows sit somewhere in the order: read that many more, then leave them out.
        const read = () =>
          Promise.all([
            collection
              .count({ selector: { workspace_id: workspace, status: 'pending', expires_at: { $gt: at } }, index: EXPIRY_INDEX })
              .exec(),
            snoozedNow(),
            collection.find({ selector, ...orderBy, skip: page * pageSize, limit: pageSize + hiddenSet.size }).exec(),
          ]);
        return liveRead(collection.$, read).pipe(
          map(([count, snoozed, docs]) => ({
            total: Math.max(0, count - snoozed - hiddenSet.size),
            snoozed,
            actions: docs
              .map((doc) => brainActions.toPublic(doc.toMutableJSON()))
              .filter((action) => !hiddenSet.has(action.id))
              .slice(0, pageSize),
            at,
          })),
        );
      }),
    );
}
