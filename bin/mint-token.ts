/**
 * Tokens the CLI's own programs use, each with the narrowest role that does the job: the
 * bot and `seed` write as `bot`, the dashboard link is a `member`'s, `status` reads as `operator`.
 */
import { createAccessToken } from '../src/server/index.ts';

export type CliRole = 'bot' | 'member' | 'operator';

export interface MintTokenOptions {
  readonly secret: string;
  readonly workspaces: readonly string[];
  readonly role: CliRole;
  readonly subject: string;
  readonly ttlSeconds: number;
}

export function mintToken({ secret, workspaces, role, subject, ttlSeconds }: MintTokenOptions): Promise<string> {
  return createAccessToken({ secret, workspaces, ttlSeconds, role, subject });
}
