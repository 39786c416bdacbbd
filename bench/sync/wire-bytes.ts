/**
 * Bytes on the wire for the initial pull of 100k actions (issue 10 item 4): the server's
 * pull endpoint page by page over a raw HTTP client (so nothing decompresses behind our
 * back), once with `accept-encoding: gzip` and once with `identity`, in the same run.
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { BenchContext, BenchRow } from '../lib/bench-module.ts';
import { info, judged } from '../lib/bench-module.ts';
import { pendingActions } from '../lib/fixtures.ts';
import { loadNote } from '../lib/load-note.ts';
import { round } from '../lib/stats.ts';
import type { BenchServer } from '../lib/sync-server.ts';
import { endpoints } from '../../src/protocol/endpoints.ts';
import type { PullResponse, SyncCheckpoint } from '../../src/protocol/messages.ts';
import { insertRows } from './server-rows.ts';

const WORKSPACE = 'w-bytes';
const PAGE = 5_000;

function post(url: string, token: string, body: string, encoding: string): Promise<{ bytes: number; body: Buffer; encoding: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': encoding } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          resolve({ bytes: raw.length, body: raw, encoding: String(res.headers['content-encoding'] ?? 'identity') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function pullAll(server: BenchServer, token: string, encoding: string) {
  let checkpoint: SyncCheckpoint | null = null;
  let bytes = 0;
  let docs = 0;
  let used = '';
  const start = performance.now();
  for (;;) {
    const response = await post(
      server.url + endpoints.pull('brainActions'),
      token,
      JSON.stringify({ checkpoint, batchSize: PAGE }),
      encoding,
    );
    bytes += response.bytes;
    used = response.encoding;
    const page = JSON.parse((response.encoding === 'gzip' ? gunzipSync(response.body) : response.body).toString('utf8')) as PullResponse;
    docs += page.documents.length;
    checkpoint = page.checkpoint;
    if (page.documents.length < PAGE) break;
  }
  return { bytes, docs, encoding: used, ms: performance.now() - start };
}

export async function benchWireBytes(context: BenchContext, server: BenchServer): Promise<BenchRow[]> {
  const size = context.scale(100_000, 5_000);
  await insertRows(
    server.sql,
    'brainActions',
    pendingActions(size, { workspace_id: WORKSPACE, newest: Date.now() - 60_000, seed: 17 }),
    5_000,
  );
  const token = await server.token([WORKSPACE]);
  const plain = await pullAll(server, token, 'identity');
  const gzip = await pullAll(server, token, 'gzip');
  if (plain.docs !== size || gzip.docs !== size) throw new Error(`pulled ${plain.docs} / ${gzip.docs} of ${size} documents`);
  const subject = server.backend;
  const ratio = round(plain.bytes / gzip.bytes, 2);
  const note =
    `${size} actions in pages of ${PAGE} over raw HTTP; identity ${round(plain.bytes / 1e6, 2)} MB in ${round(plain.ms, 0)} ms, ` +
    `${gzip.encoding} ${round(gzip.bytes / 1e6, 2)} MB in ${round(gzip.ms, 0)} ms (loopback: compression costs server CPU and saves nothing in time here; it pays on real networks)` +
    loadNote();
  return [
    info({
      id: `bytes.${subject}.identity`,
      name: `initial pull of ${size / 1000}k, bytes on the wire, uncompressed`,
      subject,
      value: plain.bytes,
      unit: 'B',
      note,
    }),
    info({
      id: `bytes.${subject}.gzip`,
      name: `initial pull of ${size / 1000}k, bytes on the wire, gzip`,
      subject,
      value: gzip.bytes,
      unit: 'B',
      note,
    }),
    judged({
      id: `bytes.${subject}.ratio`,
      name: 'initial pull bytes, uncompressed / gzip',
      subject,
      value: ratio,
      unit: '×',
      target: { op: '>=', value: 3 },
      note: 'target ours (the issue asks for the figures, not a ratio)',
    }),
  ];
}
