import { map, type Observable } from 'rxjs';
import { liveRead } from './live-read.ts';
import { brainActions, type ActionStatus, type BrainAction, type BrainStore } from './brain-store.ts';

export interface HistoryPage {
  readonly total: number;
  readonly actions: readonly BrainAction[];
}

/**
 * Actions that left the queue with one status, newest transition first, a page at a time.
 * The count is an index count over [workspace_id, status, …]; the page is sorted by
 * status_at (the moment it was done, dismissed or expired), which no index of the collection
 * orders within a workspace, so the workspace's rows of that status are sorted in memory.
 */
export function historyPage$(
  store: BrainStore,
  { workspace, status, page, pageSize }: { workspace: string; status: ActionStatus; page: number; pageSize: number },
): Observable<HistoryPage> {
  const collection = store.database.brainActions;
  const selector = { workspace_id: workspace, status };
  const read = () =>
    Promise.all([
      collection.count({ selector, index: ['workspace_id', 'status', 'expires_at'] }).exec(),
      collection
        .find({
          selector,
          sort: [{ status_at: 'desc' }, { id: 'desc' }],
          index: ['workspace_id', 'status', 'expires_at'],
          skip: page * pageSize,
          limit: pageSize,
        })
        .exec(),
    ]);
  return liveRead(collection.$, read).pipe(
    map(([total, docs]) => ({ total, actions: docs.map((doc) => brainActions.toPublic(doc.toMutableJSON())) })),
  );
}
