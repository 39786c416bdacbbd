import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { BrainStoreError } from '../../../src/errors/brain-store-error.ts';
import { TOKEN_AUDIENCE, TOKEN_ISSUER, createAccessToken } from '../../../src/server/auth/access-token.ts';
import { createTokenVerifier } from '../../../src/server/auth/create-token-verifier.ts';
import { DEFAULT_TOKEN_POLICY } from '../../../src/server/auth/token-policy.ts';
import { endpoints } from '../../../src/protocol/endpoints.ts';
import { startTestServer } from '../../helpers/sync-server.ts';

/**
 * Issue 23 §6: token policy. Before, a 100-year lifetime, an issued-at in the future, a
 * 12,000-character subject and `workspaces: []` were accepted, and ~1,300 workspaces gave a
 * bare 431. Now createAccessToken refuses them (CONFIG) and the verifier answers 400 with
 * the reason, for the server's HS256 tokens and an identity provider's alike.
 */
const secret = 'a-secret-of-enough-length';
const NOW = 1_750_000_000_000;
const DAY = 86_400;

/** An HS256 token as createAccessToken would make it, but with any claims (a hand-made or foreign mint). */
function handMade(claims: Record<string, unknown>, iat: number, exp: number): Promise<string> {
  return new SignJWT({ workspaces: ['w1'], role: 'bot', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

async function refusal(promise: Promise<unknown>): Promise<BrainStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BrainStoreError);
  return error as BrainStoreError;
}

const now = NOW / 1000;
const cases: [string, Record<string, unknown>, number, number, RegExp][] = [
  ['a 100-year lifetime', {}, now, now + 100 * 365 * DAY, /lives/],
  ['an issued-at an hour in the future', {}, now + 3_600, now + 7_200, /future/],
  ['no workspace', { workspaces: [] }, now, now + 3_600, /no workspace/],
  ['1,300 workspaces', { workspaces: Array.from({ length: 1_300 }, (_, i) => `w${i}`) }, now, now + 3_600, /1300 workspaces/],
  ['a 12,000-character subject', { sub: 'x'.repeat(12_000) }, now, now + 3_600, /subject/],
];

describe('token policy', () => {
  it.each([
    ['a lifetime over 30 days', { ttlSeconds: 31 * DAY }],
    ['no workspace', { workspaces: [] }],
    ['101 workspaces', { workspaces: Array.from({ length: 101 }, (_, i) => `w${i}`) }],
    ['a 257-character subject', { subject: 's'.repeat(257) }],
  ])('createAccessToken refuses %s with CONFIG', async (_label, over) => {
    const error = await refusal(createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 3_600, role: 'bot', now: () => NOW, ...over }));
    expect(error.code).toBe('CONFIG');
  });

  it('createAccessToken takes a longer lifetime when its policy allows it', async () => {
    await expect(
      createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 60 * DAY, role: 'bot', policy: { maxLifetimeSeconds: 90 * DAY } }),
    ).resolves.toMatch(/\./);
  });

  it.each(cases)('the HS256 verifier refuses %s with BAD_REQUEST naming the reason', async (_label, claims, iat, exp, reason) => {
    const verify = createTokenVerifier({ secret });
    const error = await refusal(verify(await handMade(claims, iat, exp), NOW));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(reason);
  });

  it('the HS256 verifier accepts a token within the policy, and a forged one stays 401', async () => {
    const verify = createTokenVerifier({ secret });
    await expect(verify(await handMade({}, now, now + 3_600), NOW)).resolves.toMatchObject({ role: 'bot' });
    const forged = (await handMade({}, now, now + 100 * 365 * DAY)).slice(0, -4) + 'AAAA';
    expect((await refusal(verify(forged, NOW))).code).toBe('UNAUTHORIZED');
  });

  it("the JWKS verifier applies the same policy to an identity provider's tokens", async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const dir = mkdtempSync(join(tmpdir(), 'jwks-policy-'));
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] }));
    const verify = createTokenVerifier({ jwks: { file }, issuer: 'https://idp.test/', audience: 'app' });
    const sign = (iat: number, exp: number) =>
      new SignJWT({ workspaces: ['w1'], role: 'member', sub: 'dana' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('https://idp.test/')
        .setAudience('app')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(privateKey);
    await expect(verify(await sign(now, now + 3_600), NOW)).resolves.toMatchObject({ subject: 'dana' });
    const error = await refusal(verify(await sign(now, now + DEFAULT_TOKEN_POLICY.maxLifetimeSeconds + DAY), NOW));
    expect(error.code).toBe('BAD_REQUEST');
  });

  it('a server answers a 100-year token 400 with the reason, on a real socket', async () => {
    const server = await startTestServer({ backend: 'pglite' });
    const token = await new SignJWT({ workspaces: ['w1'], role: 'bot' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('100y')
      .sign(new TextEncoder().encode(server.secret));
    const answer = await fetch(server.url + endpoints.session, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/token is refused: the token lives/);
    await server.close();
  }, 60_000);
});
