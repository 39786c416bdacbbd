import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBrainStoreError } from '../../../src/errors/brain-store-error.ts';
import { createTokenVerifier, type TokenVerifier } from '../../../src/server/auth/create-token-verifier.ts';
import { createAccessToken } from '../../../src/server/auth/access-token.ts';
import { endpoints } from '../../../src/protocol/endpoints.ts';
import { startTestServer } from '../../helpers/sync-server.ts';

const ISSUER = 'https://login.example.test/';
const AUDIENCE = 'brain-store';
const CLAIMS = { workspaces: 'https://example.test/workspaces', role: 'https://example.test/brain_role', subject: 'email' };

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256' | 'EdDSA';
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An identity provider's token: its own claim names, signed with one of its keys. */
function idpToken(key: SigningKey, claims: Record<string, unknown> = {}, audience = AUDIENCE): Promise<string> {
  return new SignJWT({ [CLAIMS.workspaces]: ['w1'], [CLAIMS.role]: 'member', email: 'dana@example.test', ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setExpirationTime('1h')
    .sign(key.privateKey);
}

async function unauthorized(verify: TokenVerifier, token: string): Promise<boolean> {
  return verify(token, Date.now()).then(
    () => false,
    (error: unknown) => isBrainStoreError(error, 'UNAUTHORIZED'),
  );
}

describe('tokens from an identity provider, verified against its JWKS (issue 9.7)', () => {
  const served: { keys: JWK[] } = { keys: [] };
  let fetches = 0;
  let jwksServer: Server;
  let url = '';
  beforeAll(async () => {
    jwksServer = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  it('verifies RS256, ES256 and EdDSA tokens with configured claim names, follows a key rotation, refuses an unknown key', async () => {
    const keys = [await signingKey('rsa-1', 'RS256'), await signingKey('ec-1', 'ES256'), await signingKey('ed-1', 'EdDSA')];
    served.keys = keys.map((key) => key.jwk);
    const verify = createTokenVerifier({ jwks: { url, cooldownMs: 0 }, issuer: ISSUER, audience: AUDIENCE, claims: CLAIMS });
    for (const key of keys) {
      const claims = await verify(await idpToken(key), Date.now());
      expect(claims).toMatchObject({ role: 'member', subject: 'dana@example.test' });
      expect([...claims.workspaces]).toEqual(['w1']);
    }
    // Rotation: the provider publishes a new key; a token signed with it is accepted after a refetch.
    const rotated = await signingKey('rsa-2', 'RS256');
    served.keys = [rotated.jwk];
    const before = fetches;
    expect((await verify(await idpToken(rotated, { [CLAIMS.role]: 'bot' }), Date.now())).role).toBe('bot');
    expect(fetches).toBeGreaterThan(before);
    // A key the provider never published, a wrong audience, a missing or unknown role: refused.
    const stranger = await signingKey('rsa-2', 'RS256');
    expect(await unauthorized(verify, await idpToken(stranger))).toBe(true);
    expect(await unauthorized(verify, await idpToken(rotated, {}, 'another-app'))).toBe(true);
    expect(await unauthorized(verify, await idpToken(rotated, { [CLAIMS.role]: undefined }))).toBe(true);
    expect(await unauthorized(verify, await idpToken(rotated, { [CLAIMS.role]: 'admin' }))).toBe(true);
    expect(await unauthorized(verify, await idpToken(rotated, { email: undefined }))).toBe(true);
  });

  it('a JWKS from a file, re-read when a token names a key it does not hold', async () => {
    const first = await signingKey('file-1', 'ES256');
    const file = join(mkdtempSync(join(tmpdir(), 'brain-store-jwks-')), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [first.jwk] }));
    const verify = createTokenVerifier({ jwks: { file, cooldownMs: 0 }, issuer: ISSUER, audience: AUDIENCE, claims: CLAIMS });
    expect((await verify(await idpToken(first), Date.now())).subject).toBe('dana@example.test');
    const second = await signingKey('file-2', 'EdDSA');
    expect(await unauthorized(verify, await idpToken(second))).toBe(true);
    writeFileSync(file, JSON.stringify({ keys: [first.jwk, second.jwk] }));
    expect((await verify(await idpToken(second), Date.now())).role).toBe('member');
  });

  it('refuses a configuration without issuer and audience, and an HS256 token when only a JWKS is configured', async () => {
    expect(() => createTokenVerifier({ jwks: { url } })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => createTokenVerifier({})).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    const verify = createTokenVerifier({ jwks: { url, cooldownMs: 0 }, issuer: ISSUER, audience: AUDIENCE, claims: CLAIMS });
    const own = await createAccessToken({ secret: 'a-secret-long-enough-here', workspaces: ['w1'], ttlSeconds: 60, role: 'bot' });
    expect(await unauthorized(verify, own)).toBe(true);
  });

  it('a sync server with both its own secret and a JWKS answers /sync/session for either kind of token', async () => {
    const key = await signingKey('srv-1', 'EdDSA');
    served.keys = [key.jwk];
    const server = await startTestServer({
      backend: 'pglite',
      auth: { jwks: { url, cooldownMs: 0 }, issuer: ISSUER, audience: AUDIENCE, claims: CLAIMS },
    });
    const session = async (token: string) =>
      (await fetch(server.url + endpoints.session, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<unknown>;
    expect(await session(await idpToken(key))).toEqual({
      subject: 'dana@example.test',
      role: 'member',
      workspaces: ['w1'],
      expiresAt: expect.any(Number),
    });
    expect(await session(await server.token(['w2']))).toMatchObject({ role: 'bot', workspaces: ['w2'] });
    await server.close();
  });
});
