import type { CollectionName } from '../collections/declare-collection.ts';
import type { BrainDatabase } from './create-brain-store.ts';
import { wasReplicated } from './local-settings.ts';

/**
 * Which of these stored documents carry a local change the server has not acknowledged
 * (their ids). A replication registers one per collection; the retention purge asks it.
 */
export type UnacknowledgedCheck = (docs: readonly Record<string, unknown>[]) => Promise<ReadonlySet<string>>;

/**
 * What the store's local housekeeping (retention purge, tombstone removal) needs to know of a
 * running replication of one collection. The store keeps these, so expiry asks the store and
 * never imports the replication (nor RxDB's replication plugin: the dashboard loads it later).
 */
export interface ReplicationLink {
  /** Which stored documents carry a local change the server has not acknowledged. */
  readonly unacknowledged: UnacknowledgedCheck;
  /** Resolves once every local write has reached the server. */
  readonly awaitInSync: () => Promise<unknown>;
}

const LINKS = new WeakMap<BrainDatabase, Map<CollectionName, Set<ReplicationLink>>>();

/** Registers a running replication of `name`; returns its removal (call it when the replication stops). */
export function registerReplication(database: BrainDatabase, name: CollectionName, link: ReplicationLink): () => void {
  let byName = LINKS.get(database);
  if (!byName) LINKS.set(database, (byName = new Map()));
  let links = byName.get(name);
  if (!links) byName.set(name, (links = new Set()));
  links.add(link);
  return () => void links.delete(link);
}

/** The running replications of collection `name` (none: nothing local is waiting for a server). */
export function replicationsOf(database: BrainDatabase, name: CollectionName): readonly ReplicationLink[] {
  return [...(LINKS.get(database)?.get(name) ?? [])];
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
  return {
    // When the flag cannot be read, keeping is the safe answer: a purge can wait a run.
    mayPurge: async (name) => replicationsOf(database, name).length > 0 || !(await wasReplicated(database).catch(() => true)),
    unacknowledged: async (name, docs) => {
      const found = new Set<string>();
      for (const link of replicationsOf(database, name)) for (const id of await link.unacknowledged(docs)) found.add(id);
      return found;
    },
  };
}
