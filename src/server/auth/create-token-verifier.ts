import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { BrainStoreError } from '../../errors/brain-store-error.ts';
import {
  assertTokenPolicy,
  claimsOf,
  DEFAULT_CLAIM_NAMES,
  secretKey,
  verifyAccessToken,
  type AccessClaims,
  type ClaimNames,
} from './access-token.ts';
import { DEFAULT_TOKEN_POLICY, type TokenPolicy } from './token-policy.ts';

/** Asymmetric algorithms accepted from an identity provider (never `none`, never HS* with a public key). */
export const JWKS_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

/**
 * How the server verifies tokens: its own HS256 tokens (`secret`, as `authSecret`), and/or
 * an identity provider's asymmetric tokens against its JWKS, so the signing key never
 * reaches the sync server.
 *
 * @example
 * startSyncServer({ auth: { jwks: { url: 'https://login.example.com/.well-known/jwks.json' },
 *   issuer: 'https://login.example.com/', audience: 'brain-store',
 *   claims: { workspaces: 'https://example.com/workspaces', role: 'https://example.com/brain_role' } } });
 */
export interface AuthOptions {
  /** Signs and verifies brain-store's own HS256 tokens (createAccessToken); at least 16 characters. */
  readonly secret?: string;
  /** The identity provider's key set: fetched from `url` (cached, refetched on an unknown key id) or read from `file`. */
  readonly jwks?: { readonly url: string; readonly cooldownMs?: number } | { readonly file: string; readonly cooldownMs?: number };
  /** Claim names in the provider's tokens (default `workspaces`, `role`, `sub`). */
  readonly claims?: Partial<ClaimNames>;
  /** Required `iss` of the provider's tokens (required with jwks). */
  readonly issuer?: string;
  /** Required `aud` of the provider's tokens (required with jwks): a token for another app is refused. */
  readonly audience?: string;
  /** What any token may claim: lifetime, issued-at skew, workspaces, subject (default DEFAULT_TOKEN_POLICY); 400 beyond. */
  readonly policy?: Partial<TokenPolicy>;
}

export type TokenVerifier = (token: string, now: number) => Promise<AccessClaims>;

/** Builds the verifier; CONFIG errors for an unusable configuration, at start rather than on the first request. */
export function createTokenVerifier(auth: AuthOptions): TokenVerifier {
  const key = auth.secret === undefined ? undefined : secretKey(auth.secret);
  const policy: TokenPolicy = { ...DEFAULT_TOKEN_POLICY, ...auth.policy };
  const jwks = auth.jwks === undefined ? undefined : jwksVerifier(auth);
  if (!key && !jwks) {
    throw new BrainStoreError('CONFIG', { parameters: { auth: 'secret or jwks' }, message: 'set authSecret, auth.secret or auth.jwks' });
  }
  return async (token, now) => {
    let algorithm: unknown;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch (cause) {
      throw new BrainStoreError('UNAUTHORIZED', { cause });
    }
    // The header only picks the verifier; each one pins its own algorithms.
    if (algorithm === 'HS256' && key) return verifyAccessToken(token, key, now, policy);
    if (jwks && typeof algorithm === 'string' && (JWKS_ALGORITHMS as readonly string[]).includes(algorithm)) return jwks(token, now);
    throw new BrainStoreError('UNAUTHORIZED', { message: 'unsupported token algorithm' });
  };
}

function jwksVerifier(auth: AuthOptions): TokenVerifier {
  const source = auth.jwks!;
  if (!auth.issuer || !auth.audience) {
    throw new BrainStoreError('CONFIG', {
      parameters: { issuer: auth.issuer, audience: auth.audience },
      message: 'auth.jwks needs auth.issuer and auth.audience, so a token the provider issued for another app is refused',
    });
  }
  const names: ClaimNames = { ...DEFAULT_CLAIM_NAMES, ...auth.claims };
  const cooldownMs = source.cooldownMs ?? 30_000;
  const getKey = 'url' in source ? remoteKeys(source.url, cooldownMs) : fileKeys(source.file, cooldownMs);
  const { issuer, audience } = auth;
  const policy: TokenPolicy = { ...DEFAULT_TOKEN_POLICY, ...auth.policy };
  return async (token, now) => {
    let claims: AccessClaims;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: [...JWKS_ALGORITHMS],
        issuer,
        audience,
        currentDate: new Date(now),
        requiredClaims: ['exp'],
      }));
      claims = claimsOf(payload, names);
    } catch (cause) {
      throw new BrainStoreError('UNAUTHORIZED', { cause });
    }
    assertTokenPolicy(payload, claims, policy, now);
    return claims;
  };
}

function remoteKeys(url: string, cooldownMs: number): JWTVerifyGetKey {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new BrainStoreError('CONFIG', { cause, parameters: { jwks: url }, message: 'auth.jwks.url is not a URL' });
  }
  // jose refetches when a token names a key id it has not seen (a rotation), at most once per cooldown.
  return createRemoteJWKSet(parsed, { cooldownDuration: cooldownMs, cacheMaxAge: 10 * 60_000 });
}

/** A key set from a file, read again (at most once per cooldown) when a token names an unknown key: rotation by replacing the file. */
function fileKeys(file: string, cooldownMs: number): JWTVerifyGetKey {
  const read = (): JWTVerifyGetKey => {
    try {
      return createLocalJWKSet(JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet);
    } catch (cause) {
      throw new BrainStoreError('CONFIG', { cause, parameters: { jwks: file }, message: `cannot read a JWKS from ${file}` });
    }
  };
  let keys = read();
  let readAt = Date.now();
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - readAt < cooldownMs) throw error;
      readAt = Date.now();
      keys = read();
      return keys(header, token);
    }
  };
}
