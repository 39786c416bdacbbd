import type { Logger } from 'pino';
import type { TimeAllowance } from '../collections/write-rules.ts';
import type { AccessClaims } from './auth/access-token.ts';
import type { ChangeHub } from './fanout/create-change-hub.ts';
import type { ServerMetrics } from './create-server-metrics.ts';
import type { HostedCollection } from './documents/hosted-collections.ts';
import type { SqlDatabase } from './sql/sql-database.ts';
import type { ServerLimits } from './http/limits/server-limits.ts';

/** Everything a request handler needs, built once by startSyncServer. */
export interface ServerContext {
  readonly db: SqlDatabase;
  readonly collections: ReadonlyMap<string, HostedCollection>;
  readonly secretKey: Uint8Array;
  /** Verifies a bearer token (HS256 with secretKey, and/or a JWKS); default: HS256 with secretKey. */
  readonly verifyToken?: (token: string, now: number) => Promise<AccessClaims>;
  /** How far pushed times may stray from the server's clock (default DEFAULT_TIME_ALLOWANCE). */
  readonly timeAllowance?: TimeAllowance;
  readonly now: () => number;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  readonly hub: ChangeHub;
  readonly rateLimit: (key: string) => number | null;
  readonly limits: ServerLimits;
  readonly heartbeatMs: number;
  /** Closers of the open streams, so close() can end them. */
  readonly streams: Set<() => void>;
  readonly corsOrigin: string | readonly string[];
}
