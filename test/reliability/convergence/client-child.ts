/**
 * One convergence client in its own process: a brain-store on memory storage (its own
 * store, its own RxDB) replicating through the parent's outage proxy. It obeys JSON lines on
 * stdin (`{ n, cmd, ...args }`) and answers each with one JSON line on stdout
 * (`{ n, ok: true, result }` or `{ n, ok: false, code, message }`). Its clock is set by the
 * parent (`clock`), so every process and server agree on the time the model reasons about.
 */
import { createInterface } from 'node:readline';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, isBrainStoreError, replicateBrainStore, type BrainStore, type BrainSync } from '../../../src/index.ts';

type Command = { n: number; cmd: string } & Record<string, unknown>;

let clock = 0;
let store: BrainStore | undefined;
let sync: BrainSync | undefined;
let syncOptions: { url: string; token: string } | undefined;

const startSync = () => {
  sync = replicateBrainStore(store!, { ...syncOptions!, retryTime: 100, correctClock: false });
};

const stripMeta = (doc: Record<string, unknown>) => Object.fromEntries(Object.entries(doc).filter(([key]) => !key.startsWith('_')));

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'open': {
      clock = command['clock'] as number;
      const role = command['role'] as 'member' | undefined;
      store = await createBrainStore({
        name: command['name'] as string,
        storage: getRxStorageMemory(),
        now: () => clock,
        ...(role ? { role, subject: command['subject'] as string } : {}),
      });
      syncOptions = { url: command['url'] as string, token: command['token'] as string };
      startSync();
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
    (result) => process.stdout.write(`${JSON.stringify({ n: command.n, ok: true, result: result ?? null })}\n`),
    (error: unknown) =>
      process.stdout.write(
        `${JSON.stringify({
          n: command.n,
          ok: false,
          code: isBrainStoreError(error) ? error.code : 'UNEXPECTED',
          message: error instanceof Error ? error.message : String(error),
        })}\n`,
      ),
  );
});
lines.on('close', () => process.exit(0));
