import { BehaviorSubject, Observable, defer, distinctUntilChanged, finalize, map, switchMap, tap } from 'rxjs';
import { deepEqual, type MangoQuery, type RxCollection, type RxDocument } from 'rxdb';
import { deepFreeze } from '../collections/declare-collection.ts';

/**
 * A reactive read: `exec()` answers once, `$` emits the current answer first and then once
 * per change of the answer (never for writes that leave it unchanged).
 */
export interface LiveQuery<T> {
  exec(): Promise<T>;
  readonly $: Observable<T>;
}

/** setTimeout cannot wait longer than this; longer waits re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

export interface LiveQueryOptions<Doc, T> {
  readonly collection: RxCollection<Doc>;
  readonly now: () => number;
  /** Builds the mango query for the instant `at` (time windows and expiry are relative to it). */
  readonly query: (at: number) => MangoQuery<any>;
  /** Turns the stored documents into the answer. */
  readonly answer: (docs: Doc[]) => T;
  /**
   * The next instant at which the answer changes by time alone (e.g. the earliest
   * `expires_at` among the results); the query re-runs then.
   */
  readonly changesAt?: ((docs: Doc[], at: number) => number | undefined) | undefined;
}

export function liveQuery<Doc, T>(options: LiveQueryOptions<Doc, T>): LiveQuery<T> {
  const { collection, now, query, answer, changesAt } = options;
  const toAnswer = (docs: RxDocument<Doc>[]): { docs: Doc[]; value: T } => {
    const plain = docs.map((doc) => doc.toMutableJSON() as Doc);
    return { docs: plain, value: deepFreeze(answer(plain)) };
  };

  const $ = defer(() => {
    const tick$ = new BehaviorSubject(now());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (docs: Doc[], at: number) => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const next = changesAt?.(docs, at);
      if (next === undefined) return;
      const wait = Math.min(Math.max(next - now(), 0), MAX_TIMER_MS);
      timer = setTimeout(() => {
        timer = undefined;
        const current = now();
        // The clock may not have reached `next` (a drifting injected clock): re-arm instead.
        if (current >= next) tick$.next(current);
        else arm(docs, at);
      }, wait);
    };
    return tick$.pipe(
      switchMap((at) => collection.find(query(at) as MangoQuery<Doc>).$.pipe(map((docs) => ({ at, ...toAnswer(docs) })))),
      tap(({ docs, at }) => arm(docs, at)),
      map(({ value }) => value),
      distinctUntilChanged(deepEqual),
      finalize(() => {
        if (timer !== undefined) clearTimeout(timer);
        tick$.complete();
      }),
    );
  });

  return {
    exec: async () => toAnswer(await collection.find(query(now()) as MangoQuery<Doc>).exec()).value,
    $,
  };
}
