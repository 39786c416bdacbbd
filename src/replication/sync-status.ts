import type { BrainStoreError } from '../errors/brain-store-error.ts';
import type { TokenProblem } from './access-token-source.ts';

/**
 * - `upgrade-required`: the server no longer serves this client's protocol version
 *   (docs/upgrades.md). Nothing is lost: every local write stays queued (none is marked
 *   rejected) and syncs once the app is reloaded or restarted with the new version; `error`
 *   (code UPGRADE_REQUIRED) names the versions in its `parameters`. A dashboard shows "a new
 *   version is available — reload".
 * - `unauthorized`: the server refused the access token (expired, or signed by another secret)
 *   and no other one is known yet. Local writes are kept and counted in `pending`; replication
 *   goes on by itself once getToken returns a new token or the app calls `setToken`.
 */
export type SyncState = 'idle' | 'syncing' | 'offline' | 'upgrade-required' | 'error' | 'unauthorized';

export interface SyncStatus {
  readonly state: SyncState;
  /** Local writes not yet acknowledged by the server. */
  readonly pending: number;
  /** When the server last answered a pull or push (store clock), or null. */
  readonly lastSyncedAt: number | null;
  readonly error?: BrainStoreError;
  /** With state `unauthorized`: why the token cannot be used. */
  readonly tokenProblem?: TokenProblem;
}
