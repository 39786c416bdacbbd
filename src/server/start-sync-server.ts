import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createTokenVerifier, type AuthOptions } from './auth/create-token-verifier.ts';
import { DEFAULT_TIME_ALLOWANCE, type TimeAllowance } from '../collections/write-rules.ts';
import { createChangeHub } from './fanout/create-change-hub.ts';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './http/create-rate-limiter.ts';
import { createServerMetrics } from './create-server-metrics.ts';
import { createSyncApp } from './http/create-sync-app.ts';
import { resolveLimits, type LimitOverrides, type ServerLimits } from './http/limits/server-limits.ts';
import { capConnections } from './http/limits/cap-connections.ts';
import { createCostBudget } from './http/limits/create-cost-budget.ts';
import type { Server } from 'node:http';
import { hostedCollections, type HostedCollectionOptions } from './documents/hosted-collections.ts';
import {
  resolveServerRetention,
  runServerMaintenance,
  type MaintenanceResult,
  type ServerRetentionOptions,
} from './maintenance/run-server-maintenance.ts';
import type { ServerContext } from './server-context.ts';
import { openDatabase } from './open-database.ts';
import type { SqlDatabase } from './sql/sql-database.ts';
import { trackOldestOpenTransaction } from './sql/oldest-open-transaction.ts';
import { createServerHealth } from './server-health.ts';

/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 2_000;
/** Streams ended by a shutdown tell their clients to come back within this (SSE `retry:`). */
const STREAM_RETRY_HINT_MS = 5_000;

export interface SyncServerOptions {
  /** Secret that signs access tokens (createAccessToken); at least 16 characters. Same as `auth.secret`. */
  readonly authSecret?: string;
  /** Token verification: brain-store's own HS256 tokens and/or an identity provider's JWKS (see AuthOptions). */
  readonly auth?: AuthOptions;
  /**
   * How far pushed times may stray from the server's clock: `skewMs` (default 5 min) into the
   * future, `maxPastMs` (default 30 days) into the past for a new document.
   */
  readonly timeAllowance?: Partial<TimeAllowance>;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
  /** PostgreSQL connection string; without it the server runs on embedded PGlite. */
  readonly databaseUrl?: string;
  /**
   * A direct (unpooled) connection string for the LISTEN session, when databaseUrl goes
   * through a pooler in transaction mode (LISTEN needs a session of its own). Default: databaseUrl.
   */
  readonly directDatabaseUrl?: string;
  /**
   * PostgreSQL: the longest one statement of a request may run (default 15 s; 0: no limit).
   * Past it the statement is cancelled and the request answered 503 with Retry-After. PGlite
   * runs one statement at a time in the process and has no timeout.
   */
  readonly statementTimeoutMs?: number;
  /** false: do not migrate at start, and refuse a database that lacks a migration (run `brain-store migrate` first). Default true. */
  readonly migrate?: boolean;
  /** A static bearer token that reads /metrics (a Prometheus scraper's); operator tokens keep working. */
  readonly metricsToken?: string;
  /** How long close() lets in-flight requests finish before cutting their connections (default 2 s). */
  readonly shutdownGraceMs?: number;
  /** Where PGlite keeps its files; in memory without it. Ignored with databaseUrl. */
  readonly dataDir?: string;
  /** An already open database (shared between servers in one process, e.g. tests); not closed by close(). */
  readonly database?: SqlDatabase;
  /** Extra collections to host beside brain-store's three. */
  readonly collections?: Readonly<Record<string, HostedCollectionOptions>>;
  readonly logger?: Logger;
  /** Level of the default logger: 'info' normally, 'silent' under vitest. */
  readonly logLevel?: LevelWithSilent;
  /** How often expiry and retention run (default 60 s; 0 turns the timer off, runMaintenance() still works). */
  readonly expiryIntervalMs?: number;
  readonly retention?: ServerRetentionOptions;
  /** Heartbeat period of change streams (default 15 s). */
  readonly heartbeatMs?: number;
  /** Per-token request limit (default 3000 per 10 s); false turns it off. */
  readonly rateLimit?: RateLimitOptions | false;
  /** Same as `limits.maxBodyBytes` (default 8 MiB). */
  readonly maxBodyBytes?: number;
  /** Same as `limits.maxPushRows` (default 1,000). */
  readonly maxPushRows?: number;
  /** The bounds on one token, client, connection or document (issue 23); see ServerLimits for each default. */
  readonly limits?: LimitOverrides;
  /** Allowed browser origins (default '*': tokens travel in headers, never cookies); [] for same origin only (`serve`'s default). */
  readonly corsOrigin?: string | readonly string[];
  /** A built dashboard (e.g. dist/dashboard) to serve at `/`; without it only the API is served. */
  readonly dashboardDir?: string;
  /** Injectable clock (epoch ms): token expiry, expiry, retention, received_at. */
  readonly now?: () => number;
}

