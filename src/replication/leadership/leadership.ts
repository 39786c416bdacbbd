import type { Observable } from 'rxjs';

/**
 * How the replicating tab hears of the server's changes: its change streams, or — while a
 * stuck tab it took over from may still hold its own streams open, and with them most of the
 * browser's six connections per server (HTTP/1.1) — a pull every few seconds; 'off' in a
 * tab that does not replicate.
 */
export type LiveMode = 'stream' | 'poll' | 'off';

/** Which tab of a multi-instance store replicates; it can change hands at any time. */
export interface Leadership {
  /** true while this tab replicates. */
  readonly leading$: Observable<boolean>;
  readonly live$: Observable<LiveMode>;
  isLeader(): boolean;
  /** Leaves the election (the store closes). */
  stop(): void;
}
