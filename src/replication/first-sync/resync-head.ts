import type { RxCollection } from 'rxdb';
import { COLLECTIONS } from '../../collections/all-collections.ts';
import { comparePartOrder, matchesPart, type FirstSyncPart } from '../../collections/first-sync-parts.ts';
import { isBrainStoreError } from '../../errors/brain-store-error.ts';
import {
  firstSyncPageResponseSchema,
  firstSyncPath,
  resyncBeginResponseSchema,
  type FirstSyncPageResponse,
  type ResyncBeginResponse,
} from '../../protocol/first-sync-messages.ts';
import type { SyncCheckpoint, WireDocument } from '../../protocol/messages.ts';
import type { SyncHttpClient } from '../sync-http-client.ts';
import type { FirstSyncCollectionProgress } from './run-first-sync.ts';

/**
 * A resync after a long absence (issue 19, docs/first-sync.md): a device with history whose
 * pull checkpoint is far behind takes the head of each declared part — what changed since its
 * checkpoint that belongs at the top of its queue, and the current version of what it shows
 * there that changed — before the pull brings the rest in checkpoint order.
 *
 * "Long" is the server's count of rows changed since the checkpoint, not a time: at least
 * RESYNC_MIN_PAGES pull pages. Below that the pull is as fast as the resync would be.
 *
 * The documents go to RxDB's own downstream (the caller returns them from the pull handler
 * with the checkpoint unchanged), so its master/fork logic writes them: a local document with
 * unpushed changes is not overwritten, its assumed master is updated and the upstream pushes
 * it. The pull then continues from the same checkpoint and misses nothing.
 */

/** Changed rows, in pull pages, from which a resync brings the head first. */
export const RESYNC_MIN_PAGES = 2;

/** Rounds of `held` checks at most: each settles the local head's documents not yet confirmed current. */
const MAX_HELD_ROUNDS = 8;

/** The field naming a document's workspace in every declared collection. */
const WORKSPACE_FIELD = 'workspace_id';

export interface ResyncHeadOptions {
  readonly client: SyncHttpClient;
  /** The collection's name on the server. */
  readonly name: string;
  readonly collection: RxCollection<Record<string, unknown>>;
  /** The resync's head progress (kind 'resync'): documents received of the server's count. */
  readonly onProgress?: (progress: FirstSyncCollectionProgress) => void;
}

export interface ResyncHead {
  /** The next pull from a checkpoint asks the server whether a resync is due (after a start, or a failed pull). */
  arm(): void;
  /**
   * When armed and the server counts enough changes since `from`: the head documents to hand
   * to RxDB with `from` unchanged; otherwise undefined (the normal pull). A server that does
   * not know the resync (400 for `since`, 404) or refuses the checkpoint answers undefined too.
   */
  take(from: SyncCheckpoint, batchSize: number): Promise<WireDocument[] | undefined>;
  /** The head handed over has been written, or there was none (RxDB asks for the pull): the progress says done. Idempotent. */
  written(): void;
}

