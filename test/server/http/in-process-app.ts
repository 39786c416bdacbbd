import type { Hono } from 'hono';
import { pino } from 'pino';
import { secretKey } from '../../../src/server/auth/access-token.ts';
import { createServerMetrics } from '../../../src/server/create-server-metrics.ts';
import { hostedCollections } from '../../../src/server/documents/hosted-collections.ts';
import type { ChangeHub } from '../../../src/server/fanout/create-change-hub.ts';
import { createSyncApp } from '../../../src/server/http/create-sync-app.ts';
import { createCostBudget } from '../../../src/server/http/limits/create-cost-budget.ts';
import { DEFAULT_LIMITS } from '../../../src/server/http/limits/server-limits.ts';
import type { ServerContext } from '../../../src/server/server-context.ts';
import type { SqlDatabase } from '../../../src/server/sql/sql-database.ts';

/** A database whose queries answer no rows: for requests refused before any SQL (override `query` to fail). */
export const emptyDb: SqlDatabase = {
  kind: 'postgres',
  query: () => Promise.resolve([]),
  transaction: () => Promise.reject(new Error('not in this test')),
  listen: () => Promise.resolve(async () => undefined),
  close: () => Promise.resolve(),
};

const idleHub: ChangeHub = {
  subscribe: () => () => undefined,
  beginPull: () => Promise.resolve({ target: undefined, end: () => undefined }),
  close: () => Promise.resolve(),
};

/**
 * The sync app in this process (`app.request`, no socket) for tokens of `secret`: the default
 * limits, no rate limit or cost budget, a silent logger, `emptyDb` and a hub with no streams,
 * each replaced by `overrides`.
 */
export function inProcessApp(secret: string, overrides: Partial<ServerContext> = {}): Hono {
  return createSyncApp({
    db: emptyDb,
    collections: hostedCollections(),
    secretKey: secretKey(secret),
    now: Date.now,
    logger: pino({ level: 'silent' }),
    metrics: createServerMetrics(),
    hub: idleHub,
    rateLimit: () => null,
    limits: DEFAULT_LIMITS,
    budget: createCostBudget({ rows: 0, bytes: 0, windowMs: 10_000 }, Date.now),
    heartbeatMs: 1_000,
    streams: new Set(),
    corsOrigin: '*',
    ...overrides,
  });
}
