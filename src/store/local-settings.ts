import { map, type Observable } from 'rxjs';

/** What these need of a database (of any collections) opened with `localDocuments: true`. */
interface LocalDocs {
  getLocal(id: string): Promise<{ toJSON(): { data: unknown } } | null>;
  getLocal$(id: string): Observable<{ toJSON(): { data: unknown } } | null>;
  upsertLocal(id: string, data: Record<string, unknown>): Promise<unknown>;
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
  return database.getLocal$(CLOCK_OFFSET_ID).pipe(map(offsetOf));
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
