import { auditTime, from, merge, of, switchMap, type Observable } from 'rxjs';

/**
 * A read re-made whenever the collection changes (this tab's writes, other tabs', a pull),
 * at most every `quietMs` while a first sync pours documents in. The pages here are
 * index walks with skip and limit, and RxDB's incremental update of such a query's live
 * result was seen to stop following the inserts of a first sync (the first page kept the
 * first pull batch's rows); reading again costs one index walk of a page.
 */
export function liveRead<T>(changes$: Observable<unknown>, read: () => Promise<T>, quietMs = 50): Observable<T> {
  return merge(of(null), changes$.pipe(auditTime(quietMs))).pipe(switchMap(() => from(read())));
}
