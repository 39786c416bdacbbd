/**
 * The user code `.ci/pack-check` runs against the installed tarballs: what a bot, a server
 * deployment and a React/Preact app write, type-checked strictly and run in plain Node.
 */

/** Type-checked under bundler, node16 and nodenext with skipLibCheck false. */
export const TYPES_FIXTURE = `import {
  BrainStoreError,
  createBrainStore,
  replicateBrainStore,
  startExpiryCleanup,
  type BrainAction,
  type CreateActionArgs,
  type SyncStatus,
} from '@brain-store/client';
import * as reactHooks from '@brain-store/client/react';
import * as preactHooks from '@brain-store/client/preact';
import { getRxStorageSQLite } from '@brain-store/node';
import { createAccessToken, startSyncServer } from '@brain-store/server';

const secret = 'a-secret-of-at-least-sixteen-characters';

export async function main(): Promise<string> {
  const server = await startSyncServer({ authSecret: secret, port: 0 });
  const store = await createBrainStore({ name: 'bot', storage: getRxStorageSQLite({ path: 'bot.sqlite' }) });
  const token = await createAccessToken({ secret, workspaces: ['w'], ttlSeconds: 60, role: 'bot', subject: 'bot' });
  const sync = replicateBrainStore(store, { url: server.url, token });
  const states: SyncStatus['state'][] = [];
  sync.status$.subscribe((status) => states.push(status.state));
  const cleanup = startExpiryCleanup(store);
  const args: CreateActionArgs = { workspace_id: 'w', contact_id: 'c', action_type: 'follow_up', priority: 50, urgency: 'today', reason: 'r' };
  const id: string = await store.brainActions.createActionRecommendation(args);
  const queue: BrainAction[] = await store.brainActions.getActionsByPriority({ workspace_id: 'w' }).exec();
  cleanup.unsubscribe();
  await sync.cancel();
  await store.close();
  await server.close();
  if (queue[0]?.id !== id) throw new BrainStoreError('NOT_FOUND', { parameters: { id } });
  return id;
}

/** A component body for each framework (hooks called as a component would). */
export function ReactQueue(): number {
  const store = reactHooks.useBrainStore();
  const { data, loading, error } = reactHooks.useLiveQuery(store.brainActions.getActionsByPriority, { workspace_id: 'w' });
  const actions: BrainAction[] | undefined = data;
  return loading || error ? 0 : (actions?.length ?? 0);
}
export function PreactQueue(): number {
  const store = preactHooks.useBrainStore();
  const { data } = preactHooks.useLiveQuery(store.brainActions.getActionsByPriority, { workspace_id: 'w' });
  return data?.length ?? 0;
}
`;

/** Run with plain Node in the installed project (ESM). */
export const BOT_FIXTURE = `import { existsSync } from 'node:fs';
import { BrainStoreError, createBrainStore } from '@brain-store/client';
import '@brain-store/client/react';
import '@brain-store/client/preact';
import { getRxStorageSQLite } from '@brain-store/node';
import { createAccessToken, startSyncServer } from '@brain-store/server';

if (typeof startSyncServer !== 'function' || typeof createAccessToken !== 'function') throw new Error('server exports missing');
// No storage given: in Node the default is @brain-store/node's durable SQLite in .data/.
const store = await createBrainStore({ name: 'bot' });
const id = await store.brainActions.createActionRecommendation({
  workspace_id: 'w', contact_id: 'c', action_type: 'follow_up', priority: 50, urgency: 'today', reason: 'packed',
});
const actions = await store.brainActions.getActionsByWorkspace({ workspace_id: 'w' }).exec();
await store.close();
if (actions.length !== 1 || actions[0].id !== id) throw new Error('the bot store did not read back its write');
if (!existsSync('.data/bot.sqlite')) throw new Error('no .data/bot.sqlite: the Node default storage was not used');
// An error thrown by @brain-store/node is the client's BrainStoreError (one class across packages).
try {
  await createBrainStore({ name: 'bad', storage: getRxStorageSQLite({ path: 'no/such/folder/bad.sqlite' }) });
  throw new Error('a storage path in a missing folder did not throw');
} catch (error) {
  if (!(error instanceof BrainStoreError) || error.code !== 'STORAGE_FILE') throw error;
}
console.log('bot ok');
`;
