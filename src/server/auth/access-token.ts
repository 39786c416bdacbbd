import { SignJWT, jwtVerify } from 'jose';
import { BrainStoreError } from '../../errors/brain-store-error.ts';

/** Pinned on signing and on verification: a token minted for anything else is refused. */
export const TOKEN_ISSUER = 'brain-store';
export const TOKEN_AUDIENCE = 'brain-store-sync';
const ALGORITHM = 'HS256';
/** HS256 keys shorter than this are guessable; refuse them at configuration time. */
export const MIN_SECRET_LENGTH = 16;

export interface CreateAccessTokenOptions {
  readonly secret: string;
  /** The workspaces the bearer may read and write. */
  readonly workspaces: readonly string[];
  readonly ttlSeconds: number;
  /** Optional subject (who the token is for), shown in server logs. */
  readonly subject?: string;
  /** Injectable clock (epoch ms); the token's iat/exp derive from it. */
  readonly now?: () => number;
}

export interface AccessClaims {
  readonly workspaces: ReadonlySet<string>;
  /** Expiry, epoch ms. */
  readonly expiresAt: number;
  readonly subject: string | undefined;
}

export function secretKey(secret: string): Uint8Array {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new BrainStoreError('CONFIG', {
      parameters: { authSecret: `at least ${MIN_SECRET_LENGTH} characters` },
      message: `the auth secret must be at least ${MIN_SECRET_LENGTH} characters`,
    });
  }
  return new TextEncoder().encode(secret);
}

/**
 * Signs an access token (JWT, HS256) granting `workspaces` for `ttlSeconds`.
 *
 * @example
 * const token = await createAccessToken({ secret: process.env.BRAIN_STORE_SECRET!, workspaces: ['w1'], ttlSeconds: 3600 });
 * replicateBrainStore(store, { url, token });
 */
export async function createAccessToken(options: CreateAccessTokenOptions): Promise<string> {
  const workspaces = [...options.workspaces];
  if (workspaces.length === 0 || workspaces.some((ws) => typeof ws !== 'string' || ws.length === 0)) {
    throw new BrainStoreError('CONFIG', { parameters: { workspaces }, message: 'workspaces must be non-empty strings' });
  }
  if (!Number.isFinite(options.ttlSeconds) || options.ttlSeconds <= 0) {
    throw new BrainStoreError('CONFIG', { parameters: { ttlSeconds: options.ttlSeconds }, message: 'ttlSeconds must be positive' });
  }
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const jwt = new SignJWT({ workspaces })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + Math.ceil(options.ttlSeconds));
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  return jwt.sign(secretKey(options.secret));
}

/**
 * Verifies a token: signature, algorithm, issuer, audience, expiry (against `now`) and the
 * shape of the workspaces claim. Throws UNAUTHORIZED (never saying which check failed).
 */
export async function verifyAccessToken(token: string, key: Uint8Array, now: number): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'workspaces'],
    });
    const workspaces = payload['workspaces'];
    if (!Array.isArray(workspaces) || !workspaces.every((ws): ws is string => typeof ws === 'string') || payload.exp === undefined) {
      throw new Error('bad workspaces claim');
    }
    return { workspaces: new Set(workspaces), expiresAt: payload.exp * 1000, subject: payload.sub };
  } catch (cause) {
    throw new BrainStoreError('UNAUTHORIZED', { cause });
  }
}
