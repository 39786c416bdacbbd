import { uuidV7 } from './uuid-v7.ts';
import { addRxPlugin, createRxDatabase, getAllCollectionDocuments, type RxCollection, type RxDatabase, type RxStorage } from 'rxdb';
import { RxDBLeaderElectionPlugin } from 'rxdb/plugins/leader-election';
import { RxDBLocalDocumentsPlugin } from 'rxdb/plugins/local-documents';
import { BrainStoreError } from '../errors/brain-store-error.ts';
import { ROLES, type Role, type Writer } from '../collections/write-rules.ts';
import { COLLECTIONS } from '../collections/all-collections.ts';
import type { BrainSummaryDocument } from '../collections/brain-summaries.ts';
import type { BrainInsightDocument } from '../collections/brain-insights.ts';
import type { BrainActionDocument } from '../collections/brain-actions.ts';
import { createSummaryQueries, type SummaryQueries } from '../queries/brain-summaries.ts';
import { createInsightQueries, type InsightQueries } from '../queries/brain-insights.ts';
import { createActionQueries, type ActionQueries } from '../queries/brain-actions.ts';
import type { CollectionDeclaration, CollectionName } from '../collections/declare-collection.ts';
import { createLifecycle } from '../queries/query-context.ts';
import { conflictHandlerFor } from './conflict-handler.ts';
import { validatedStorage } from './validated-storage.ts';
import { defaultStorage } from './default-storage.ts';
import { loadMigrationWhenNeeded, refuseNewerSchemas } from './refuse-newer-schemas.ts';
import { correctedClock, type StoreClock } from './corrected-clock.ts';
import { readClockOffset } from './local-settings.ts';
import { defaultScheduler, type ExpiryScheduler } from './scheduler.ts';

addRxPlugin(RxDBLeaderElectionPlugin);
addRxPlugin(RxDBLocalDocumentsPlugin);

export interface BrainCollections {
  brainSummaries: RxCollection<BrainSummaryDocument>;
  brainInsights: RxCollection<BrainInsightDocument>;
  brainActions: RxCollection<BrainActionDocument>;
}
export type BrainDatabase = RxDatabase<BrainCollections>;

/** The stored document type of each collection (what a replacement declaration describes). */
interface CollectionDocuments {
  brainSummaries: BrainSummaryDocument;
  brainInsights: BrainInsightDocument;
  brainActions: BrainActionDocument;
}
type Declarations = { readonly [K in CollectionName]: CollectionDeclaration<CollectionDocuments[K], unknown> };

export interface CreateBrainStoreOptions {
  /** Database name (one IndexedDB database / one directory per name). Default `brain-store`. */
  readonly name?: string;
  /**
   * Any RxDB storage. Default: Dexie over the global `indexedDB` in a browser; in Node,
   * durable SQLite (@brain-store/node) at `path`. It is wrapped with the collections'
   * validation (their zod declarations and invariants).
   */
  readonly storage?: RxStorage<unknown, unknown>;
  /** Node, without `storage`: the SQLite file. Default `.data/<name>.sqlite` under the working directory. */
  readonly path?: string;
  /**
   * The base clock for every default timestamp, expiry and "recent" window. Default `Date.now`.
   * A replication with `correctClock` (its default) adds the offset to the server's clock.
   */
  readonly now?: () => number;
  /**
   * The timers a live query re-arms on to change its answer at an instant (an action's
   * `expires_at`, a snooze's end): a host or a test that drives time hands its own, as it does
   * to startExpiryCleanup and replicateBrainStore. Default the global setTimeout/clearTimeout.
   */
  readonly scheduler?: ExpiryScheduler;
  /** Share the database between browser tabs (BroadcastChannel). Default: true in a browser, false in Node. */
  readonly multiInstance?: boolean;
  /** Make a new document id. Default UUIDv7 (time-ordered). */
  readonly newId?: () => string;
  /**
   * Advanced: replace a collection's declaration, e.g. a newer schema version with the
   * `migrationStrategies` that bring stored documents up to it. Default: the built-in ones.
   */
  readonly collections?: Partial<Declarations>;
  /**
   * Who writes through this store (the README's roles table). A `member` store refuses at
   * once, offline too, every write the server would refuse — creates, edits, actioning in
   * another name — with FORBIDDEN_ROLE and nothing written; an `operator` store writes
   * nothing. Default: no role — trusted code such as the bot; every write is allowed locally.
   */
  readonly role?: Role;
  /** A member's subject (required with `role: 'member'`): `markActionActioned`'s `actioned_by` must equal it. */
  readonly subject?: string;
}

export interface BrainStore {
  readonly brainSummaries: SummaryQueries;
  readonly brainInsights: InsightQueries;
  readonly brainActions: ActionQueries;
  readonly database: BrainDatabase;
  /** The store's role and subject (createBrainStore's `role`), or undefined for trusted code. */
  readonly writer: Writer | undefined;
  /** The injected clock plus the offset to the server's clock once a replication corrects it (see `clock`). */
  readonly now: () => number;
  /** The base clock, the applied offset and its changes (see replicateBrainStore's `correctClock`). */
  readonly clock: StoreClock;
  /** Registers a teardown run by close() (replication, expiry cleanup). */
  onClose(teardown: () => void | Promise<void>): void;
  close(): Promise<void>;
}

