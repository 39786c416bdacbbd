import { deepEqual, type RxConflictHandler } from 'rxdb';
import type { CollectionDeclaration } from '../collections/declare-collection.ts';

/** Fields RxDB keeps beside the document; they never decide a conflict. */
const BOOKKEEPING = new Set(['_meta', '_rev', '_attachments']);

/** The document without RxDB's fields (the same object when it has none). */
export function stripBookkeeping<T extends object>(doc: T): T {
  if (!Object.keys(doc).some((key) => BOOKKEEPING.has(key))) return doc;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) if (!BOOKKEEPING.has(key)) out[key] = value;
  return out as T;
}

/** RxDB's conflict handler for a collection, using the merge rule declared with it. */
export function conflictHandlerFor<Doc extends { id: string; workspace_id: string }, Public>(
  declaration: CollectionDeclaration<Doc, Public>,
): RxConflictHandler<Doc> {
  return {
    isEqual: (a, b) => deepEqual(stripBookkeeping(a), stripBookkeeping(b)),
    resolve: async ({ realMasterState, newDocumentState }) => {
      // A purge (soft delete) on either side wins: the document is gone for good.
      if (realMasterState._deleted) return realMasterState;
      if (newDocumentState._deleted) return newDocumentState;
      const { _deleted: _m, ...master } = stripBookkeeping(realMasterState) as { _deleted: boolean };
      const { _deleted: _n, ...incoming } = stripBookkeeping(newDocumentState) as { _deleted: boolean };
      const winner = declaration.merge(master as unknown as Doc, incoming as unknown as Doc) as unknown;
      if (winner === master) return realMasterState;
      if (winner === incoming) return newDocumentState;
      // A merge of both (an action's snooze from one side, the rest from the other): RxDB
      // writes it to the fork and pushes it against the master state.
      return { ...(winner as Doc), _deleted: false };
    },
  };
}
