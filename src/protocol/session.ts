import type { Role } from '../collections/write-rules.ts';

/**
 * GET /sync/session — what the presented token grants, as the server reads it (the same for
 * the server's own tokens and an identity provider's). Clients use it to learn their role
 * and to notice a refreshed token that grants other workspaces.
 */
export interface SessionResponse {
  /** The token's subject (who), or null when it names none. */
  subject: string | null;
  role: Role;
  /** The granted workspaces, sorted. */
  workspaces: string[];
  /** When the token expires, epoch ms. */
  expiresAt: number;
}