export interface SyncServer {
  readonly url: string;
  /**
   * Starts a shutdown: /readyz answers 503 at once (the load balancer stops sending), open
   * streams end with a retry hint, in-flight requests finish (up to shutdownGraceMs).
   * close() does the same and then closes; drain() alone is for a caller that waits between.
   */
  drain(): void;
  /** Runs expiry and retention once now (the timer runs it every expiryIntervalMs). */
  runMaintenance(): Promise<MaintenanceResult>;
  close(): Promise<void>;
}

/**
 * Starts the sync server: migrates the database, then serves pull, push and stream per
 * collection plus /healthz and /metrics.
 *
 * @example
 * const server = await startSyncServer({ authSecret: process.env.BRAIN_STORE_SECRET!, dataDir: './data' });
 * const token = await createAccessToken({ secret: process.env.BRAIN_STORE_SECRET!, workspaces: ['w1'], ttlSeconds: 3600, role: 'bot' });
 * replicateBrainStore(store, { url: server.url, token });
 */
export async function startSyncServer(options: SyncServerOptions): Promise<SyncServer> {
  const secret = options.auth?.secret ?? options.authSecret;
  const verifyToken = createTokenVerifier({ ...options.auth, ...(secret === undefined ? {} : { secret }) });
  const now = options.now ?? Date.now;
  const logger = options.logger ?? pino({ name: 'brain-store', level: options.logLevel ?? (process.env['VITEST'] ? 'silent' : 'info') });
  const collections = hostedCollections(options.collections);
  // Checked before anything opens: a bad window is a CONFIG error naming the option.
  const retention = resolveServerRetention(options.retention);
  const owned = options.database === undefined;
  const db = options.database ?? (await openDatabase(options, logger));
  try {
    const hub = await createChangeHub(db, logger);
    const health = createServerHealth(db, hub);
    // Prove that a NOTIFY sent through the query connections reaches the LISTEN session (a
    // pooler in transaction mode would swallow it and live delivery would silently stop).
    if (db.kind === 'postgres') {
      const delivered = await hub.proveDelivery!();
      if (!delivered) logger.error({ reason: await health.notReady() }, 'change notifications do not arrive: not ready');
    }
    const limits = resolveLimits({ maxBodyBytes: options.maxBodyBytes, maxPushRows: options.maxPushRows }, options.limits);
    const ctx: ServerContext = {
      db,
      collections,
      // Unused when verifyToken is set (kept for contexts built without it).
      secretKey: new Uint8Array(0),
      verifyToken,
      timeAllowance: { ...DEFAULT_TIME_ALLOWANCE, ...options.timeAllowance },
      now,
      logger,
      metrics: createServerMetrics(() => countDocuments(db)),
      hub,
      rateLimit: createRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, now),
      limits,
      budget: createCostBudget({ rows: limits.maxRowsPerSubject, bytes: limits.maxBytesPerSubject, windowMs: limits.costWindowMs }, now),
      heartbeatMs: options.heartbeatMs ?? 15_000,
      streams: new Set(),
      corsOrigin: options.corsOrigin ?? '*',
      metricsToken: options.metricsToken,
      health,
    };
    trackOldestOpenTransaction(ctx.metrics.registry, db);
    const app = createSyncApp(ctx, { dashboardDir: options.dashboardDir });
    const http = await listen(app.fetch, options.port ?? 0, options.host ?? '127.0.0.1', ctx.limits);
    const address = http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;

    // One run at a time: a slow run never overlaps the next tick.
    let running: Promise<MaintenanceResult> | undefined;
    const runMaintenance = (): Promise<MaintenanceResult> => {
      running ??= runServerMaintenance(db, { actions: collections.get('brainActions'), now: now(), retention })
        .then((result) => {
          ctx.metrics.expired.inc(result.expired);
          ctx.metrics.purged.inc({ kind: 'soft' }, result.purged);
          ctx.metrics.purged.inc({ kind: 'tombstone' }, result.tombstonesDeleted);
          if (result.expired + result.purged + result.tombstonesDeleted > 0) logger.info(result, 'maintenance');
          return result;
        })
        .finally(() => (running = undefined));
      return running;
    };
    const interval = options.expiryIntervalMs ?? 60_000;
    const tick = (): void => void runMaintenance().catch((err: unknown) => logger.error({ err }, 'maintenance failed'));
    const timer = interval > 0 ? setInterval(tick, interval) : undefined;
    timer?.unref();
    if (timer) tick();
    logger.info({ url, database: db.kind, collections: [...collections.keys()] }, 'sync server listening');

    let closing: Promise<void> | undefined;
    const drain = (): void => {
      if (health.draining) return;
      health.draining = true;
      // Clients come back spread over the hint (their full jitter), to another instance or this one restarted.
      for (const closeStream of [...ctx.streams]) closeStream(STREAM_RETRY_HINT_MS);
      logger.info({ url }, 'draining: /readyz 503, streams ended');
    };
    return {
      url,
      runMaintenance,
      drain,
      close() {
        closing ??= (async () => {
          drain();
          if (timer) clearInterval(timer);
          // In-flight requests get a grace period to answer; then their sockets are cut
          // (a cut push is safe: the client resends and an identical resend is a no-op).
          await new Promise<void>((resolve) => {
            http.close(() => resolve());
            if (!('closeAllConnections' in http)) return;
            http.closeIdleConnections();
            setTimeout(() => http.closeAllConnections(), options.shutdownGraceMs ?? CLOSE_GRACE_MS).unref();
          });
          await running?.catch(() => undefined);
          await hub.close();
          if (owned) await db.close();
          logger.info({ url }, 'sync server closed');
        })();
        return closing;
      },
    };
  } catch (error) {
    if (owned) await db.close().catch(() => undefined);
    throw error;
  }
}

/** Exact counts (a scan per /metrics read): read by operators and scrapers, not per sync request. */
async function countDocuments(db: SqlDatabase) {
  const rows = await db.query<{ collection: string; deleted: boolean; count: string | number }>(
    'SELECT collection, deleted, count(*) AS count FROM brain_store_documents GROUP BY collection, deleted',
  );
  return rows.map((row) => ({ collection: row.collection, deleted: row.deleted, count: Number(row.count) }));
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  port: number,
  hostname: string,
  limits: ServerLimits,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch,
        port,
        hostname,
        // Issue 23: a connection has headersTimeoutMs for its request line and headers,
        // checked every second (Node's default check ran every 30 s: slow headers stayed ~73 s).
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
        },
      },
      () => resolve(server),
    );
    capConnections(server as Server, { max: limits.maxConnections, retryAfterSeconds: 5 });
    server.once('error', reject);
  });
}
