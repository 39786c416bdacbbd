import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { startTestServer, type TestBackend, type TestServer } from '../../helpers/sync-server.ts';
import { action, client, T0 } from '../fixtures.ts';

/** Tokens, tenancy and rejected rows. */
export function tenancyContract(backend: TestBackend): void {
  describe('tokens and tenancy', () => {
    let server: TestServer;
    let w1: ReturnType<typeof client>;
    let w2: ReturnType<typeof client>;
    beforeAll(async () => {
      server = await startTestServer({ backend });
      w1 = client(server.url, await server.token(['w1']));
      w2 = client(server.url, await server.token(['w2']));
    });
    afterAll(() => server.close());
    beforeEach(() => server.reset());

    it('refuses missing, expired, forged and foreign tokens with 401 and a WireError', async () => {
      const key = new TextEncoder().encode(server.secret);
      const tokens: (string | undefined)[] = [
        undefined,
        'not-a-jwt',
        await createAccessToken({
          secret: server.secret,
          workspaces: ['w1'],
          ttlSeconds: 60,
          role: 'bot',
          now: () => Date.now() - 3_600_000,
        }),
        await createAccessToken({ secret: 'another-secret-of-enough-length', workspaces: ['w1'], ttlSeconds: 60, role: 'bot' }),
        // right key, wrong audience / issuer
        await new SignJWT({ workspaces: ['w1'], role: 'bot' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('brain-store')
          .setAudience('other')
          .setExpirationTime('1h')
          .sign(key),
        await new SignJWT({ workspaces: ['w1'], role: 'bot' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('other')
          .setAudience('brain-store-sync')
          .setExpirationTime('1h')
          .sign(key),
        // an unsigned token
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ workspaces: ['w1'], role: 'bot', iss: 'brain-store', aud: 'brain-store-sync', exp: 9e9 })).toString('base64url')}.`,
      ];
      for (const token of tokens) {
        const api = client(server.url, token);
        for (const response of [await api.pull('brainActions', null), await api.push('brainActions', [])]) {
          expect(response.status).toBe(401);
          expect(response.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
        }
      }
    });

    it('pulls only the token workspaces, the filter before the limit', async () => {
      const mine = action('w1');
      await w2.push(
        'brainActions',
        Array.from({ length: 5 }, () => ({ newDocumentState: action('w2') })),
      );
      await w1.push('brainActions', [{ newDocumentState: mine }]);
      const page = await w1.pull('brainActions', null, 1);
      expect(page.body.documents).toEqual([mine]);
      expect((await w2.pullAll('brainActions')).documents.every((doc) => doc['workspace_id'] === 'w2')).toBe(true);
      const both = client(server.url, await server.token(['w1', 'w2']));
      expect((await both.pullAll('brainActions', 2)).documents).toHaveLength(6);
    });

    it('treats one id in two workspaces as two documents, and leaks nothing across', async () => {
      const theirs = action('w2');
      await w2.push('brainActions', [{ newDocumentState: theirs }]);
      const mine = { ...theirs, workspace_id: 'w1' };
      expect((await w1.push('brainActions', [{ newDocumentState: mine }])).body).toEqual({ conflicts: [], rejected: [] });
      expect((await w2.pullAll('brainActions')).documents).toEqual([theirs]);
      // Writing into w2 with a w1 token: refused the same way whether the document exists or not.
      const existing = await w1.push('brainActions', [{ newDocumentState: { ...theirs, reason: 'x' }, assumedMasterState: theirs }]);
      const missing = await w1.push('brainActions', [{ newDocumentState: { ...action('w2'), id: theirs.id + '-none' } }]);
      expect(existing.body.rejected).toEqual([{ id: theirs.id, code: 'FORBIDDEN_WORKSPACE', message: expect.any(String), master: null }]);
      expect(missing.body.rejected[0]).toMatchObject({ code: 'FORBIDDEN_WORKSPACE', master: null });
      expect(existing.body.rejected[0]!.message).toBe(missing.body.rejected[0]!.message);
      expect((await w2.pullAll('brainActions')).documents).toEqual([theirs]);
    });

    it('rejects bad rows by name and writes the rest of the batch', async () => {
      const stored = action('w1');
      await w1.push('brainActions', [{ newDocumentState: stored }]);
      const good = action('w1');
      const rows = [
        { newDocumentState: good },
        { newDocumentState: action('w2') },
        { newDocumentState: { ...stored, priority: 101 }, assumedMasterState: stored },
        { newDocumentState: { ...stored, reason: 'nul \u0000 here' }, assumedMasterState: stored },
        { newDocumentState: { ...stored, workspace_id: 'w2' }, assumedMasterState: stored },
        { newDocumentState: { ...action('w1'), status: 'bogus' } },
      ];
      const { status, body } = await w1.push('brainActions', rows);
      expect(status).toBe(200);
      expect(body.conflicts).toEqual([]);
      expect(body.rejected.map((row) => [row.id, row.code])).toEqual([
        [rows[1]!.newDocumentState.id, 'FORBIDDEN_WORKSPACE'],
        [stored.id, 'VALIDATION'],
        [stored.id, 'VALIDATION'],
        [stored.id, 'IMMUTABLE_FIELD'],
        [rows[5]!.newDocumentState.id, 'VALIDATION'],
      ]);
      expect(body.rejected[0]!.master).toBeNull();
      expect(body.rejected[1]!.master).toEqual(stored);
      expect(body.rejected[1]!.issues).toEqual([expect.objectContaining({ path: ['priority'] })]);
      expect(body.rejected[2]!.issues![0]!.path).toEqual(['reason']);
      expect(body.rejected[3]!.master).toEqual(stored);
      expect(body.rejected[4]!.master).toBeNull();
      const pulled = await w1.pullAll('brainActions');
      expect(pulled.documents).toEqual([stored, good]);
    });

    it('validates invariants with the collection declaration (status_at of an expired action)', async () => {
      const doc = action('w1', { status: 'expired', status_at: T0 + 1 });
      expect((await w1.push('brainActions', [{ newDocumentState: doc }])).body.rejected[0]).toMatchObject({
        code: 'VALIDATION',
        issues: [expect.objectContaining({ path: ['status_at'] })],
      });
    });

    it('never lets __proto__ or constructor reach a prototype', async () => {
      const hostile = JSON.parse(
        `{"id":"p1","workspace_id":"w1","_deleted":false,"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`,
      ) as Record<string, unknown>;
      const { body } = await w1.push('brainActions', [{ newDocumentState: hostile }]);
      expect(body.rejected[0]).toMatchObject({ id: 'p1', code: 'VALIDATION' });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });
  });
}
