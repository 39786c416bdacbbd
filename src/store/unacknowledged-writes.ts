import type { CollectionName } from '../collections/declare-collection.ts';
import type { BrainDatabase } from './create-brain-store.ts';
import { wasReplicated } from './local-settings.ts';

/**
 * Which of these stored documents carry a local change the server has not acknowledged
 * (their ids). A replication registers one per collection; the retention purge asks it.
 */
export type UnacknowledgedCheck = (docs: readonly Record<string, unknown>[]) => Promise<ReadonlySet<string>>;

const CHECKS = new WeakMap<BrainDatabase, Map<CollectionName, Set<UnacknowledgedCheck>>>();

/** Registers a replication's check; returns its removal (call it when the replication stops). */
export function registerUnacknowledgedCheck(database: BrainDatabase, name: CollectionName, check: UnacknowledgedCheck): () => void {
  let byName = CHECKS.get(database);
  if (!byName) CHECKS.set(database, (byName = new Map()));
  let checks = byName.get(name);
  if (!checks) byName.set(name, (checks = new Set()));
  checks.add(check);
  return () => void checks.delete(check);
}

/**
 * What the retention purge must leave alone (issue 11.3): a purge is a local eviction whose
 * delete never travels, so purging a document whose latest local change has not reached the
 * server would lose that change for good (an action actioned offline, purged a week later,
 * before the client came back). Those documents wait until acknowledged.
 */
export interface RetentionGuard {
  /** False: purge nothing of this collection now (its writes cannot be judged yet). */
  mayPurge(name: CollectionName): Promise<boolean>;
  /** Ids among `docs` to keep for now. */
  unacknowledged(name: CollectionName, docs: readonly Record<string, unknown>[]): Promise<ReadonlySet<string>>;
}

/**
 * The guard of a database: with a running replication, its checks decide; with none, a
 * database that was ever replicated purges nothing (a previous session may have left unpushed
 * writes, and nothing can tell which until the replication runs again); a database that
 * never synced has nobody to lose a write to, so it purges as before.
 */
export function retentionGuard(database: BrainDatabase): RetentionGuard {
  const checksOf = (name: CollectionName) => [...(CHECKS.get(database)?.get(name) ?? [])];
  return {
    // When the flag cannot be read, keeping is the safe answer: a purge can wait a run.
    mayPurge: async (name) => checksOf(name).length > 0 || !(await wasReplicated(database).catch(() => true)),
    unacknowledged: async (name, docs) => {
      const found = new Set<string>();
      for (const check of checksOf(name)) for (const id of await check(docs)) found.add(id);
      return found;
    },
  };
}
