import type { Logger } from 'pino';
import type { TimeAllowance } from '../collections/write-rules.ts';
import type { AccessClaims } from './auth/access-token.ts';
import type { ChangeHub } from './fanout/create-change-hub.ts';
import type { ServerMetrics } from './create-server-metrics.ts';
import type { HostedCollection } from './documents/hosted-collections.ts';
import type { SqlDatabase } from './sql/sql-database.ts';
import type { ServerHealth } from './server-health.ts';
import type { ServerLimits } from './http/limits/server-limits.ts';
import type { CostBudget } from './http/limits/create-cost-budget.ts';

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
  /** Rows and bytes per subject and window (limits.maxRowsPerSubject…): handlers charge what they handled. */
  readonly budget: CostBudget;
  readonly heartbeatMs: number;
  /** Closers of the open streams, so close() can end them (with an SSE retry hint in ms, on shutdown). */
  readonly streams: Set<(retryHintMs?: number) => void>;
  /** Allowed browser origins; empty: same origin only (no CORS headers). */
  readonly corsOrigin: string | readonly string[];
  /** A static bearer token that reads /metrics (a scraper's), beside operator tokens. */
  readonly metricsToken?: string | undefined;
  /** Readiness (/readyz) and the shutdown's draining flag; without it no probes are served. */
  readonly health?: ServerHealth;
}
