/**
 * A workspace of 1,000,000 actions beside one of 10,000, on one PostgreSQL database and one
 * server: pull-page latency (first page, a page in the middle of history, a caught-up pull)
 * and single-document push latency, sampled alternately in the two workspaces so load
 * drifts hit both alike. Rows are inserted with raw SQL in the server's table format (the
 * stamping trigger runs, in transactions of `CHUNK` rows like batched pushes).
 */
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PullResponse, PushResponse, SyncCheckpoint } from '../../src/protocol/messages.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../src/protocol/protocol-version.ts';
import { EMPTY_SNAPSHOT } from '../../src/server/sql/pg-snapshot.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { percentile, round } from '../lib/stats.ts';
import type { BenchServer } from '../lib/sync-server.ts';

const COLLECTION = 'brainActions';
const CHUNK = 50_000;
const PAGE = 200;

export interface WorkspaceFigures {
  readonly rows: number;
  readonly firstPage: number[];
  readonly middlePage: number[];
  readonly caughtUp: number[];
  readonly push: number[];
}

/** Inserts `rows` copies of one action document (distinct ids) into `workspace`. */
async function fill(server: BenchServer, workspace: string, rows: number): Promise<void> {
  const [template] = pendingActions(1, { workspace_id: workspace, newest: Date.now(), seed: 7 });
  const doc = { ...template!, expires_at: Date.now() + 30 * 86_400_000 };
  for (let start = 0; start < rows; start += CHUNK) {
    const end = Math.min(rows, start + CHUNK);
    await server.sql.query(
      `INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, received_at)
       SELECT $1, $2, 'bulk-' || lpad(g::text, 8, '0'), $3::jsonb || jsonb_build_object('id', 'bulk-' || lpad(g::text, 8, '0')), false, $4
       FROM generate_series($5::int, $6::int - 1) AS g`,
      [COLLECTION, workspace, JSON.stringify(doc), Date.now(), start, end],
    );
  }
  await server.sql.query('VACUUM ANALYZE brain_store_documents');
}

async function timedFetch(url: string, token: string, path: string, body: unknown): Promise<{ ms: number; json: unknown }> {
  const start = performance.now();
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json: unknown = await response.json();
  const ms = performance.now() - start;
  if (!response.ok) throw new Error(`${path} ${response.status}: ${JSON.stringify(json).slice(0, 300)}`);
  return { ms, json };
}

export async function benchBigWorkspace(options: {
  readonly server: BenchServer;
  readonly sizes: readonly [number, number];
  readonly samples: number;
  readonly log: (message: string) => void;
}): Promise<WorkspaceFigures[]> {
  const { server } = options;
  const workspaces = options.sizes.map((size) => `w-${size}`);
  for (const [i, size] of options.sizes.entries()) {
    const start = performance.now();
    await fill(server, workspaces[i]!, size);
    options.log(`big workspace: ${size} rows inserted in ${round((performance.now() - start) / 1000, 1)} s`);
  }
  // Checkpoints: the first page's tells the snapshot the history is delivered toward.
  const positions = [];
  for (const [i, workspace] of workspaces.entries()) {
    const page = (
      await timedFetch(server.url, await server.token([workspace]), endpoints.pull(COLLECTION), { checkpoint: null, batchSize: PAGE })
    ).json as PullResponse;
    const upto = page.checkpoint!.upto!;
    const [middle] = await server.sql.query<{ xid: string; seq: string }>(
      `SELECT xid::text AS xid, seq::text AS seq FROM brain_store_documents WHERE collection = $1 AND workspace_id = $2 ORDER BY xid, seq OFFSET $3 LIMIT 1`,
      [COLLECTION, workspace, Math.floor(options.sizes[i]! / 2)],
    );
    const middlePosition: SyncCheckpoint = { ...page.checkpoint!, snap: EMPTY_SNAPSHOT, upto, tx: middle!.xid, seq: middle!.seq };
    const caughtUp: SyncCheckpoint = { ...page.checkpoint!, snap: upto, upto: null, tx: '0', seq: '0' };
    positions.push({ middlePosition, caughtUp });
  }
  const figures = options.sizes.map((rows) => ({
    rows,
    firstPage: [] as number[],
    middlePage: [] as number[],
    caughtUp: [] as number[],
    push: [] as number[],
  }));
  // A token per workspace: a pull reads every workspace the token names.
  const tokens = await Promise.all(workspaces.map((workspace) => server.token([workspace])));
  for (let sample = 0; sample < options.samples; sample++) {
    for (const [i, workspace] of workspaces.entries()) {
      const t = tokens[i]!;
      const pull = (checkpoint: SyncCheckpoint | null) =>
        timedFetch(server.url, t, endpoints.pull(COLLECTION), { checkpoint, batchSize: PAGE });
      const first = await pull(null);
      if ((first.json as PullResponse).documents.length !== PAGE) throw new Error('first page short');
      figures[i]!.firstPage.push(first.ms);
      const middle = await pull(positions[i]!.middlePosition);
      if ((middle.json as PullResponse).documents.length !== PAGE) throw new Error('middle page short');
      figures[i]!.middlePage.push(middle.ms);
      figures[i]!.caughtUp.push((await pull(positions[i]!.caughtUp)).ms);
      const [doc] = pendingActions(1, { workspace_id: workspace, newest: Date.now() - 1_000, seed: 1_000 + sample });
      const pushed = await timedFetch(server.url, t, endpoints.push(COLLECTION), {
        rows: [{ newDocumentState: { ...doc!, _deleted: false }, assumedMasterState: null }],
      });
      const answer = pushed.json as PushResponse;
      if (answer.conflicts.length + answer.rejected.length > 0) throw new Error(`push refused: ${JSON.stringify(answer).slice(0, 300)}`);
      figures[i]!.push.push(pushed.ms);
    }
  }
  return figures;
}

export const p = (samples: readonly number[], q: number) => round(percentile(samples, q), 2);