export function resyncHead(options: ResyncHeadOptions): ResyncHead {
  const { client, name, collection } = options;
  const path = firstSyncPath(name);
  const declared = (COLLECTIONS as Readonly<Record<string, { readonly firstSync: readonly FirstSyncPart[] }>>)[name]?.firstSync ?? [];
  let armed = true;
  let handed: FirstSyncCollectionProgress | undefined;

  const begin = async (since: SyncCheckpoint): Promise<ResyncBeginResponse | undefined> => {
    try {
      return await client.postJson(path, { step: 'begin', since }, resyncBeginResponseSchema);
    } catch (error) {
      // A server before the resync refuses `since`; a refused checkpoint is the pull's to handle.
      if (isBrainStoreError(error, 'BAD_REQUEST') || isBrainStoreError(error, 'NOT_FOUND')) return undefined;
      throw error;
    }
  };

  const take = async (from: SyncCheckpoint, batchSize: number): Promise<WireDocument[] | undefined> => {
    if (!armed) return undefined;
    armed = false;
    try {
      const answer = await begin(from);
      const changed = answer ? Object.values(answer.changed).reduce((sum, count) => sum + count, 0) : 0;
      if (!answer || changed < RESYNC_MIN_PAGES * batchSize || answer.parts.length === 0) return undefined;
      const total = Object.values(answer.heads).reduce((sum, heads) => sum + Object.values(heads).reduce((a, b) => a + b, 0), 0);
      const report = (received: number, state: FirstSyncCollectionProgress['state']) =>
        options.onProgress?.((handed = { kind: 'resync', received, total, state }));
      report(0, 'running');
      const found = new Map<string, WireDocument>();
      for (const part of answer.parts) {
        for (const workspace of Object.keys(answer.changed)) {
          if (!answer.heads[part.name]?.[workspace]) continue;
          let after: string | null = null;
          do {
            const page: FirstSyncPageResponse = await client.postJson(
              path,
              { step: 'page', workspace, part: part.name, after, limit: Math.max(1, part.limit), since: from },
              firstSyncPageResponseSchema,
            );
            for (const doc of page.documents) found.set(doc.id, doc);
            after = page.after;
            report(found.size, 'running');
          } while (after !== null);
        }
      }
      for (const part of declared.filter((candidate) => answer.parts.some((named) => named.name === candidate.name))) {
        for (const workspace of Object.keys(answer.changed)) await settleHeld(part, workspace, from, found);
      }
      report(found.size, 'running');
      return [...found.values()];
    } catch (error) {
      armed = true;
      throw error;
    }
  };

  /**
   * Until the head this device will show (its documents, with what this resync received
   * instead of its own copies) holds only documents known current, asks the server for the
   * current version of those it holds from before: one left the head on the server (deleted,
   * no longer pending, priority lowered) leaves it here too, and the next one below comes up
   * to be checked in the next round.
   */
  const settleHeld = async (part: FirstSyncPart, workspace: string, since: SyncCheckpoint, found: Map<string, WireDocument>) => {
    const checked = new Set(found.keys());
    const compare = comparePartOrder(part);
    for (let round = 0; round < MAX_HELD_ROUNDS; round++) {
      const ours = [...found.values()].filter((doc) => doc[WORKSPACE_FIELD] === workspace);
      const local = await localHead(collection, part, workspace, part.limit + ours.length);
      const merged = new Map<string, Record<string, unknown>>(local.map((doc) => [doc['id'] as string, doc]));
      for (const doc of ours) merged.set(doc.id, doc);
      const head = [...merged.values()]
        .filter((doc) => doc['_deleted'] !== true && matchesPart(part, doc))
        .sort(compare)
        .slice(0, part.limit);
      let unchecked = head.map((doc) => doc['id'] as string).filter((id) => !checked.has(id));
      if (unchecked.length === 0) return;
      for (const id of unchecked) checked.add(id);
      while (unchecked.length > 0) {
        const page = await client.postJson(path, { step: 'held', workspace, since, ids: unchecked }, firstSyncPageResponseSchema);
        for (const doc of page.documents) found.set(doc.id, doc);
        if (page.after === null) break;
        unchecked = unchecked.filter((id) => !found.has(id));
      }
    }
  };

  return {
    arm: () => {
      armed = true;
    },
    take,
    written: () => {
      if (handed?.state !== 'running') return;
      options.onProgress?.((handed = { ...handed, state: 'done' }));
    },
  };
}

/** This device's first `limit` documents of a part in a workspace, in the part's order (unpushed edits included). */
async function localHead(
  collection: RxCollection<Record<string, unknown>>,
  part: FirstSyncPart,
  workspace: string,
  limit: number,
): Promise<Record<string, unknown>[]> {
  // The declared indexed equivalent of the part's order where there is one (no sort in memory).
  const keys = part.localSort ?? part.order;
  const sort = [...keys.map((key) => ({ [key.field]: key.direction })), { id: 'asc' as const }];
  const docs = await collection.find({ selector: { [WORKSPACE_FIELD]: workspace, ...part.where }, sort, limit }).exec();
  return docs.map((doc) => doc.toJSON() as Record<string, unknown>);
}
