import { BehaviorSubject, Observable, distinctUntilChanged, map, switchMap } from 'rxjs';
import { liveRead } from './live-read.ts';
import { brainActions, type BrainAction, type BrainStore } from './brain-store.ts';

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
}

const PRIORITY_SORT = [{ priority_rank: 'asc' }, { created_desc: 'asc' }, { id: 'asc' }] as const;
const EXPIRY_SORT = [{ expires_at: 'asc' }, { id: 'asc' }] as const;
const PRIORITY_INDEX = ['workspace_id', 'status', 'priority_rank', 'created_desc'];
const EXPIRY_INDEX = ['workspace_id', 'status', 'expires_at'];

/** The instants at which the pending set of `workspace` changes by time alone. */
export function pendingInstants(store: BrainStore, workspace: string): Observable<number> {
  const collection = store.database.brainActions;
  const at$ = new BehaviorSubject(store.now());
  return new Observable<number>((subscriber) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const clock = store.clock.changed$.subscribe(() => at$.next(store.now()));
    const next = at$
      .pipe(
        switchMap((at) =>
          liveRead(collection.$, () =>
            collection
              .findOne({
                selector: { workspace_id: workspace, status: 'pending', expires_at: { $gt: at } },
                sort: [...EXPIRY_SORT],
                index: EXPIRY_INDEX,
              })
              .exec(),
          ).pipe(map((doc) => ({ at, expiresAt: doc?.expires_at }))),
        ),
      )
      .subscribe(({ at, expiresAt }) => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        const arm = (when: number) => {
          timer = setTimeout(() => (store.now() >= when ? at$.next(store.now()) : arm(when)), Math.max(0, when - store.now()));
        };
        if (expiresAt !== undefined) arm(expiresAt);
        subscriber.next(at);
      });
    return () => {
      if (timer !== undefined) clearTimeout(timer);
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
        const selector = { workspace_id: workspace, status: 'pending' as const, expires_at: { $gt: at } };
        if (filtered) {
          return liveRead(collection.$, () => collection.find({ selector, ...orderBy }).exec()).pipe(
            map((docs) => {
              const all = docs
                .map((doc) => brainActions.toPublic(doc.toMutableJSON()))
                .filter((action) => matches(action) && !hiddenSet.has(action.id));
              return { total: all.length, actions: all.slice(page * pageSize, (page + 1) * pageSize), at };
            }),
          );
        }
        // Hidden rows sit somewhere in the order: read that many more, then leave them out.
        const read = () =>
          Promise.all([
            collection.count({ selector, index: EXPIRY_INDEX }).exec(),
            collection.find({ selector, ...orderBy, skip: page * pageSize, limit: pageSize + hiddenSet.size }).exec(),
          ]);
        return liveRead(collection.$, read).pipe(
          map(([count, docs]) => ({
            total: Math.max(0, count - hiddenSet.size),
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
