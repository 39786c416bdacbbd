import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { action, client } from '../fixtures.ts';

/** Concurrent pushes of one document through two instances serialize per document. */
export function concurrencyContract(backend: TestBackend): void {
  describe('concurrent pushes', () => {
    let a: TestServer;
    let b: TestServer;
    let apis: ReturnType<typeof client>[];
    beforeAll(async () => {
      a = await startTestServer({ backend });
      b = await startTestServer({ backend });
      const token = await a.token(['w1']);
      apis = [client(a.url, token), client(b.url, token)];
    });
    afterAll(async () => {
      await a.close();
      await b.close();
    });
    beforeEach(() => a.reset());

    it('one of many updates from the same assumed state wins; every other one gets the winner as conflict', async () => {
      const doc = action('w1');
      await apis[0]!.push('brainActions', [{ newDocumentState: doc }]);
      const edits = Array.from({ length: 10 }, (_, index) => ({ ...doc, reason: `edit ${index}` }));
      const responses = await Promise.all(
        edits.map((edit, index) => apis[index % 2]!.push('brainActions', [{ newDocumentState: edit, assumedMasterState: doc }])),
      );
      const winners = responses.filter((response) => response.body.conflicts.length === 0);
      expect(winners).toHaveLength(1);
      const [stored] = (await apis[0]!.pullAll('brainActions')).documents;
      for (const response of responses) if (response.body.conflicts.length > 0) expect(response.body.conflicts).toEqual([stored]);
    });

    it('one of many inserts of a new id wins, also within batches racing on overlapping ids', async () => {
      const base = Array.from({ length: 20 }, () => action('w1'));
      const variants = [0, 1, 2, 3].map((variant) => base.map((doc) => ({ ...doc, reason: `variant ${variant}` })));
      // Opposite orders in alternate batches: locks are still taken in key order, so no deadlock.
      const responses = await Promise.all(
        variants.map((docs, index) =>
          apis[index % 2]!.push(
            'brainActions',
            (index % 2 ? [...docs].reverse() : docs).map((doc) => ({ newDocumentState: doc })),
          ),
        ),
      );
      for (const response of responses) expect(response.status).toBe(200);
      const { documents } = await apis[1]!.pullAll('brainActions');
      expect(documents).toHaveLength(20);
      const conflicts = responses.reduce((sum, response) => sum + response.body.conflicts.length, 0);
      expect(conflicts).toBe(60);
    });
  });
}
