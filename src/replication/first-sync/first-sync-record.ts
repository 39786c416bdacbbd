import type { RxCollection } from 'rxdb';
import type { SyncCheckpoint } from '../../protocol/messages.ts';

/**
 * Where a collection's first sync stands, kept in the database's local documents (never
 * replicated) after every page, so that a restart in the middle continues from the same
 * checkpoint and page instead of starting RxDB's replication over half a collection.
 */
export interface FirstSyncRecord {
  /** The server's checkpoint, taken before the first page was read. */
  readonly checkpoint: SyncCheckpoint;
  /** The last-write time of every document the first sync stores (FIRST_SYNC_LWT). */
  readonly lwt: number;
  /** The server's head parts of the collection, in order. */
  readonly parts: readonly string[];
  /** Head steps (part × workspace) done, in plan order. */
  readonly heads: number;
  /** Per workspace: where the rest continues (null: from the start), or true when done. */
  readonly rest: Readonly<Record<string, string | null | true>>;
  readonly total: number;
  readonly received: number;
  /** Every page is stored: hand over to the replication. */
  readonly done: boolean;
}

interface LocalDocuments {
  getLocal(id: string): Promise<{ toJSON(): { data: unknown } } | null>;
  upsertLocal(id: string, data: Record<string, unknown>): Promise<unknown>;
}

/** Reads and writes one collection's record; without local documents (an RxDB database opened without them) it lives in memory. */
export interface FirstSyncRecordStore {
  read(): Promise<FirstSyncRecord | undefined>;
  write(record: FirstSyncRecord): Promise<void>;
}

export async function firstSyncRecordStore(
  collection: RxCollection<Record<string, unknown>>,
  identity: string,
): Promise<FirstSyncRecordStore> {
  const database = collection.database as unknown as Partial<LocalDocuments> & { hashFunction(input: string): Promise<string> };
  const id = `first-sync-${collection.name}-${(await database.hashFunction(identity)).slice(0, 16)}`;
  let memory: FirstSyncRecord | undefined;
  const local = async (): Promise<LocalDocuments | undefined> => {
    try {
      await database.getLocal!(id);
      return database as LocalDocuments;
    } catch {
      return undefined;
    }
  };
  const store = await local();
  if (!store) {
    return {
      read: () => Promise.resolve(memory),
      write: (record) => {
        memory = record;
        return Promise.resolve();
      },
    };
  }
  return {
    read: async () => ((await store.getLocal(id))?.toJSON().data as FirstSyncRecord | undefined) ?? undefined,
    write: async (record) => {
      await store.upsertLocal(id, record as unknown as Record<string, unknown>);
    },
  };
}
