import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createBrainStore, replicateBrainStore, type BrainStore } from '../../src/index.ts';
import { scratchDir } from '../helpers/storages.ts';
import { startTestServer } from '../helpers/sync-server.ts';
import { killBudget } from '../helpers/fuzz-settings.ts';

const CHILD = fileURLToPath(new URL('./durability-child.ts', import.meta.url));
/** DURABILITY_KILLS (default 8, the CI budget) and DURABILITY_SEED (printed) set the run. */
const { kills: KILLS, random } = killBudget('DURABILITY', 8);

interface Acknowledged {
  actions: string[];
  bulks: { pattern: string; ids: string[] }[];
}

/**
 * Runs the writer until it has written for `afterMs`, counted from its first acknowledged write
 * (not from start-up: on a loaded machine a kill timed from READY can land before any write), then
 * SIGKILLs it.
 */
function writeThenKill(path: string, run: number, afterMs: number): Promise<Acknowledged> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: Acknowledged = { actions: [], bulks: [] };
    let buffer = '';
    let stderr = '';
    let killScheduled = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, first, second] = line.split(' ');
        if (kind === 'A') acknowledged.actions.push(first!);
        else if (kind === 'B') acknowledged.bulks.push({ pattern: first!, ids: second!.split(',') });
        else continue;
        if (!killScheduled) setTimeout(() => child.kill('SIGKILL'), afterMs);
        killScheduled = true;
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acknowledged);
      else reject(new Error(`writer exited with ${code} before the kill: ${stderr}`));
    });
  });
}

function groupByPattern<T extends { pattern: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(item.pattern, [...(groups.get(item.pattern) ?? []), item]);
  return groups;
}

async function contents(store: BrainStore) {
  const actions = await store.database.brainActions.find().exec();
  const insights = await store.database.brainInsights.find().exec();
  return {
    actionIds: new Set(actions.map((doc) => doc.id)),
    insightIds: new Set(insights.map((doc) => doc.id)),
    byPattern: groupByPattern(insights.map((doc) => doc.toJSON())),
  };
}

describe('durability of the SQLite store under SIGKILL (real processes)', () => {
  const path = join(scratchDir(), 'bot.sqlite');
  const acknowledgedActions = new Set<string>();
  const acknowledgedInsights = new Set<string>();
  let servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  it(`keeps every acknowledged write and never half a bulk, over ${KILLS} kills at random moments`, { timeout: 600_000 }, async () => {
    let totalActions = 0;
    for (let run = 0; run < KILLS; run++) {
      const acknowledged = await writeThenKill(path, run, 20 + Math.floor(random() * 250));
      acknowledged.actions.forEach((id) => acknowledgedActions.add(id));
      acknowledged.bulks.forEach((bulk) => bulk.ids.forEach((id) => acknowledgedInsights.add(id)));
      const store = await createBrainStore({ name: 'durability', path });
      try {
        const { actionIds, insightIds, byPattern } = await contents(store);
        for (const id of acknowledgedActions) expect(actionIds.has(id), `acknowledged action ${id} (run ${run})`).toBe(true);
        for (const id of acknowledgedInsights) expect(insightIds.has(id), `acknowledged insight ${id} (run ${run})`).toBe(true);
        for (const [pattern, insights] of byPattern) expect(insights.length, `bulk ${pattern}`).toBe(insights[0]!.frequency);
        totalActions = actionIds.size;
      } finally {
        await store.close();
      }
    }
    // The kills landed while writing: something was acknowledged, and not only at the end.
    expect(acknowledgedActions.size).toBeGreaterThan(KILLS);
    expect(totalActions).toBeGreaterThanOrEqual(acknowledgedActions.size);
  });

  it(
    'then replication leaves the server with every stored write exactly once, acknowledged ones included',
    { timeout: 120_000 },
    async () => {
      const server = await startTestServer({ backend: 'pglite' });
      servers = [server];
      const store = await createBrainStore({ name: 'durability', path });
      try {
        const sync = replicateBrainStore(store, { url: server.url, token: await server.token(['w1']), retryTime: 50 });
        await sync.awaitInSync();
        const local = await contents(store);
        const rows = await server.sql.query<{ collection: string; id: string; copies: number }>(
          'SELECT collection, id, count(*)::int AS copies FROM brain_store_documents GROUP BY collection, id',
        );
        const onServer = (collection: string) => rows.filter((row) => row.collection === collection);
        expect(rows.every((row) => row.copies === 1)).toBe(true);
        expect(new Set(onServer('brainActions').map((row) => row.id))).toEqual(local.actionIds);
        expect(new Set(onServer('brainInsights').map((row) => row.id))).toEqual(local.insightIds);
        for (const id of acknowledgedActions) expect(local.actionIds.has(id)).toBe(true);
        for (const id of acknowledgedInsights) expect(local.insightIds.has(id)).toBe(true);
        await sync.cancel();
      } finally {
        await store.close();
      }
    },
  );
});
