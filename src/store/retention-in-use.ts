import type { BrainDatabase } from './create-brain-store.ts';
import { resolveRetention, type ResolvedRetention } from '../collections/retention.ts';

/**
 * The retention the expiry cleanup of a database runs with, so that the replication push
 * drops exactly the deletes the local purge produced without the caller passing the
 * retention twice. Keyed weakly: a closed database's entry goes with it.
 */
const IN_USE = new WeakMap<BrainDatabase, ResolvedRetention>();

export function setRetentionInUse(database: BrainDatabase, retention: ResolvedRetention): void {
  IN_USE.set(database, retention);
}

/**
 * The retention startExpiryCleanup was started with on this database, or the defaults when
 * it was not (a purge of a previous session may still have an unpushed delete).
 */
export function retentionInUse(database: BrainDatabase): ResolvedRetention {
  return IN_USE.get(database) ?? resolveRetention();
}
