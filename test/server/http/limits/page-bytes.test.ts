import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_HEADER, endpoints } from '../../../../src/protocol/endpoints.ts';
import type { PullResponse, SyncCheckpoint, WireDocument } from '../../../../src/protocol/messages.ts';
import { DEFAULT_LIMITS } from '../../../../src/server/http/limits/server-limits.ts';
import { startTestServer, syncBackends, type TestServer } from '../../../helpers/sync-server.ts';
import { T0, client } from '../../fixtures.ts';
import { largeSummary } from './large-documents.ts';

/**
 * Issue 23 §3: a pull page stops at a byte budget whatever its batchSize. Measured before:
 * 120 summaries at the schema's limits made one pull of batchSize 1000 answer 120 MB.
 */
const COUNT = 8;
const MB = 1024 * 1024;

describe.each(await syncBackends())('pull pages bounded in bytes on %s', (backend) => {
  let server: TestServer;
  let token: string;
  let written: WireDocument[];
  beforeAll(async () => {
    server = await startTestServer({ backend, rateLimit: false });
    token = await server.token(['pages']);
    written = Array.from({ length: COUNT }, (_, i) => largeSummary(`big-${String(i).padStart(3, '0')}`, 'pages', T0 + i));
    const api = client(server.url, token);
    // Five ~1 MB rows per push keeps each body under the 8 MiB limit.
    const started = Date.now();
    for (let i = 0; i < COUNT; i += 5) {
      const { status, body } = await api.push(
        'brainSummaries',
        written.slice(i, i + 5).map((doc) => ({ newDocumentState: doc })),
      );
      expect(status, JSON.stringify(body).slice(0, 300)).toBe(200);
    }
    console.info(`[page-bytes] ${backend}: pushed ${COUNT} large summaries in ${Date.now() - started} ms`);
  }, 120_000);
  afterAll(() => server.close());

  async function pullEverything(url: string, batchSize: number) {
    const pages: { count: number; bytes: number; more: boolean }[] = [];
    const documents: WireDocument[] = [];
    let checkpoint: SyncCheckpoint | null = null;
    for (let round = 0; round < 100; round++) {
      const response = await fetch(url + endpoints.pull('brainSummaries'), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'identity' },
        body: JSON.stringify({ checkpoint, batchSize }),
      });
      const text = await response.text();
      expect(response.status, text.slice(0, 300)).toBe(200);
      const body = JSON.parse(text) as PullResponse;
      if (body.documents.length === 0) break;
      pages.push({ count: body.documents.length, bytes: Buffer.byteLength(text), more: body.more === true });
      documents.push(...body.documents);
      checkpoint = body.checkpoint;
    }
    return { pages, documents };
  }

  it(`answers a pull of batchSize 5000 over ${COUNT} summaries at the schema's limits in pages of at most the budget plus one document`, async () => {
    const docBytes = Buffer.byteLength(JSON.stringify(written[0]));
    expect(docBytes).toBeGreaterThan(1_000_000);
    const { pages, documents } = await pullEverything(server.url, 5_000);
    console.info(
      `[page-bytes] ${backend}: ${COUNT} docs of ${(docBytes / MB).toFixed(2)} MB in pages ${JSON.stringify(pages.map((p) => [p.count, +(p.bytes / MB).toFixed(2)]))}`,
    );
    for (const page of pages) expect(page.bytes).toBeLessThan(DEFAULT_LIMITS.maxPageBytes + docBytes + 64 * 1024);
    expect(pages.length).toBeGreaterThan(1);
    // Every cut page says so: a page shorter than batchSize without `more` means caught up.
    expect(pages.slice(0, -1).every((page) => page.more)).toBe(true);
    expect(pages.at(-1)!.more).toBe(false);
    expect(documents.map((doc) => doc.id)).toEqual(written.map((doc) => doc.id));
    expect(documents[3]).toEqual(written[3]);
  }, 120_000);

  it('sends a document larger than the budget alone, one per page, skipping none', async () => {
    const small = await startTestServer({ backend, rateLimit: false, limits: { maxPageBytes: 64 * 1024 } });
    const answer = await fetch(small.url + endpoints.session, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.headers.get(MAX_BODY_HEADER)).toBe(String(DEFAULT_LIMITS.maxBodyBytes));
    const { pages, documents } = await pullEverything(small.url, 1_000);
    expect(pages.map((page) => page.count)).toEqual(written.map(() => 1));
    expect(documents.map((doc) => doc.id)).toEqual(written.map((doc) => doc.id));
    await small.close();
  }, 120_000);
});
