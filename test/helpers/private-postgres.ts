import { execFile, execFileSync, type ExecFileOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../harness/free-port.ts';
import { describeNeeding, skipReason } from './skip-or-fail.ts';
import { makeCheckoutReachableByNobody } from './reachable-by-nobody.ts';

/**
 * A PostgreSQL cluster of the test's own (initdb in a temp folder, a free port on
 * 127.0.0.1, its unix socket in that folder), for tests that restart or crash PostgreSQL:
 * the machine's cluster is shared with other tests and must not be restarted.
 *
 * Run as root (CI), the binaries refuse to start, so they run as the `postgres` OS user,
 * who owns the folder. fsync is off (a process crash loses nothing the OS has; only a power
 * cut would), synchronous_commit stays on: an acknowledged commit is in the WAL the OS holds.
 *
 * @example
 * const cluster = await startPrivatePostgres();
 * try { ... cluster.url ...; await cluster.restart('immediate'); } finally { await cluster.destroy(); }
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** The URL of `database` on this cluster (create it first, e.g. with `createDatabase`). */
  urlOf(database: string): string;
  /** CREATE DATABASE `name`; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl stop` then start. `fast`: a clean shutdown; `immediate`: a crash (recovery from the WAL on start). */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Whether the postmaster is alive (PostgreSQL shuts itself down when crash recovery fails, e.g. on a full disk). */
  alive(): boolean;
  /** The server log so far. */
  log(): string;
  /** Stops the cluster (immediate) and removes its folder. Never leaves a postgres running. */
  destroy(): Promise<void>;
}

const AS_ROOT = process.getuid?.() === 0;

/** The newest installed server binaries (`/usr/lib/postgresql/<version>/bin`), or undefined. */
export function postgresBinaries(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((version) => existsSync(join(base, version, 'bin', 'pg_ctl')) && existsSync(join(base, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** Whether a private cluster can be started here: the binaries exist and (as root) the `postgres` user does. */
export function privatePostgresState(): { available: boolean; reason: string } {
  const bin = postgresBinaries();
  let reason = bin ? '' : 'no PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin';
  if (bin && AS_ROOT) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      reason = 'running as root and there is no `postgres` OS user to run initdb/postgres as';
    }
  }
  if (!reason) return { available: true, reason };
  skipReason({ available: false, reason }, 'private-PostgreSQL tests');
  return { available: false, reason };
}

/** `describe` for a block that starts its own cluster: skipped loudly without the binaries, failing when CI=true. */
export function describeOnPrivatePostgres(name: string, body: () => void): void {
  const state = privatePostgresState();
  describeNeeding(state.available ? { available: true } : state, 'private-PostgreSQL tests', name, body);
}

function postgresIds(): [number, number] {
  return [
    Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  ];
}

function run(bin: string, args: readonly string[], options: ExecFileOptions = {}): Promise<string> {
  const [file, argv] = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, [...args]];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 60_000, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${[bin, ...args].join(' ')} failed: ${error.message}\n${String(stdout)}\n${String(stderr)}`));
      else resolve(String(stdout));
    });
  });
}

/**
 * initdb + start. `config`: extra postgresql.conf lines (e.g. `max_connections = 20`);
 * `dataIn`: a folder for the data directory (e.g. a small filesystem of the test's own),
 * by default the cluster's temp folder.
 */
export async function startPrivatePostgres(options: { config?: readonly string[]; dataIn?: string } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin');
  const root = await mkdtemp(join(tmpdir(), 'brain-store-pg-'));
  // The postgres user must reach the folder: search permission on its ancestors, ownership of it.
  makeCheckoutReachableByNobody(root);
  if (AS_ROOT) await chown(root, ...postgresIds());
  if (options.dataIn !== undefined) {
    makeCheckoutReachableByNobody(options.dataIn);
    if (AS_ROOT) await chown(options.dataIn, ...postgresIds());
  }
  const data = join(options.dataIn ?? root, 'data');
  const log = join(root, 'postgres.log');
  const port = await freePort();
  const pgCtl = join(bin, 'pg_ctl');
  let running = false;

  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  // A vitest worker that dies before afterAll must not leave a postmaster behind.
  const killOnExit = (): void => {
    const pid = postmasterPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killOnExit);

  const settings = [
    `port = ${port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = '${root}'`,
    'fsync = off',
    'full_page_writes = off',
    'shared_buffers = 16MB',
    'max_connections = 50',
    ...(options.config ?? []),
  ];
  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    // Appending keeps the file's owner (postgres).
    await appendFile(join(data, 'postgresql.conf'), `\n${settings.join('\n')}\n`);
  } catch (error) {
    process.removeListener('exit', killOnExit);
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    urlOf: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return cluster.urlOf(name);
    },
    alive() {
      const pid = postmasterPid();
      if (pid === undefined) return false;
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    },
    log: () => (existsSync(log) ? readFileSync(log, 'utf8') : ''),
    async start() {
      await run(pgCtl, ['start', '-D', data, '-l', log, '-w', '-t', '30']);
      running = true;
    },
    async stop(mode) {
      await run(pgCtl, ['stop', '-D', data, '-m', mode, '-w', '-t', '30']);
      running = false;
    },
    async restart(mode) {
      await cluster.stop(mode);
      await cluster.start();
    },
    async destroy() {
      if (running || postmasterPid()) await cluster.stop('immediate').catch(() => killOnExit());
      process.removeListener('exit', killOnExit);
      await rm(root, { recursive: true, force: true });
      if (options.dataIn !== undefined) await rm(data, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
  } catch (error) {
    const detail = existsSync(log) ? readFileSync(log, 'utf8') : '';
    await cluster.destroy();
    throw new Error(`${String(error)}\n${detail}`);
  }
  return cluster;
}
