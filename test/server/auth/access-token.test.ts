import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { isBrainStoreError } from '../../../src/errors/brain-store-error.ts';
import {
  createAccessToken,
  secretKey,
  type CreateAccessTokenOptions,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  verifyAccessToken,
} from '../../../src/server/auth/access-token.ts';

const secret = 'a-test-secret-long-enough';
const key = secretKey(secret);
const now = 1_700_000_000_000;

async function refused(token: string, at = now): Promise<boolean> {
  return verifyAccessToken(token, key, at).then(
    () => false,
    (error: unknown) => isBrainStoreError(error, 'UNAUTHORIZED'),
  );
}

describe('access tokens', () => {
  it('round-trips the workspaces and the expiry', async () => {
    const token = await createAccessToken({
      secret,
      workspaces: ['w1', 'w2'],
      ttlSeconds: 60,
      role: 'bot',
      subject: 'bot',
      now: () => now,
    });
    const claims = await verifyAccessToken(token, key, now + 59_000);
    expect([...claims.workspaces]).toEqual(['w1', 'w2']);
    expect(claims.expiresAt).toBe(now + 60_000);
    expect(claims.subject).toBe('bot');
    expect(await refused(token, now + 61_000)).toBe(true);
  });

  it('pins the algorithm, issuer and audience, and needs the workspaces claim', async () => {
    const sign = (alg: string, claims: Record<string, unknown>, iss = TOKEN_ISSUER, aud = TOKEN_AUDIENCE) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg })
        .setIssuer(iss)
        .setAudience(aud)
        .setExpirationTime(now / 1000 + 60)
        .sign(key);
    expect(await refused(await sign('HS512', { workspaces: ['w1'], role: 'bot' }))).toBe(true);
    expect(await refused(await sign('HS256', { workspaces: ['w1'], role: 'bot' }, 'x'))).toBe(true);
    expect(await refused(await sign('HS256', { workspaces: ['w1'], role: 'bot' }, TOKEN_ISSUER, 'x'))).toBe(true);
    expect(await refused(await sign('HS256', {}))).toBe(true);
    expect(await refused(await sign('HS256', { workspaces: 'w1' }))).toBe(true);
    expect(await refused(await sign('HS256', { workspaces: [1] }))).toBe(true);
    expect(await refused(await sign('HS256', { workspaces: ['w1'], role: 'bot' }))).toBe(false);
  });

  it('needs a known role, and a subject for members (issue 9)', async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setExpirationTime(now / 1000 + 60)
        .sign(key);
    expect(await refused(await sign({ workspaces: ['w1'] }))).toBe(true);
    expect(await refused(await sign({ workspaces: ['w1'], role: 'admin' }))).toBe(true);
    expect(await refused(await sign({ workspaces: ['w1'], role: 'member' }))).toBe(true);
    expect(await refused(await sign({ workspaces: ['w1'], role: 'member', sub: 'dana' }))).toBe(false);
    const member = await createAccessToken({ secret, workspaces: ['w1'], ttlSeconds: 60, role: 'member', subject: 'dana', now: () => now });
    expect(await verifyAccessToken(member, key, now)).toMatchObject({ role: 'member', subject: 'dana' });
  });

  it('refuses bad options with CONFIG', async () => {
    for (const options of [
      { secret: 'short', workspaces: ['w1'], ttlSeconds: 60, role: 'bot' },
      { secret, workspaces: [], ttlSeconds: 60, role: 'bot' },
      { secret, workspaces: [''], ttlSeconds: 60, role: 'bot' },
      { secret, workspaces: ['w1'], ttlSeconds: 0, role: 'bot' },
      { secret, workspaces: ['w1'], ttlSeconds: 60 },
      { secret, workspaces: ['w1'], ttlSeconds: 60, role: 'admin' },
      { secret, workspaces: ['w1'], ttlSeconds: 60, role: 'member' },
      { secret, workspaces: ['w1'], ttlSeconds: 60, role: 'member', subject: '' },
    ]) {
      await expect(createAccessToken(options as CreateAccessTokenOptions)).rejects.toSatisfy((error: unknown) =>
        isBrainStoreError(error, 'CONFIG'),
      );
    }
  });
});
