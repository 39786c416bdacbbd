import pg from 'pg';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { WITHHELD_HEADER } from '../../src/server/http/handle-pull.ts';
import { describeOnPostgres, startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { action, client, openStream } from './fixtures.ts';

/**
 * Issue 3 item 2: sequence numbers are assigned before commit, so rows become visible out
 * of order. A slow transaction holds a lower sequence while faster ones commit through two
 * server instances; the puller must still end with every document.
 */
await describeOnPostgres('checkpoint race on PostgreSQL', () => {
  let a: TestServer;
  let b: TestServer;
  let slow: pg.Client;
  beforeAll(async () => {
    a = await startTestServer({ backend: 'postgres' });
    b = await startTestServer({ backend: 'postgres' });
    slow = new pg.Client({ connectionString: a.databaseUrl });
    await slow.connect();
  });
  // A failed test must not leave the raw transaction open for the next one.
  beforeEach(() => slow.query('ROLLBACK'));
  afterAll(async () => {
    await slow.end();
    await a.close();
    await b.close();
  });

  /** Writes a document in an open transaction on a raw connection, as a slow server would. */
  async function beginSlowWrite(doc: Record<string, unknown>): Promise<string> {
    const { _deleted, id, workspace_id, ...rest } = doc;
    await slow.query('BEGIN');
    const { rows } = await slow.query<{ seq: string }>(
      `INSERT INTO brain_store_documents (collection, workspace_id, id, doc, deleted, received_at)
       VALUES ('brainActions', $1, $2, $3, false, 0) RETURNING seq::text AS seq`,
      [workspace_id, id, JSON.stringify({ id, workspace_id, ...rest })],
    );
    return rows[0]!.seq;
  }

  it('never skips a row committed after rows with higher sequences (two instances)', async () => {
    await a.reset();
    const token = await a.token(['w1']);
    const puller = client(a.url, token);
    const writer = client(b.url, token);
    const slowDoc = action('w1');
    const slowSeq = await beginSlowWrite(slowDoc);

    const fast = Array.from({ length: 20 }, () => action('w1'));
    for (const doc of fast) expect((await writer.push('brainActions', [{ newDocumentState: doc }])).status).toBe(200);
    // The race is real: rows with higher sequences are committed and visible while the slow one is not.
    const visible = await a.sql.query<{ seq: string }>(`SELECT seq::text AS seq FROM brain_store_documents ORDER BY seq DESC LIMIT 1`);
    expect(BigInt(visible[0]!.seq)).toBeGreaterThan(BigInt(slowSeq));
    // A pull now must not hand out a checkpoint past the slow row.
    const early = await puller.pull('brainActions', null, 7);
    expect(early.body.documents).toEqual([]);
    expect(early.headers.get(WITHHELD_HEADER)).toBe('1');

    await slow.query('COMMIT');
    const rest = await puller.pullAll('brainActions', 7, early.body.checkpoint);
    expect(new Set(rest.documents.map((doc) => doc.id))).toEqual(new Set([slowDoc, ...fast].map((doc) => doc.id)));
    expect(rest.documents).toHaveLength(21);
  });

  it('a puller polling during 8 concurrent writers over two instances ends with every document', async () => {
    await a.reset();
    const token = await a.token(['w1', 'w2']);
    const instances = [client(a.url, token), client(b.url, token)];
    const written: string[] = [];
    let writing = true;
    const writers = Array.from({ length: 8 }, async (_, writerIndex) => {
      for (let round = 0; round < 15; round++) {
        const docs = Array.from({ length: 1 + ((writerIndex + round) % 4) }, () => action(round % 2 ? 'w1' : 'w2'));
        const response = await instances[(writerIndex + round) % 2]!.push(
          'brainActions',
          docs.map((doc) => ({ newDocumentState: doc })),
        );
        expect(response.body).toEqual({ conflicts: [], rejected: [] });
        written.push(...docs.map((doc) => doc.id));
      }
    });
    // Slow raw transactions interleaved with the writers, each holding a low xid for a while.
    const slowWriters = (async () => {
      for (let index = 0; index < 5; index++) {
        const doc = action('w1');
        await beginSlowWrite(doc);
        await new Promise((resolve) => setTimeout(resolve, 30));
        await slow.query('COMMIT');
        written.push(doc.id);
      }
    })();
    const seen = new Map<string, number>();
    let checkpoint = null;
    const puller = (async () => {
      while (writing) {
        const page = await instances[0]!.pullAll('brainActions', 5, checkpoint);
        for (const doc of page.documents) seen.set(doc.id, (seen.get(doc.id) ?? 0) + 1);
        checkpoint = page.checkpoint;
      }
    })();
    await Promise.all([...writers, slowWriters]);
    writing = false;
    await puller;
    const last = await instances[1]!.pullAll('brainActions', 50, checkpoint);
    for (const doc of last.documents) seen.set(doc.id, (seen.get(doc.id) ?? 0) + 1);
    expect(written.length).toBeGreaterThan(200);
    expect([...seen.keys()].sort()).toEqual([...written].sort());
    // Each document was inserted once and never changed, so it is pulled exactly once.
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
  });

  it('re-pokes a stream on another instance when withheld rows become visible without a notice (a rollback)', async () => {
    await a.reset();
    const token = await a.token(['w1']);
    // stream on b, pulls on a: the re-poke must cross instances
    const stream = await openStream(b.url, 'brainActions', token);
    await stream.next('RESYNC');
    await beginSlowWrite(action('w1'));
    const doc = action('w1');
    await client(b.url, token).push('brainActions', [{ newDocumentState: doc }]);
    await stream.next('CHANGE');
    const puller = client(a.url, token);
    const withheld = await puller.pull('brainActions', null);
    expect(withheld.body.documents).toEqual([]);
    await slow.query('ROLLBACK'); // no NOTIFY: only the server's re-poke can wake the client
    await stream.next('CHANGE');
    expect((await puller.pullAll('brainActions', 10, withheld.body.checkpoint)).documents).toEqual([doc]);
    await stream.close();
  });
});
