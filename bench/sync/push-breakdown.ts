/**
 * Server-side breakdown of a push of 10k bot writes (issue 10 item 3), per batch of 1,000:
 * the steps handlePush takes, run in this process on the server's own functions, each timed
 * with performance.now (wall) and process.cpuUsage (this process's CPU, user + system):
 * body parse, shape check, unsafe-text scan, schema validation (zod + invariants), the whole
 * per-row check, the transaction (statements counted and timed by the bench meter), the
 * response's JSON and the audit log line (pino to /dev/null, as at level info).
 *
 *   npx tsx bench/sync/push-breakdown.ts [pglite|postgres] …   (BREAKDOWN_RUNS=3)
 */
import { open } from 'node:fs/promises';
import pino from 'pino';
import { DEFAULT_TIME_ALLOWANCE } from '../../src/collections/write-rules.ts';
import { checkPushRow } from '../../src/server/documents/check-push-row.ts';
import { findUnsafeText } from '../../src/server/documents/find-unsafe-text.ts';
import { hostedCollections } from '../../src/server/documents/hosted-collections.ts';
import { pushDocuments } from '../../src/server/documents/push-documents.ts';
import { isPushBody } from '../../src/server/http/handle-push.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { meteredDatabase, SqlMeter, startBenchServer, type ServerBackend } from '../lib/sync-server.ts';
import { clearWorkspace, countRows } from './server-rows.ts';
import { cpuSince, databaseCpu } from './database-cpu.ts';

const WORKSPACE = 'w-push';
const SIZE = 10_000;
const BATCH = 1_000;

type Phase = 'parse' | 'shape' | 'unsafe' | 'validate' | 'checkRows' | 'transaction' | 'response' | 'audit';
const PHASES: Phase[] = ['parse', 'shape', 'unsafe', 'validate', 'checkRows', 'transaction', 'response', 'audit'];

async function timed<T>(totals: Map<Phase, { wall: number; cpu: number }>, phase: Phase, work: () => T | Promise<T>): Promise<T> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await work();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const entry = totals.get(phase) ?? { wall: 0, cpu: 0 };
  entry.wall += wall;
  entry.cpu += (used.user + used.system) / 1000;
  totals.set(phase, entry);
  return result;
}

async function run(backend: ServerBackend, runs: number): Promise<void> {
  const server = await startBenchServer(backend);
  const devnull = await open('/dev/null', 'w');
  const logger = pino({ level: 'info' }, pino.destination({ fd: devnull.fd, sync: true }));
  try {
    const collection = hostedCollections().get('brainActions')!;
    const docs = pendingActions(SIZE, { workspace_id: WORKSPACE, newest: Date.now() - 60_000, seed: 21 });
    const bodies: string[] = [];
    for (let at = 0; at < SIZE; at += BATCH) {
      const rows = docs.slice(at, at + BATCH).map((doc) => ({ newDocumentState: { ...doc, _deleted: false }, assumedMasterState: null }));
      bodies.push(JSON.stringify({ rows }));
    }
    const workspaces = new Set([WORKSPACE]);
    for (let round = 0; round <= runs; round++) {
      const meter = new SqlMeter();
      const db = meteredDatabase(server.sql, meter);
      const totals = new Map<Phase, { wall: number; cpu: number }>();
      const cpuStart = process.cpuUsage();
      const databaseStart = await databaseCpu(server.sql);
      const start = performance.now();
      for (const text of bodies) {
        const body = await timed(totals, 'parse', () => JSON.parse(text) as { rows: never[] });
        await timed(totals, 'shape', () => isPushBody(body, 'id'));
        // The scan and the schema check alone (the per-row check below runs them again).
        await timed(totals, 'unsafe', () =>
          body.rows.forEach((row: { newDocumentState: unknown }) => findUnsafeText(row.newDocumentState)),
        );
        await timed(totals, 'validate', () =>
          body.rows.forEach((row: { newDocumentState: Record<string, unknown> }) => {
            const { _deleted, ...doc } = row.newDocumentState;
            collection.validate(doc);
          }),
        );
        await timed(totals, 'checkRows', () => body.rows.map((row, index) => checkPushRow(collection, workspaces, row, index)));
        const outcome = await timed(totals, 'transaction', () =>
          pushDocuments(db, {
            collection,
            workspaces,
            rows: body.rows,
            now: Date.now(),
            judge: { writer: { role: 'bot', subject: 'bench-bot' }, allowance: DEFAULT_TIME_ALLOWANCE },
            origin: 'bench',
          }),
        );
        await timed(totals, 'response', () => JSON.stringify({ conflicts: outcome.conflicts, rejected: outcome.rejected }));
        await timed(totals, 'audit', () =>
          logger.info({ collection: collection.name, subject: 'bench-bot', role: 'bot', writes: outcome.writes }, 'push rows written'),
        );
      }
      const wall = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      const databaseMs = cpuSince(databaseStart, await databaseCpu(server.sql));
      const count = await countRows(server.sql, 'brainActions', WORKSPACE);
      if (count !== SIZE) throw new Error(`pushed ${count} rows, expected ${SIZE}`);
      await clearWorkspace(server.sql, 'brainActions', WORKSPACE);
      if (round === 0) continue; // warm-up
      const batches = bodies.length;
      const per = (ms: number) => (ms / batches).toFixed(2);
      const lines = PHASES.map((phase) => {
        const entry = totals.get(phase) ?? { wall: 0, cpu: 0 };
        return `  ${phase.padEnd(12)} wall ${per(entry.wall).padStart(7)} ms  cpu ${per(entry.cpu).padStart(7)} ms  per batch`;
      });
      const snapshot = meter.snapshot();
      const statements = Object.entries(snapshot.byStatement)
        .map(([label, { count: n, ms }]) => `${label}: ${(n / batches).toFixed(1)}/batch ${(ms / batches).toFixed(2)} ms`)
        .join('; ');
      console.log(
        `${backend} run ${round}: ${SIZE} rows in ${batches} batches: wall ${wall.toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms` +
          (databaseMs === null ? '' : `, PostgreSQL backends ${databaseMs.toFixed(0)} ms`) +
          ` (unsafe + validate are also inside checkRows; the totals count them twice)\n${lines.join('\n')}\n` +
          `  statements ${(snapshot.statements / batches).toFixed(1)}/batch, in SQL ${per(snapshot.queryMs)} ms/batch, transaction ${per(snapshot.transactionMs)} ms/batch: ${statements}`,
      );
    }
  } finally {
    await devnull.close();
    await server.close();
  }
}

const backends = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['pglite', 'postgres']) as ServerBackend[];
const runs = Number(process.env['BREAKDOWN_RUNS'] ?? 3);
for (const backend of backends) await run(backend, runs);
