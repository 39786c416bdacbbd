/**
 * Up to four load clients in one process (forked by load-driver.ts): each a brain-store of its
 * own on memory storage, replicating live to the server URL it is given. The open-source RxDB
 * allows 13 open collections per process and a store has 3, hence four stores at most.
 *
 * IPC commands, each answered by one message of the same type (or `error`):
 * - `open`: open the stores, start their replications, wait for the first sync.
 * - `write`: from `startAt` (epoch ms) plus its offset, each store creates `writes` actions
 *   one after the other (`intervalMs` apart when > 0); answers once the server acknowledged all of them,
 *   with each write's time and acknowledgement time.
 * - `progress`: how many actions of the workspace each store has seen so far.
 * - `report`: per store, when it first saw each action (its `$`), and a digest of its data.
 * - `stop`: cancel the replications, close the stores, exit.
 *
 * Times are `performance.timeOrigin + performance.now()`: epoch ms on the machine's one clock,
 * with sub-millisecond resolution, comparable across the processes of one machine.
 */
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import type { Subscription } from 'rxjs';
import { createBrainStore, replicateBrainStore, type BrainStore, type BrainSync } from '../../src/index.ts';
import { dataDigest, type ChildCommand, type ClientReport, type StoreWrites } from './load-protocol.ts';

const now = () => performance.timeOrigin + performance.now();
const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - now())));

interface Client {
  readonly name: string;
  readonly store: BrainStore;
  readonly sync: BrainSync;
  readonly subscription: Subscription;
  /** Action id → when this store's `brainActions.$` first emitted it. */
  readonly seen: Map<string, number>;
}

let clients: Client[] = [];
let workspace = '';

async function open(command: Extract<ChildCommand, { type: 'open' }>): Promise<void> {
  workspace = command.workspace;
  clients = await Promise.all(
    command.clients.map(async ({ name, url }) => {
      const store = await createBrainStore({ name, storage: getRxStorageMemory() });
      const seen = new Map<string, number>();
      // Subscribed before the replication starts: every action this store receives is timed.
      const subscription = store.database.brainActions.$.subscribe((event) => {
        if (!seen.has(event.documentId)) seen.set(event.documentId, now());
      });
      const sync = replicateBrainStore(store, { url, token: command.token, retryTime: command.retryTime });
      return { name, store, sync, subscription, seen };
    }),
  );
  await Promise.all(clients.map((client) => client.sync.awaitInSync()));
}

async function write(command: Extract<ChildCommand, { type: 'write' }>): Promise<StoreWrites[]> {
  return Promise.all(
    clients.map(async ({ name, store, sync }, k) => {
      const startAt = command.startAt + (command.offsets[k] ?? 0);
      const ids: string[] = [];
      const writtenAt: number[] = [];
      const acknowledgedAt: number[] = [];
      const acknowledgements: Promise<void>[] = [];
      for (let n = 0; n < command.writes; n++) {
        await sleepUntil(startAt + n * command.intervalMs);
        const at = now();
        const id = await store.brainActions.createActionRecommendation({
          workspace_id: workspace,
          contact_id: `${name}-contact-${n}`,
          action_type: 'follow_up',
          priority: n % 101,
          urgency: 'today',
          reason: `load write ${n} of ${name}`,
          expires_at: Date.now() + 86_400_000,
        });
        const index = ids.push(id) - 1;
        writtenAt.push(at);
        acknowledgements.push(sync.awaitWrite(id).then(() => void (acknowledgedAt[index] = now())));
      }
      await Promise.all(acknowledgements);
      return { name, ids, writtenAt, acknowledgedAt };
    }),
  );
}

async function report(): Promise<ClientReport[]> {
  return Promise.all(
    clients.map(async ({ name, store, seen }) => {
      const docs = await store.database.brainActions.find({ selector: { workspace_id: workspace } }).exec();
      return {
        name,
        seen: [...seen.entries()],
        count: docs.length,
        digest: dataDigest(docs.map((doc) => doc.toMutableJSON(false) as Record<string, unknown>)),
      };
    }),
  );
}

async function stop(): Promise<void> {
  for (const client of clients) {
    client.subscription.unsubscribe();
    await client.sync.cancel();
    await client.store.close();
  }
  clients = [];
}

async function handle(command: ChildCommand): Promise<Record<string, unknown>> {
  switch (command.type) {
    case 'open':
      await open(command);
      return {};
    case 'write':
      return { stores: await write(command) };
    case 'progress':
      return { counts: clients.map((client) => client.seen.size) };
    case 'report':
      return { stores: await report(), cpu: process.cpuUsage() };
    case 'stop':
      await stop();
      return {};
  }
}

process.on('message', (command: ChildCommand) => {
  handle(command).then(
    (answer) =>
      process.send!({ type: command.type, ...answer }, () => {
        if (command.type === 'stop') process.exit(0);
      }),
    (error: unknown) => process.send!({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
