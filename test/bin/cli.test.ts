import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore, replicateBrainStore } from '../../src/index.ts';
import { createAccessToken } from '../../src/server/index.ts';
import { startTestServer, type TestServer } from '../helpers/sync-server.ts';
import { uniqueName } from '../helpers/storages.ts';
import { runCli as runInProcess } from '../../bin/cli.ts';
import { freePort, runCli } from './cli-process.ts';
import { until } from '../../harness/until.ts';

const COMMANDS = ['start', 'bot', 'seed', 'status', 'demo', 'serve', 'token'] as const;

/** The real executable as a child process (exit code, stdout and stderr lines). */
async function spawnCli(args: readonly string[], env: Record<string, string> = {}) {
  const cli = runCli(args, env);
  const code = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

/** The same command line in this process (no process start-up per case: fast), with `env` set for its duration (AUTH_SECRET unset unless given). */
async function run(args: readonly string[], env: Record<string, string> = {}) {
  const names = new Set(['AUTH_SECRET', ...Object.keys(env)]);
  const saved = new Map([...names].map((name) => [name, process.env[name]]));
  for (const name of names) {
    if (env[name] === undefined) delete process.env[name];
    else process.env[name] = env[name];
  }
  let out = '';
  let err = '';
  try {
    const code = await runInProcess(args, { write: (text: string) => (out += text) }, { write: (text: string) => (err += text) });
    return { code, stdout: lines(out), stderr: lines(err) };
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));

describe('brain-store CLI (issue 8: --help everywhere, one clear line on a mistake)', () => {
  it('--help on every command prints its usage and exits 0', async () => {
    const results = await Promise.all([run(['--help']), ...COMMANDS.map((command) => run([command, '--help']))]);
    expect(results[0].stdout[0]).toMatch(/^Usage: brain-store <command>/);
    COMMANDS.forEach((command, index) => {
      const { code, stdout, stderr } = results[index + 1]!;
      expect({ command, code, stderr }).toEqual({ command, code: 0, stderr: [] });
      expect(stdout[0]).toMatch(new RegExp(`^Usage: brain-store ${command}\\b`));
      expect(stdout.join('\n')).toContain('--help');
    });
  }, 120_000);

  it('a bad flag or value is one line on stderr naming it, and exit code 2', async () => {
    const cases = [
      ...COMMANDS.map((command) => [command, '--bogus']),
      ['seed', '--workspace', 'w', '--actions', 'many'],
      ['bot', '--summary-every', 'soon'],
      ['frobnicate'],
    ];
    const results = await Promise.all(cases.map((args) => run(args)));
    cases.forEach((args, index) => {
      const { code, stdout, stderr } = results[index]!;
      expect({ args, code, lines: stderr.length, stdout }).toEqual({ args, code: 2, lines: 1, stdout: [] });
      expect(stderr[0]).toMatch(/^brain-store/);
      expect(stderr[0]).toContain(args.at(-1) === 'many' ? '--actions' : args.at(-1) === 'soon' ? '--summary-every' : args.at(-1)!);
    });
  }, 120_000);

  it('the executable itself: a bad flag is one stderr line and exit code 2, --help exit 0', async () => {
    const [bad, help] = await Promise.all([spawnCli(['status', '--bogus']), spawnCli(['seed', '--help'])]);
    expect(bad).toEqual({ code: 2, stdout: [], stderr: ["brain-store status: Unknown option '--bogus' (see brain-store status --help)"] });
    expect(help.code).toBe(0);
    expect(help.stdout[0]).toMatch(/^Usage: brain-store seed/);
  }, 120_000);

  it('an unreachable server is one line on stderr and exit code 1', async () => {
    const server = `http://127.0.0.1:${await freePort()}`;
    const env = { AUTH_SECRET: 'unreachable-test-secret-0123456789' };
    const results = await Promise.all([
      run(['status', '--server', server], env),
      run(['seed', '--workspace', 'w', '--actions', '5', '--server', server], env),
    ]);
    for (const { code, stdout, stderr } of results) {
      expect({ code, lines: stderr.length, stdout }).toEqual({ code: 1, lines: 1, stdout: [] });
      expect(stderr[0]).toContain(`cannot reach the sync server at ${server}`);
    }
  }, 120_000);
});

describe('brain-store seed and status against a running server', () => {
  let server: TestServer;
  afterAll(() => server?.close());

  it('seed loads N actions through the push API (a pull sees all of them), and status counts them', async () => {
    server = await startTestServer({ backend: 'pglite' });
    const env = { AUTH_SECRET: server.secret };
    const seeded = await run(['seed', '--workspace', 'seeded', '--actions', '1200', '--batch', '500', '--server', server.url], env);
    expect(seeded.code).toBe(0);
    expect(seeded.stdout.at(-1)).toMatch(/^seeded 1200 actions into "seeded" in [\d.]+ s \(\d+ actions\/s\)$/);

    const store = await createBrainStore({ name: uniqueName(), storage: getRxStorageMemory() });
    try {
      const token = await createAccessToken({
        secret: server.secret,
        workspaces: ['seeded'],
        ttlSeconds: 600,
        role: 'bot',
        subject: 'test',
      });
      const sync = replicateBrainStore(store, { url: server.url, token, live: false, collections: ['brainActions'] });
      await sync.awaitInSync();
      await sync.cancel();
      const pulled = await store.database.brainActions.find().exec();
      expect(pulled).toHaveLength(1200);
      expect(new Set(pulled.map((doc) => doc.contact_id)).size).toBeGreaterThan(1100);
      expect(pulled.every((doc) => doc.status === 'pending' && doc.workspace_id === 'seeded')).toBe(true);
    } finally {
      await store.close();
    }

    const status = await run(['status', '--server', server.url], env);
    expect(status.code).toBe(0);
    expect(status.stdout.join('\n')).toMatch(/healthy/);
    expect(status.stdout.join('\n')).toMatch(/brainActions 1200\b/);
    expect(status.stdout.join('\n')).toMatch(/streams\s+\d+ connected/);
  }, 180_000);
});

describe('brain-store start (what npm start runs)', () => {
  const childrenOf = (pid: number) =>
    readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('prints exactly one URL, with the member token only in its #fragment, and stops by itself (bot child too) with --duration', async () => {
    const start = runCli(['start', '--port', '0', '--memory', '--duration', '3', '--no-build']);
    await start.waitFor(() => start.stdout.some((line) => line.includes('Open the dashboard')));
    const [bot] = childrenOf(start.child.pid!);
    expect(await start.exited).toBe(0);
    expect(start.stderr).toEqual([]);
    expect(bot !== undefined && alive(bot)).toBe(false);

    const output = start.stdout.join('\n');
    const urls = output.match(/https?:\/\/\S+/g) ?? [];
    expect(urls).toHaveLength(1);
    const url = new URL(urls[0]!);
    expect(url.search).toBe('');
    expect(url.pathname).toBe('/');
    const token = new URLSearchParams(url.hash.slice(1)).get('token');
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(output.split(token!).length - 1).toBe(1);
    const claims = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ role: 'member', sub: 'demo-user', workspaces: ['demo'] });
  }, 120_000);

  it('reads the configuration serve reads: PORT, HOST and the rest of the table from the environment (a real process on loopback)', async () => {
    const port = await freePort();
    const metricsToken = 'scraper-token-0123456789abcdef';
    const start = runCli(['start', '--memory', '--no-build', '--duration', '60'], {
      PORT: String(port),
      HOST: '127.0.0.1',
      METRICS_TOKEN: metricsToken,
    });
    try {
      await start.waitFor(() => start.stdout.some((line) => line.includes('Open the dashboard')));
      const link = new URL(/https?:\/\/\S+/.exec(start.stdout.join('\n'))![0]);
      expect(link.host).toBe(`127.0.0.1:${port}`);
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
      // METRICS_TOKEN (no operator JWT) opens /metrics, as it does for serve.
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('process_resident_memory_bytes');
    } finally {
      start.child.kill('SIGINT');
    }
    expect(await start.exited).toBe(0);
  }, 120_000);

  it("--print-config shows start's effective configuration (its own defaults named, secrets redacted) and makes nothing", async () => {
    const folder = await mkdtemp(join(tmpdir(), 'start-config-'));
    try {
      const printed = await run(['start', '--print-config', '--data-dir', join(folder, 'data'), '--host', '0.0.0.0'], { PORT: '9321' });
      expect(printed.code).toBe(0);
      const text = printed.stdout.join('\n');
      expect(text).toContain('PORT=9321  # environment');
      expect(text).toContain('HOST=0.0.0.0  # flag --host');
      expect(text).toContain(`DATA_DIR=${join(folder, 'data', 'pglite')}  # flag --data-dir`);
      expect(text).toContain(`AUTH_SECRET=[redacted]  # default (start: kept in ${join(folder, 'data', 'auth-secret')})`);
      expect(text).toContain('LOG_LEVEL=warn  # default (start)');
      expect(await readdir(folder)).toEqual([]);

      const secret = 'a-secret-from-the-environment';
      const withSecret = await run(['start', '--print-config', '--memory'], { AUTH_SECRET: secret, LOG_LEVEL: 'debug' });
      expect(withSecret.stdout).toContain('AUTH_SECRET=[redacted]  # environment');
      expect(withSecret.stdout).toContain('LOG_LEVEL=debug  # environment');
      expect(withSecret.stdout.join('\n')).not.toContain(secret);

      const bad = await run(['start', '--memory'], { PORT: 'eighty' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toEqual([
        'brain-store start: PORT must be a whole number from 0 to 65535 (got "eighty") (see brain-store start --help)',
      ]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('the limits are flags of serve and start too, from the one table: in --help, in --print-config as their source, over the environment; a bad one is one line naming it (issue 23)', async () => {
    for (const command of ['serve', 'start'] as const) {
      const help = (await run([command, '--help'])).stdout.join('\n');
      for (const flag of ['--max-connections', '--max-body-bytes', '--max-rows-per-subject', '--cost-window', '--statement-timeout']) {
        expect(help).toContain(flag);
      }
      const extra = command === 'start' ? ['--memory'] : [];
      const printed = await run([command, '--print-config', ...extra, '--max-connections', '500', '--cost-window', '30s'], {
        AUTH_SECRET: 'a-secret-from-the-environment',
        MAX_CONNECTIONS: '300',
        MAX_PUSH_ROWS: '200',
      });
      expect(printed.code).toBe(0);
      expect(printed.stdout).toContain('MAX_CONNECTIONS=500  # flag --max-connections');
      expect(printed.stdout).toContain('COST_WINDOW=30s  # flag --cost-window');
      expect(printed.stdout).toContain('MAX_PUSH_ROWS=200  # environment');
      const bad = await run([command, ...extra, '--max-connections', 'lots'], { AUTH_SECRET: 'a-secret-from-the-environment' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toEqual([
        `brain-store ${command}: --max-connections (MAX_CONNECTIONS) must be a whole number from 1 to 10000000 (got "lots") (see brain-store ${command} --help)`,
      ]);
    }
  });

  it('Ctrl-C stops the server and the bot child cleanly', async () => {
    const start = runCli(['start', '--port', '0', '--memory', '--no-build']);
    await start.waitFor(() => start.stdout.some((line) => line.includes('Open the dashboard')));
    const [bot] = childrenOf(start.child.pid!);
    expect(bot).toBeDefined();
    start.child.kill('SIGINT');
    expect(await start.exited).toBe(0);
    await until(() => !alive(bot!), 'the bot that start launched to exit', { timeoutMs: 30_000 });
  }, 120_000);
});