/**
 * Opens (or creates) the store.
 * @example
 * const store = await createBrainStore({ name: 'dashboard' });
 * const id = await store.brainActions.createActionRecommendation({ workspace_id: 'w1', contact_id: 'c1',
 *   action_type: 'follow_up', priority: 80, urgency: 'today', reason: 'Asked for pricing twice' });
 * store.brainActions.getActionsByPriority({ workspace_id: 'w1' }).$.subscribe(render);
 */
export async function createBrainStore(options: CreateBrainStoreOptions = {}): Promise<BrainStore> {
  const writer = writerOf(options);
  // `() => Date.now()`, not `Date.now`: fake timers installed after creation still apply.
  const base = options.now ?? (() => Date.now());
  const name = options.name ?? 'brain-store';
  const storage = validatedStorage({ storage: options.storage ?? (await defaultStorage({ name, path: options.path })) });
  const declarations: Declarations = { ...COLLECTIONS, ...options.collections };
  let opened: BrainDatabase | undefined;
  let storedOffset: Promise<number | undefined> = Promise.resolve(undefined);
  try {
    opened = await createRxDatabase<BrainCollections>({
      name,
      storage,
      multiInstance: options.multiInstance ?? typeof window !== 'undefined',
      eventReduce: true,
      closeDuplicates: true,
      // Holds the last known offset to the server's clock (a reload offline keeps correcting).
      localDocuments: true,
    });
    // Read while the collections open (another IndexedDB database in a browser: ~10 ms apart).
    storedOffset = readClockOffset(opened).catch(() => undefined);
    // Before addCollections writes anything: an older brain-store must not open newer data, and
    // older data is migrated (the plugin that does it is loaded only then).
    const stored = await getAllCollectionDocuments(opened.internalStore);
    refuseNewerSchemas(opened, stored, declarations, options.path);
    const migrate = await loadMigrationWhenNeeded(stored, declarations);
    await opened.addCollections({
      brainSummaries: collectionCreator(declarations.brainSummaries, migrate),
      brainInsights: collectionCreator(declarations.brainInsights, migrate),
      brainActions: collectionCreator(declarations.brainActions, migrate),
    });
    // The migration plugin, once in this process (for another store, or added by the app),
    // holds writes to every new collection of version > 0 until it has found nothing to do.
    for (const collection of Object.values(opened.collections)) if (collection.migrationInProgress) await collection.migratePromise();
  } catch (cause) {
    // A half-opened database would hold its collections against the 13-collection limit.
    await opened?.close().catch(() => undefined);
    throw cause instanceof BrainStoreError ? cause : new BrainStoreError('STORAGE', { cause, message: String(cause) });
  }
  const database = opened;
  // A previous session's offset applies from the first read: an expiry run before the first
  // sync response must not use a clock the store already knows to be wrong.
  const clock = correctedClock(base, await storedOffset);
  const now = clock.now;

  const teardowns: (() => void | Promise<void>)[] = [];
  const lifecycle = createLifecycle();
  const scheduler = options.scheduler ?? defaultScheduler;
  const context = { now, scheduler, newId: options.newId ?? uuidV7, lifecycle, clockChanged$: clock.changed$, writer };
  const actions = createActionQueries(database.brainActions, context);
  let closed: Promise<void> | undefined;
  return {
    brainSummaries: createSummaryQueries(database.brainSummaries, context),
    brainInsights: createInsightQueries(database.brainInsights, context),
    brainActions: actions,
    database,
    writer,
    now,
    clock,
    onClose: (teardown) => void teardowns.push(teardown),
    close: () =>
      (closed ??= (async () => {
        // Teardowns (replication, expiry cleanup) may still use the store; then live queries
        // complete and drop their timers, new calls fail with CLOSED, and the database closes.
        for (const teardown of teardowns.splice(0).reverse()) await teardown();
        lifecycle.close();
        await database.close();
      })()),
  };
}

function writerOf(options: CreateBrainStoreOptions): Writer | undefined {
  const { role, subject } = options;
  if (role === undefined) return undefined;
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new BrainStoreError('CONFIG', { parameters: { role }, message: `role must be one of ${ROLES.join(', ')}` });
  }
  if (role === 'member' && (typeof subject !== 'string' || subject.length === 0)) {
    throw new BrainStoreError('CONFIG', { parameters: { subject }, message: 'a member store needs its subject (the token subject)' });
  }
  return subject === undefined ? { role } : { role, subject };
}

/** `migrate`: older data is stored (the migration plugin is loaded); else RxDB must not look for it. */
function collectionCreator<Doc extends { id: string; workspace_id: string }>(
  declaration: CollectionDeclaration<Doc, unknown>,
  migrate: boolean,
) {
  return {
    schema: declaration.jsonSchema,
    migrationStrategies: declaration.migrationStrategies,
    autoMigrate: migrate,
    conflictHandler: conflictHandlerFor(declaration),
  } as const;
}
