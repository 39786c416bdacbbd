import { concatMap, filter, map, startWith, type Observable } from 'rxjs';

/** What these need of a database (of any collections) opened with `localDocuments: true`. */
interface LocalDocs {
  getLocal(id: string): Promise<{ toJSON(): { data: unknown } } | null>;
  upsertLocal(id: string, data: Record<string, unknown>): Promise<unknown>;
  /** Every bulk of change events, this tab's and (shared storage) the other tabs'. */
  readonly eventBulks$: Observable<{ readonly isLocal: boolean; readonly events: readonly { readonly documentId: string }[] }>;
}

/**
 * Small facts a store keeps about itself across restarts, in RxDB's local documents (never
 * replicated, not a collection, so they do not count against the collection limit).
 */
const CLOCK_OFFSET_ID = 'brain-store-clock-offset';
const REPLICATED_ID = 'brain-store-replicated';

interface ClockOffsetData {
  readonly offsetMs: number;
  /** The base clock when it was measured (for diagnostics; the offset is kept whatever its age). */
  readonly measuredAt: number;
}

/** The last offset to the server's clock a replication learned, or undefined. */
export async function readClockOffset(database: LocalDocs): Promise<number | undefined> {
  return offsetOf(await database.getLocal(CLOCK_OFFSET_ID));
}

/**
 * The stored offset and each change of it: local documents are shared between browser tabs,
 * so tabs that do not replicate (followers) correct their clocks by the leader's estimate.
 */
export function watchClockOffset(database: LocalDocs): Observable<number | undefined> {
  // Not RxDB's getLocal$: it runs an async step for every change event of the database, so a
  // page of 5,000 pulled documents held 5,000 inner subscriptions whose removal is quadratic
  // (2.2 s of a 100k first sync into SQLite). One read per bulk that touches the offset instead.
  return database.eventBulks$.pipe(
    filter((bulk) => bulk.isLocal && bulk.events.some((event) => event.documentId === CLOCK_OFFSET_ID)),
    startWith(undefined),
    concatMap(() => database.getLocal(CLOCK_OFFSET_ID)),
    map(offsetOf),
  );
}

function offsetOf(doc: { toJSON(): { data: unknown } } | null): number | undefined {
  const offset = (doc?.toJSON().data as Partial<ClockOffsetData> | undefined)?.offsetMs;
  return typeof offset === 'number' && Number.isFinite(offset) ? offset : undefined;
}

/** Kept so that a reload while offline still corrects the clock. */
export async function writeClockOffset(database: LocalDocs, offsetMs: number, measuredAt: number): Promise<void> {
  await database.upsertLocal(CLOCK_OFFSET_ID, { offsetMs, measuredAt } satisfies ClockOffsetData);
}

/** Whether a replication was ever started on this database (its unpushed writes need protecting). */
export async function wasReplicated(database: LocalDocs): Promise<boolean> {
  return (await database.getLocal(REPLICATED_ID)) !== null;
}

export async function markReplicated(database: LocalDocs): Promise<void> {
  if (!(await wasReplicated(database))) await database.upsertLocal(REPLICATED_ID, { since: 'replicateBrainStore' });
}
