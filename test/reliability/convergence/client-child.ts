/**
 * One convergence client in its own process: a brain-store — on memory storage, or on the
 * durable SQLite storage of `@brain-store/node` — replicating through the parent's outage
 * proxy. It obeys JSON lines on stdin (`{ n, cmd, ...args }`) and answers each with one JSON
 * line on stdout (`{ n, ok: true, result }` or `{ n, ok: false, code, message }`). Its clock
 * is set by the parent (`clock`), so every process and server agree on the time the model
 * reasons about.
 *
 * When the server answers a pushed state with a conflict whose master is a tombstone (the
 * server purged that document first), it writes `{ event: 'tombstoned', docs }` on stdout,
 * synchronously (a pipe on Linux), so the parent learns of it even when the process is
 * SIGKILLed right after.
 */
import { createInterface } from 'node:readline';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { getRxStorageSQLite } from '../../../src/node/index.ts';
import {
  createBrainStore,
  isBrainStoreError,
  replicateBrainStore,
  startExpiryCleanup,
  type BrainStore,
  type BrainSync,
  type ExpiryRunReport,
  type ExpiryScheduler,
  type RetentionOptions,
} from '../../../src/index.ts';
import type { PushRequest, PushResponse } from '../../../src/protocol/messages.ts';

type Command = { n: number; cmd: string } & Record<string, unknown>;

let clock = 0;
let store: BrainStore | undefined;
let sync: BrainSync | undefined;
let syncOptions: { url: string; token: string } | undefined;
let retention: RetentionOptions = {};

/** Timers that never fire: a cleanup started with it runs once (at start) and then only when asked again. */
const NEVER: ExpiryScheduler = { setTimeout: () => undefined, clearTimeout: () => undefined };

const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const recordingFetch = async (input: string, init?: RequestInit) => {
  const response = await fetch(input, init);
  if (response.ok && init?.method === 'POST' && input.endsWith('/push') && typeof init.body === 'string') {
    // The server answered: which of the offered states met a tombstone (the action purged there)?
    const { rows } = JSON.parse(init.body) as PushRequest;
    const { conflicts } = (await response.clone().json()) as PushResponse;
    const purged = new Set(conflicts.filter((master) => master._deleted === true).map((master) => master['id']));
    const docs = rows.map((row) => row.newDocumentState).filter((doc) => purged.has(doc['id']));
    if (docs.length > 0) emit({ event: 'tombstoned', docs });
  }
  return response;
};

const startSync = () => {
  // A request sent while the network was cut may never be answered: it gives up after 2 s and is retried.
  sync = replicateBrainStore(store!, {
    ...syncOptions!,
    retryTime: 100,
    // Small pull pages: a client back from an outage with more than 2 × 4 changes waiting
    // resyncs (the head first, issue 19), so the model covers the resync too.
    pullBatchSize: 4,
    requestTimeoutMs: 2_000,
    correctClock: false,
    fetch: recordingFetch,
  });
};

/**
 * One run of the expiry cleanup with the run's retention — what `startExpiryCleanup` does at
 * start and on every tick: expire due actions, then purge by retention (never a document
 * whose latest local change the server has not acknowledged). Resolves with its report.
 */
const cleanupOnce = () =>
  new Promise<ExpiryRunReport>((resolve, reject) => {
    const subscription = startExpiryCleanup(store!, {
      retention,
      scheduler: NEVER,
      onRun: (report) => {
        subscription.unsubscribe();
        resolve(report);
      },
      onError: (error) => {
        subscription.unsubscribe();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    });
  });

const stripMeta = (doc: Record<string, unknown>) => Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith('_')));

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'open': {
      clock = command['clock'] as number;
      const role = command['role'] as 'member' | undefined;
      const sqlitePath = command['sqlitePath'] as string | undefined;
      retention = command['retention'] as RetentionOptions;
      store = await createBrainStore({
        name: command['name'] as string,
        storage: sqlitePath ? getRxStorageSQLite({ path: sqlitePath }) : getRxStorageMemory(),
        now: () => clock,
        ...(role ? { role, subject: command['subject'] as string } : {}),
      });
      syncOptions = { url: command['url'] as string, token: command['token'] as string };
      startSync();
      // A bot starts its cleanup at open: one run now (the parent asks for the later ones).
      await cleanupOnce();
      return null;
    }
    case 'clock':
      clock = command['clock'] as number;
      return null;
    case 'createAction':
      return store!.brainActions.createActionRecommendation({
        workspace_id: command['workspace_id'] as string,
        contact_id: command['contact_id'] as string,
        action_type: 'follow_up',
        priority: command['priority'] as number,
        urgency: 'today',
        reason: 'asked for pricing twice',
        expires_at: command['expires_at'] as number,
      });
    case 'bulkInsights':
      return store!.brainInsights.bulkCreateInsights({
        insights: Array.from({ length: command['count'] as number }, (_, i) => ({
          workspace_id: command['workspace_id'] as string,
          insight_type: 'trending_topic' as const,
          pattern: `pattern ${i}`,
          frequency: i + 1,
          examples: ['how much?'],
          confidence: 'high' as const,
          time_range: 'today' as const,
        })),
      });
    case 'actioned':
      await store!.brainActions.markActionActioned({ action_id: command['id'] as string, actioned_by: command['by'] as string });
      return clock;
    case 'dismiss':
      await store!.brainActions.dismissAction({ action_id: command['id'] as string });
      return clock;
    case 'cleanup':
      return store!.brainActions.cleanupExpiredActions();
    case 'purge': {
      const { purged } = await cleanupOnce();
      return purged.brainActions + purged.brainInsights + purged.brainSummaries;
    }
    case 'pause':
      await sync?.cancel();
      sync = undefined;
      return null;
    case 'resume':
      if (!sync) startSync();
      return null;
    case 'resync':
      if (!sync) startSync();
      sync!.resync();
      return null;
    case 'awaitInSync':
      // A pull now, then until pushed and pulled — bounded: offline, it answers after the cap instead of hanging.
      sync?.resync();
      await Promise.race([sync?.awaitInSync(), new Promise((resolve) => setTimeout(resolve, command['capMs'] as number))]);
      return null;
    case 'dump': {
      const workspace_id = command['workspace_id'] as string;
      const [actions, insights] = await Promise.all([
        store!.database.brainActions.find({ selector: { workspace_id } }).exec(),
        store!.database.brainInsights.find({ selector: { workspace_id } }).exec(),
      ]);
      return {
        actions: actions.map((doc) => stripMeta(doc.toMutableJSON(false) as Record<string, unknown>)),
        insights: insights.map((doc) => stripMeta(doc.toMutableJSON(false) as Record<string, unknown>)),
      };
    }
    case 'close':
      await sync?.cancel();
      sync = undefined;
      await store?.close();
      store = undefined;
      return null;
    default:
      throw new Error(`unknown command ${command.cmd}`);
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const command = JSON.parse(line) as Command;
  run(command).then(
    (result) => emit({ n: command.n, ok: true, result: result ?? null }),
    (error: unknown) =>
      emit({
        n: command.n,
        ok: false,
        code: isBrainStoreError(error) ? error.code : 'UNEXPECTED',
        message: error instanceof Error ? error.message : String(error),
      }),
  );
});
lines.on('close', () => process.exit(0));
