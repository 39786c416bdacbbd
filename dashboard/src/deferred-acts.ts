import { BehaviorSubject, Subject, type Observable } from 'rxjs';
import { isBrainStoreError, type BrainStore } from './brain-store.ts';

/**
 * Done, Dismiss and Snooze with an undo window. A click hides the row at once and records the
 * intent in localStorage; the store write — the only thing replication can push — happens
 * when the window ends. Undo within the window drops the intent, so an undone action never
 * reaches the server (nor this device's store) as done: a terminal status can never return
 * to pending, by the rules every replica and the server apply, so undo must come first.
 *
 * The intent outlives the tab: a reload or a close within the window finds it again at the
 * next start (the window resumes, or the write is made at once if it has passed), and other
 * tabs of the same browser hide the row too. A tab that leaves writes its due intents first.
 */
export type ActKind = 'done' | 'dismiss' | 'snooze';

export interface DeferredAct {
  readonly id: string;
  readonly workspace: string;
  readonly kind: ActKind;
  /** The action's reason, for the toast and the screen-reader message. */
  readonly reason: string;
  /** `actioned_by` for Done. */
  readonly actor: string;
  /** Snooze: until when (epoch ms, store clock). */
  readonly until?: number;
  /** When the window ends (epoch ms, this device's clock). */
  readonly due: number;
  /** The tab that made it: it writes at `due`; another tab only once that tab is plainly gone. */
  readonly owner: string;
}

export interface ActOutcome {
  readonly act: DeferredAct;
  /** 'saved', 'changed' (the action had moved on: expired, handled elsewhere), or 'failed'. */
  readonly result: 'saved' | 'changed' | 'failed';
  readonly message?: string;
}

export interface DeferredActs {
  /** Every intent still in its window, all tabs, oldest first. */
  readonly acts$: Observable<readonly DeferredAct[]>;
  /** Each write made at the end of a window (or refused). */
  readonly outcomes$: Observable<ActOutcome>;
  act(act: Omit<DeferredAct, 'due' | 'owner'>): void;
  /** Drops the intent for `id` (default: the newest); false when there is nothing to undo. */
  undo(id?: string): DeferredAct | undefined;
  /** How many intents wait in their window (all tabs). */
  pendingCount(): number;
  dispose(): void;
}

const KEY = 'brain-dashboard.deferred-acts';
export const UNDO_WINDOW_MS = 6_000;
/** A tab that has not written its intent this long after the window is taken to be closed. */
const ORPHAN_GRACE_MS = 4_000;

export function createDeferredActs(store: BrainStore, storage: Storage, windowMs = UNDO_WINDOW_MS): DeferredActs {
  const read = (): DeferredAct[] => {
    try {
      const parsed: unknown = JSON.parse(storage.getItem(KEY) ?? '[]');
      return Array.isArray(parsed) ? (parsed as DeferredAct[]) : [];
    } catch {
      return [];
    }
  };
  const write = (acts: readonly DeferredAct[]) => {
    if (acts.length === 0) storage.removeItem(KEY);
    else storage.setItem(KEY, JSON.stringify(acts));
  };
  const acts$ = new BehaviorSubject<readonly DeferredAct[]>(read());
  const outcomes$ = new Subject<ActOutcome>();
  const writing = new Set<string>();
  const tab = globalThis.crypto.randomUUID();
  /** When this tab writes an intent: its own at the end of the window, a gone tab's a little later. */
  const writeAt = (act: DeferredAct) => (act.owner === tab ? act.due : act.due + ORPHAN_GRACE_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;

  const remove = (id: string) => {
    const next = read().filter((act) => act.id !== id);
    write(next);
    acts$.next(next);
  };

  async function commit(act: DeferredAct): Promise<void> {
    if (writing.has(act.id)) return;
    writing.add(act.id);
    try {
      if (act.kind === 'done') await store.brainActions.markActionActioned({ action_id: act.id, actioned_by: act.actor });
      else if (act.kind === 'dismiss') await store.brainActions.dismissAction({ action_id: act.id });
      else await store.brainActions.snoozeAction({ action_id: act.id, until: act.until ?? 0 });
      outcomes$.next({ act, result: 'saved' });
    } catch (error) {
      // Another tab made the same write first: that is this intent done, not a failure.
      const current = await store.database.brainActions
        .findOne(act.id)
        .exec()
        .catch(() => null);
      const already = act.kind !== 'snooze' && current?.status === (act.kind === 'done' ? 'actioned' : 'dismissed');
      const changed = isBrainStoreError(error) && error.code === 'INVALID_TRANSITION';
      outcomes$.next({
        act,
        result: already ? 'saved' : changed ? 'changed' : 'failed',
        message: error instanceof Error ? error.message : String(error),
      });
    } finally {
      writing.delete(act.id);
      remove(act.id);
    }
  }

  const schedule = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const acts = acts$.value;
    const now = Date.now();
    for (const act of acts) if (writeAt(act) <= now) void commit(act);
    const next = acts
      .map(writeAt)
      .filter((at) => at > now)
      .reduce<number | undefined>((min, at) => Math.min(min ?? at, at), undefined);
    if (next !== undefined) timer = setTimeout(schedule, next - now);
  };

  // Other tabs' intents: hide those rows here too, and write any whose tab went away.
  const onStorage = (event: StorageEvent) => {
    if (event.key !== KEY && event.key !== null) return;
    acts$.next(read());
    schedule();
  };
  window.addEventListener('storage', onStorage);
  schedule();

  return {
    acts$,
    outcomes$: outcomes$.asObservable(),
    act(partial) {
      if (read().some((act) => act.id === partial.id)) return;
      const next = [...read(), { ...partial, due: Date.now() + windowMs, owner: tab }];
      write(next);
      acts$.next(next);
      schedule();
    },
    undo(id) {
      const acts = read().filter((act) => !writing.has(act.id));
      const target = id === undefined ? acts.at(-1) : acts.find((act) => act.id === id);
      if (!target) return undefined;
      remove(target.id);
      schedule();
      return target;
    },
    pendingCount: () => read().length,
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      window.removeEventListener('storage', onStorage);
    },
  };
}
