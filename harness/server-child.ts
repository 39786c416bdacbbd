/**
 * A sync server in its own process, for chaos tests that SIGKILL it. Configured by
 * environment: AUTH_SECRET, and DATABASE_URL (PostgreSQL) or DATA_DIR (PGlite on disk);
 * SERVER_LIMITS (JSON of the server's `limits` option) and RATE_LIMIT (JSON; unset: off).
 * Prints one JSON line `{"url": ...}` once listening, or `{"error": {code, message}}` and
 * exits 1 when it cannot start.
 */
import { inspect } from 'node:util';
import { BrainStoreError } from '../src/errors/brain-store-error.ts';
import { startSyncServer } from '../src/server/start-sync-server.ts';
import type { LimitOverrides } from '../src/server/http/limits/server-limits.ts';
import type { RateLimitOptions } from '../src/server/http/create-rate-limiter.ts';

const databaseUrl = process.env['DATABASE_URL'];
const dataDir = process.env['DATA_DIR'];
try {
  const server = await startSyncServer({
    authSecret: process.env['AUTH_SECRET'] ?? '',
    logLevel: 'silent',
    expiryIntervalMs: 0,
    rateLimit: process.env['RATE_LIMIT'] ? (JSON.parse(process.env['RATE_LIMIT']) as RateLimitOptions) : false,
    ...(process.env['SERVER_LIMITS'] ? { limits: JSON.parse(process.env['SERVER_LIMITS']) as LimitOverrides } : {}),
    ...(databaseUrl ? { databaseUrl } : dataDir ? { dataDir } : {}),
  });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
} catch (error) {
  const code = error instanceof BrainStoreError ? error.code : 'UNEXPECTED';
  const message = error instanceof Error ? error.message : inspect(error, { depth: 3 });
  process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  process.exit(1);
}
