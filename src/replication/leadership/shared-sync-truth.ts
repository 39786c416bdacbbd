import { BehaviorSubject, combineLatest, distinctUntilChanged, map, skip, Subscription, switchMap, type Observable } from 'rxjs';
import { deepEqual } from 'rxdb';
import { BrainStoreError, type BrainStoreErrorCode } from '../../errors/brain-store-error.ts';
import type { RejectedWrite, RejectedWrites } from '../rejected-writes.ts';
import type { TokenProblem } from '../access-token-source.ts';
import type { SyncState, SyncStatus } from '../sync-status.ts';

/** The replicating tab's status as data a channel can carry (the error by code and text). */
interface StatusWire {
  readonly state: SyncState;
  readonly lastSyncedAt: number | null;
  readonly error?: { readonly code: BrainStoreErrorCode; readonly message: string; readonly parameters: Record<string, unknown> };
  readonly tokenProblem?: TokenProblem;
}

type TruthMessage =
  | { readonly type: 'status'; readonly status: StatusWire }
  | { readonly type: 'rejected'; readonly list: readonly RejectedWrite[] }
  /** A newcomer asks the replicating tab for both at once. */
  | { readonly type: 'ask' };

export interface SharedSyncTruthOptions {
  /** BroadcastChannel name shared by the tabs of one store; none: this tab alone. */
  readonly channel: string | undefined;
  readonly leading$: Observable<boolean>;
  readonly isLeader: () => boolean;
  /** This tab's own status, true while it replicates. */
  readonly local$: Observable<SyncStatus>;
  /** The shared pending count (every tab's tracker holds the same set). */
  readonly pending$: Observable<number>;
  readonly rejected: RejectedWrites;
}

export interface SharedSyncTruth {
  /** What every tab shows: its own status while it replicates, the replicating tab's otherwise. */
  readonly status$: Observable<SyncStatus>;
  stop(): void;
}

/**
 * Every tab sees the same sync truth (issue 18.2): the replicating tab broadcasts its state
 * (online, offline, error and the error itself) and the writes the server refused; a tab that
 * does not replicate shows those with its own pending count, which the pending-writes tracker
 * already keeps equal in every tab. A refused-writes list cleared in any tab is cleared in all.
 */
export function shareSyncTruth(options: SharedSyncTruthOptions): SharedSyncTruth {
  const { rejected, isLeader } = options;
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
  const channel = options.channel !== undefined && Channel ? new Channel(options.channel) : undefined;
  const heard = new BehaviorSubject<StatusWire | undefined>(undefined);
  const subscriptions = new Subscription();
  let latest: StatusWire | undefined;
  /** A list taken from another tab is not sent back. */
  let applying = false;

  const post = (message: TruthMessage) => {
    try {
      channel?.postMessage(message);
    } catch {
      // A closed channel (the tab is going away): the next replicating tab speaks for itself.
    }
  };

  if (channel) {
    channel.onmessage = (event: MessageEvent<TruthMessage>) => {
      const message = event.data;
      if (message.type === 'ask') {
        if (!isLeader()) return;
        if (latest) post({ type: 'status', status: latest });
        post({ type: 'rejected', list: rejected.current });
      } else if (message.type === 'status') {
        if (!isLeader()) heard.next(message.status);
      } else if (!deepEqual(message.list, rejected.current)) {
        applying = true;
        rejected.replace(message.list);
        applying = false;
      }
    };
    subscriptions.add(
      options.local$.subscribe((status) => {
        latest = toWire(status);
        if (isLeader()) post({ type: 'status', status: latest });
      }),
    );
    // Taking over: say at once where this tab stands.
    subscriptions.add(options.leading$.subscribe((leading) => leading && latest && post({ type: 'status', status: latest })));
    subscriptions.add(
      rejected.list$.pipe(skip(1)).subscribe((list) => {
        if (!applying) post({ type: 'rejected', list });
      }),
    );
    post({ type: 'ask' });
  }

  const followed$ = combineLatest([heard, options.pending$]).pipe(
    map(([status, pending]): SyncStatus | undefined => (status ? fromWire(status, pending) : undefined)),
  );
  const status$ = options.leading$.pipe(
    switchMap((leading) =>
      leading || !channel ? options.local$ : combineLatest([followed$, options.local$]).pipe(map(([followed, local]) => followed ?? local)),
    ),
    distinctUntilChanged(deepEqual),
  );

  return {
    status$,
    stop: () => {
      subscriptions.unsubscribe();
      heard.complete();
      channel?.close();
    },
  };
}

function toWire(status: SyncStatus): StatusWire {
  const { state, lastSyncedAt, error, tokenProblem } = status;
  if (!error) return { state, lastSyncedAt };
  // Plain JSON only: a channel cannot carry a cause or anything else it cannot clone.
  const parameters = JSON.parse(JSON.stringify(error.parameters)) as Record<string, unknown>;
  return {
    state,
    lastSyncedAt,
    error: { code: error.code, message: error.message, parameters },
    ...(tokenProblem ? { tokenProblem } : {}),
  };
}

/** The leader's state with this tab's pending count: writes not yet pushed keep it syncing. */
function fromWire(status: StatusWire, pending: number): SyncStatus {
  const state: SyncState = status.state === 'idle' && pending > 0 ? 'syncing' : status.state;
  if (!status.error) return { state, pending, lastSyncedAt: status.lastSyncedAt };
  const error = new BrainStoreError(status.error.code, { parameters: status.error.parameters });
  // The leader's full text (its code prefix included), not a second prefix.
  error.message = status.error.message;
  return {
    state,
    pending,
    lastSyncedAt: status.lastSyncedAt,
    error,
    ...(status.tokenProblem ? { tokenProblem: status.tokenProblem } : {}),
  };
}
