import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../harness/free-port.ts';
import type { Requirement } from './skip-or-fail.ts';

/**
 * A PgBouncer of the test's own, in transaction mode (how managed PostgreSQL is usually
 * reached), in front of the machine's PostgreSQL on a free port. PgBouncer refuses to run as
 * root, so as root it runs as the `postgres` OS user, who owns its temp folder.
 */
export interface PgBouncer {
  /** The URL of `database` through the pooler. */
  urlOf(database: string): string;
  readonly log: () => Promise<string>;
  stop(): Promise<void>;
}

const BINARY = '/usr/sbin/pgbouncer';
const POSTGRES_UID = 101;
const POSTGRES_GID = 104;

export function pgbouncerState(): Requirement {
  return existsSync(BINARY)
    ? { available: true }
    : { available: false, reason: `PgBouncer is not installed at ${BINARY} (apt-get install -y pgbouncer)` };
}

export async function startPgBouncer(upstream: { host: string; port: number } = { host: '127.0.0.1', port: 5432 }): Promise<PgBouncer> {
  const dir = await mkdtemp(join(tmpdir(), 'pgbouncer-'));
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  await writeFile(join(dir, 'userlist.txt'), '"postgres" ""\n');
  await writeFile(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${upstream.host} port=${upstream.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      'default_pool_size = 20',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  if (asRoot) {
    await chown(dir, POSTGRES_UID, POSTGRES_GID);
    for (const file of ['userlist.txt', 'pgbouncer.ini']) await chown(join(dir, file), POSTGRES_UID, POSTGRES_GID);
  }
  const child: ChildProcess = spawn(BINARY, [join(dir, 'pgbouncer.ini')], {
    stdio: 'ignore',
    ...(asRoot ? { uid: POSTGRES_UID, gid: POSTGRES_GID } : {}),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '');
  const urlOf = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: urlOf('postgres') });
    try {
      await client.connect();
      await client.query('SELECT 1');
      break;
    } catch (error) {
      if (child.exitCode !== null || attempt > 100) throw new Error(`PgBouncer did not start: ${String(error)}\n${await log()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return {
    urlOf,
    log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
