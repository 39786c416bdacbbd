/**
 * What any access token may claim (issue 23), for the server's own tokens (createAccessToken)
 * and for an identity provider's alike (the verifier). Before: a 100-year lifetime, an
 * issued-at in the future, a 12,000-character subject and `workspaces: []` were all accepted,
 * and ~1,300 workspaces made every request a bare 431 (the header passed Node's 16 KiB).
 */
export interface TokenPolicy {
  /** Longest lifetime, exp − iat (or exp − now without iat), in seconds. Default 30 days. */
  readonly maxLifetimeSeconds: number;
  /** How far iat may lie in the future (clock skew), in seconds. Default 5 min. */
  readonly maxIssuedAtSkewSeconds: number;
  /** Most workspaces one token grants (and at least one). Default 100 (~10 KB of token with long ids). */
  readonly maxWorkspaces: number;
  /** Longest workspace id and subject, in characters. Default 256. */
  readonly maxClaimLength: number;
}

export const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  maxLifetimeSeconds: 30 * 86_400,
  maxIssuedAtSkewSeconds: 300,
  maxWorkspaces: 100,
  maxClaimLength: 256,
};

/**
 * The first way `claims` break the policy, as a sentence for the caller, or null. `now` in
 * epoch ms; `iat`/`exp` in seconds as in the JWT.
 */
export function policyBreach(
  claims: {
    readonly workspaces: readonly string[];
    readonly subject: string | undefined;
    readonly iat: number | undefined;
    readonly exp: number;
  },
  policy: TokenPolicy,
  now: number,
): string | null {
  const { workspaces, subject, iat, exp } = claims;
  if (workspaces.length === 0) return 'the token grants no workspace';
  if (workspaces.length > policy.maxWorkspaces)
    return `the token grants ${workspaces.length} workspaces; at most ${policy.maxWorkspaces} are allowed`;
  if (workspaces.some((ws) => ws.length === 0 || ws.length > policy.maxClaimLength)) {
    return `every workspace id must be 1 to ${policy.maxClaimLength} characters`;
  }
  if (subject !== undefined && (subject.length === 0 || subject.length > policy.maxClaimLength)) {
    return `the subject must be 1 to ${policy.maxClaimLength} characters`;
  }
  const nowSeconds = now / 1000;
  if (iat !== undefined && iat > nowSeconds + policy.maxIssuedAtSkewSeconds) return 'the token was issued in the future';
  const lifetime = exp - (iat ?? nowSeconds);
  if (lifetime > policy.maxLifetimeSeconds)
    return `the token lives ${Math.round(lifetime)} s; at most ${policy.maxLifetimeSeconds} s are allowed`;
  return null;
}
