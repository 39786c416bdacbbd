import * as z from 'zod/mini';
import { ROLES } from '../collections/write-rules.ts';

/**
 * GET /sync/session — what the presented token grants, as the server reads it (the same for
 * the server's own tokens and an identity provider's). Clients use it to learn their role
 * and to notice a refreshed token that grants other workspaces.
 */
export const sessionResponseSchema = z.object({
  /** The token's subject (who), or null when it names none. */
  subject: z.nullable(z.string()),
  role: z.enum(ROLES),
  /** The granted workspaces, sorted. */
  workspaces: z.array(z.string()),
  /** When the token expires, epoch ms. */
  expiresAt: z.number(),
});
export type SessionResponse = z.infer<typeof sessionResponseSchema>;
