/**
 * `brain-store serve` and `brain-store token`: run the sync server and mint access tokens.
 * The signing secret comes from AUTH_SECRET (never a flag: flags end up in shell history and
 * process listings); a real PostgreSQL from DATABASE_URL.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { createAccessToken, startSyncServer } from '../src/server/index.ts';
import { CliError } from './cli-error.ts';
import { DEFAULT_DATA_DIR, DEFAULT_PORT } from './server-defaults.ts';

function authSecret(): string {
  const secret = process.env['AUTH_SECRET'];
  if (!secret) throw new CliError('set AUTH_SECRET (at least 16 characters) — it signs and verifies access tokens');
  return secret;
}

function wholeNumber(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new CliError(`--${name} must be a whole number ≥ ${min}`);
  return number;
}

/** Starts the server and keeps it running until SIGINT or SIGTERM. */
export async function runServe(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const databaseUrl = process.env['DATABASE_URL'];
  const server = await startSyncServer({
    authSecret: authSecret(),
    port: wholeNumber('port', values.port, DEFAULT_PORT, 0),
    host: values.host ?? '127.0.0.1',
    ...(databaseUrl ? { databaseUrl } : { dataDir: resolve(values['data-dir'] ?? DEFAULT_DATA_DIR) }),
  });
  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}

/** Prints a signed access token for the given workspaces and role (`--role bot|member|operator [--subject dana]`). */
export async function runToken(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
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
  const token = await createAccessToken({
    secret: authSecret(),
    workspaces,
    ttlSeconds: wholeNumber('ttl', values.ttl, 3_600, 1),
    role,
    ...(values.subject === undefined ? {} : { subject: values.subject }),
  });
  process.stdout.write(`${token}\n`);
}
