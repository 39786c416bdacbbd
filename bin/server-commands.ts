/**
 * `brain-store serve`, `brain-store migrate` and `brain-store token`. Their settings come from
 * the environment (src/server/config: one table, docs/operations.md), a few flags over it;
 * secrets are never flags (flags end up in shell history and process listings).
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createAccessToken, startSyncServer } from '../src/server/index.ts';
import type { ConfigInput } from '../src/server/config/parse-server-config.ts';
import { openPgliteDatabase } from '../src/server/sql/pglite-database.ts';
import { openPostgresDatabase } from '../src/server/sql/postgres-database.ts';
import { runMigrations } from '../src/server/sql/run-migrations.ts';
import { migrationStatus } from '../src/server/sql/migration-status.ts';
import type { CliOutput } from './cli-output.ts';
import { CliError } from './cli-error.ts';
import { wholeNumberOption } from './cli-options.ts';
import { configOf, flagsOf, printedConfig, SERVER_FLAG_OPTIONS, SERVER_FLAGS, serverOptionsOf } from './server-config.ts';

/** A whole shutdown (drain, in-flight requests, close) ends within this, whatever hangs. */
const EXIT_DEADLINE_MS = 10_000;
/** How long /readyz answers 503 before the listener closes (within the deadline, with SHUTDOWN_GRACE). */
const DRAIN_NOTICE_MS = 1_500;

function authSecret(): string {
  const secret = process.env['AUTH_SECRET'];
  if (!secret) throw new CliError('set AUTH_SECRET (at least 16 characters) — it signs and verifies access tokens');
  return secret;
}

/** Starts the server and keeps it running until SIGINT or SIGTERM, then drains and exits within 10 s. */
export async function runServe(argv: readonly string[], out: CliOutput = process.stdout): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { ...SERVER_FLAG_OPTIONS, 'no-migrate': { type: 'boolean' } },
  });
  const input: ConfigInput = {
    env: process.env,
    flags: flagsOf(values, SERVER_FLAGS),
    migrate: values['no-migrate'] !== true,
  };
  if (values['print-config']) {
    out.write(printedConfig(input));
    return;
  }
  const server = await startSyncServer(serverOptionsOf(configOf(input)));
  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  // Whatever hangs (a stuck query, a client that never reads), the process is gone in 10 s.
  setTimeout(() => process.exit(1), EXIT_DEADLINE_MS).unref();
  // /readyz answers 503 while the listener stays open a moment, so a load balancer polling it
  // sees the instance leave (new requests are still served meanwhile); then close.
  server.drain();
  await new Promise((resolve) => setTimeout(resolve, DRAIN_NOTICE_MS));
  await server.close();
}

/** Applies the pending migrations (`--status`: lists applied and pending ones, changes nothing). */
export async function runMigrate(argv: readonly string[], out: CliOutput = process.stdout): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { status: { type: 'boolean' }, 'data-dir': { type: 'string' } },
  });
  const databaseUrl = process.env['DATABASE_URL'] || undefined;
  // Only the database settings matter here: no secret is needed to migrate.
  const config = configOf({
    env: { ...process.env, AUTH_SECRET: 'not-needed-to-migrate' },
    flags: flagsOf(values, { 'data-dir': 'DATA_DIR' }),
  });
  // DDL needs a session the pooler does not share out mid-transaction: the direct URL when there is one.
  const db = databaseUrl
    ? await openPostgresDatabase({ connectionString: config.directDatabaseUrl ?? databaseUrl })
    : await openPgliteDatabase({ dataDir: resolve(config.dataDir) });
  try {
    const where = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${resolve(config.dataDir)}`;
    if (values.status) {
      const status = await migrationStatus(db);
      out.write(`migrations of ${where}:\n`);
      for (const migration of status.applied) out.write(`  applied  ${migration.version} ${migration.name} (${migration.appliedAt})\n`);
      for (const migration of status.pending) out.write(`  pending  ${migration.version} ${migration.name}\n`);
      out.write(status.pending.length === 0 ? 'up to date\n' : `${status.pending.length} pending: run brain-store migrate\n`);
      return;
    }
    const applied = await runMigrations(db);
    out.write(applied.length === 0 ? `${where}: up to date, nothing applied\n` : `${where}: applied ${applied.join(', ')}\n`);
  } finally {
    await db.close();
  }
}

/** Options whose value may start with a dash (`--ttl -5`): parseArgs would take it for an option. */
const NUMERIC_OPTIONS = new Set(['--ttl']);

/** Prints a signed access token for the given workspaces and role (`--role bot|member|operator [--subject dana]`). */
export async function runToken(argv: readonly string[]): Promise<void> {
  // `--ttl -5` becomes `--ttl=-5`, so the mistake is the one line naming --ttl, not parseArgs' three.
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (NUMERIC_OPTIONS.has(arg) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else joined.push(arg);
  }
  const { values } = parseArgs({
    args: joined,
    strict: true,
    options: {
      workspace: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      subject: { type: 'string' },
      role: { type: 'string' },
    },
  });
  const workspaces = values.workspace ?? [];
  if (workspaces.length === 0) throw new CliError('name at least one --workspace');
  const role = values.role;
  if (role !== 'bot' && role !== 'member' && role !== 'operator') throw new CliError('--role must be bot, member or operator');
  if (role === 'member' && values.subject === undefined) throw new CliError('a member token needs --subject (who actions with it)');
  const ttlSeconds = wholeNumberOption('ttl', values.ttl, 3_600, 1);
  const token = await createAccessToken({
    secret: authSecret(),
    workspaces,
    ttlSeconds,
    role,
    ...(values.subject === undefined ? {} : { subject: values.subject }),
  });
  process.stdout.write(`${token}\n`);
}
