import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import { ROLES, type Role } from '../../collections/write-rules.ts';
import { DEFAULT_TOKEN_POLICY, policyBreach, type TokenPolicy } from './token-policy.ts';

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
  /** What the bearer may write (see the README's roles table): required. */
  readonly role: Role;
  /** Who the token is for: required for members (`actioned_by` must equal it), shown in server logs. */
  readonly subject?: string;
  /** Injectable clock (epoch ms); the token's iat/exp derive from it. */
  readonly now?: () => number;
  /** Lifetime, workspace and subject bounds (default DEFAULT_TOKEN_POLICY: at most 30 days, 100 workspaces). */
  readonly policy?: Partial<TokenPolicy>;
}

export interface AccessClaims {
  readonly workspaces: ReadonlySet<string>;
  /** Expiry, epoch ms. */
  readonly expiresAt: number;
  readonly subject: string | undefined;
  readonly role: Role;
}

/** Where the claims live in a token (an identity provider may use other names). */
export interface ClaimNames {
  readonly workspaces: string;
  readonly role: string;
  readonly subject: string;
}
export const DEFAULT_CLAIM_NAMES: ClaimNames = { workspaces: 'workspaces', role: 'role', subject: 'sub' };

export function secretKey(secret: string): Uint8Array {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new BrainStoreError('CONFIG', {
      parameters: { authSecret: `at least ${MIN_SECRET_LENGTH} characters` },
      message: `the auth secret must be at least ${MIN_SECRET_LENGTH} characters`,
    });
  }
  return new TextEncoder().encode(secret);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * Signs an access token (JWT, HS256) granting `workspaces` to a `role` for `ttlSeconds`.
 *
 * @example
 * const token = await createAccessToken({ secret: process.env.AUTH_SECRET!, workspaces: ['w1'], ttlSeconds: 3600, role: 'member', subject: 'dana' });
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
  if (!isRole(options.role)) {
    throw new BrainStoreError('CONFIG', {
      parameters: { role: options.role },
      message: `role must be one of ${ROLES.join(', ')}`,
    });
  }
  const subject = options.subject;
  if (subject !== undefined && (typeof subject !== 'string' || subject.length === 0 || subject.length > 256)) {
    throw new BrainStoreError('CONFIG', { parameters: { subject }, message: 'subject must be a string of 1 to 256 characters' });
  }
  if (options.role === 'member' && subject === undefined) {
    // A member's actioned_by must equal the subject: without one it could action nothing.
    throw new BrainStoreError('CONFIG', { parameters: { subject }, message: 'a member token needs a subject' });
  }
  const nowMs = (options.now ?? Date.now)();
  const nowSeconds = Math.floor(nowMs / 1000);
  const breach = policyBreach(
    { workspaces, subject, iat: nowSeconds, exp: nowSeconds + Math.ceil(options.ttlSeconds) },
    { ...DEFAULT_TOKEN_POLICY, ...options.policy },
    nowMs,
  );
  if (breach)
    throw new BrainStoreError('CONFIG', { parameters: { ttlSeconds: options.ttlSeconds, workspaces: workspaces.length }, message: breach });
  const jwt = new SignJWT({ workspaces, role: options.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + Math.ceil(options.ttlSeconds));
  if (subject !== undefined) jwt.setSubject(subject);
  return jwt.sign(secretKey(options.secret));
}

/**
 * Verifies a token: signature, algorithm, issuer, audience, expiry (against `now`) and the
 * shape of the workspaces, role and subject claims. Throws UNAUTHORIZED (never saying which
 * check failed).
 */
export async function verifyAccessToken(
  token: string,
  key: Uint8Array,
  now: number,
  policy: TokenPolicy = DEFAULT_TOKEN_POLICY,
): Promise<AccessClaims> {
  let claims: AccessClaims;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      currentDate: new Date(now),
      requiredClaims: ['exp', 'workspaces'],
    }));
    claims = claimsOf(payload, DEFAULT_CLAIM_NAMES);
  } catch (cause) {
    throw new BrainStoreError('UNAUTHORIZED', { cause });
  }
  assertTokenPolicy(payload, claims, policy, now);
  return claims;
}

/**
 * A genuine token (its signature checked) that breaks the policy (issue 23): 400 BAD_REQUEST
 * saying what is wrong, so whoever minted it can fix it, rather than a bare 401.
 */
export function assertTokenPolicy(payload: JWTPayload, claims: AccessClaims, policy: TokenPolicy, now: number): void {
  const breach = policyBreach(
    { workspaces: [...claims.workspaces], subject: claims.subject, iat: payload.iat, exp: payload.exp ?? 0 },
    policy,
    now,
  );
  if (breach)
    throw new BrainStoreError('BAD_REQUEST', { message: `the access token is refused: ${breach}`, parameters: { tokenPolicy: true } });
}

/**
 * Reads the access claims of a verified payload. A token without a role is refused, not
 * taken for a bot: an old or foreign token must never gain write rights by omission.
 */
export function claimsOf(payload: JWTPayload, names: ClaimNames): AccessClaims {
  const workspaces = payload[names.workspaces];
  const role = payload[names.role];
  const subject = payload[names.subject];
  if (!Array.isArray(workspaces) || !workspaces.every((ws): ws is string => typeof ws === 'string')) {
    throw new Error('bad workspaces claim');
  }
  if (payload.exp === undefined) throw new Error('no exp claim');
  if (!isRole(role)) throw new Error('bad role claim');
  if (subject !== undefined && typeof subject !== 'string') throw new Error('bad subject claim');
  if (role === 'member' && !subject) throw new Error('a member token needs a subject');
  return { workspaces: new Set(workspaces), expiresAt: payload.exp * 1000, subject, role };
}
