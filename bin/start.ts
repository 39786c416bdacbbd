/**
 * `brain-store start` (what `npm start` runs): the sync server on embedded PGlite, the bot as
 * a child process (as it runs in real use, with its own durable store) and the dashboard the
 * server serves, built first when missing or stale. Prints one URL — the dashboard, with a
 * member token in the fragment, which browsers never send to a server or put in its logs.
 * Ctrl-C (or --duration) stops everything; the next start reuses the data folder and its
 * signing secret, so links printed before keep working. It reads the configuration `serve`
 * reads (PORT, HOST, DATABASE_URL, LOG_LEVEL … and --print-config: bin/server-config.ts),
 * with defaults of its own: logs at warn, a kept secret, the dashboard it builds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSyncServer } from '../src/server/index.ts';
import type { ConfigInput } from '../src/server/config/parse-server-config.ts';
import { CliError, CliFailure } from './cli-error.ts';
import { numberOption } from './cli-options.ts';
import { buildDashboard, dashboardBuildReason, dashboardOutput } from './dashboard-build.ts';
import { mintToken } from './mint-token.ts';
import { SECRET_FILE, startSecret } from './start-secret.ts';
import { DEFAULT_DATA_DIR } from './server-defaults.ts';
import { configOf, flagsOf, printedConfig, SERVER_FLAG_OPTIONS, SERVER_FLAGS, serverOptionsOf } from './server-config.ts';
import { STOP_WITH_STDIN } from './bot/bot-defaults.ts';

/** The person the dashboard link is for: recorded as `actioned_by` when they mark an action done. */
export const DEMO_MEMBER = 'demo-user';
const MEMBER_TOKEN_TTL_SECONDS = 7 * 24 * 3_600;
const BOT_STOP_GRACE_MS = 5_000;

export async function runStart(argv: readonly string[], print: (line: string) => void = console.log): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      ...SERVER_FLAG_OPTIONS,
      memory: { type: 'boolean' },
      workspace: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      'no-build': { type: 'boolean' },
    },
  });
  const rate = numberOption('rate', values.rate, 12, 0);
  const duration = values.duration === undefined ? undefined : numberOption('duration', values.duration, 0, 0);
  const workspace = values.workspace ?? 'demo';
  if (values.memory && values['data-dir'] !== undefined) throw new CliError('--memory and --data-dir exclude each other');
  const root = packageRoot();
  const env = process.env;
  // serve's flags and variables, except --data-dir: start's folder, PGlite in its pglite/.
  const flags = {
    ...flagsOf(values, SERVER_FLAGS),
    ...(values['data-dir'] === undefined ? {} : { DATA_DIR: join(values['data-dir'], 'pglite') }),
  };
  const layout = startLayout({ memory: values.memory === true, dataDir: flags.DATA_DIR ?? (env['DATA_DIR'] || DEFAULT_DATA_DIR) });
  const ownDashboard = (flags.DASHBOARD_DIR ?? (env['DASHBOARD_DIR'] || undefined)) === undefined;
  const dashboard = dashboardOutput(root);
  const input = (secret: string, dashboardDir: string | undefined): ConfigInput => ({
    env,
    flags,
    defaults: {
      LOG_LEVEL: { value: 'warn', note: 'start' },
      AUTH_SECRET: { value: secret, note: layout.folder ? `start: kept in ${join(layout.folder, SECRET_FILE)}` : 'start: new each run' },
      ...(dashboardDir === undefined ? {} : { DASHBOARD_DIR: { value: dashboardDir, note: 'start: built when missing or stale' } }),
    },
  });

  if (values['print-config']) {
    // Nothing is made or built: the secret shows as kept (redacted either way).
    print(printedConfig(input('(made on the first start)', ownDashboard ? dashboard : undefined)).trimEnd());
    print(`# start: ${layout.describe}; the bot writes ${rate} actions a minute to workspace "${workspace}"`);
    return;
  }
  // Checked before anything is made, built or opened: a bad value is one line naming it.
  configOf(input('checking-the-configuration', undefined));
  const secret = env['AUTH_SECRET'] || (await startSecret({ env: undefined, dataDir: layout.folder }));
  // Listening from the start: a Ctrl-C during start-up still stops cleanly once up.
  const stopped = untilStopped(duration);

  const reason = !ownDashboard || values['no-build'] ? undefined : dashboardBuildReason({ root });
  if (reason) {
    print(`building the dashboard (${reason === 'missing' ? 'first run' : 'sources changed'})…`);
    await buildDashboard({ root });
  }
  const served = ownDashboard && existsSync(join(dashboard, 'index.html')) ? dashboard : undefined;
  const config = configOf(input(secret, served));
  // --memory: PGlite without a folder (in memory).
  const { dataDir, ...options } = serverOptionsOf(config);
  const server = await startSyncServer(layout.folder && dataDir ? { ...options, dataDir } : options).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'EADDRINUSE')
      throw new CliFailure(`port ${config.port} is in use — stop what runs there or pass --port 0 (or set PORT)`);
    throw error;
  });
  const url = reachable(server.url);
  let bot: ChildProcess | undefined;
  try {
    bot = startBot({ url, workspace, rate, secret, ...(layout.folder ? { file: join(layout.folder, 'bot.sqlite') } : {}), print });
    const token = await mintToken({
      secret,
      workspaces: [workspace],
      role: 'member',
      subject: DEMO_MEMBER,
      ttlSeconds: MEMBER_TOKEN_TTL_SECONDS,
    });
    const database =
      config.databaseUrl === undefined
        ? `PGlite ${layout.folder ? `in ${resolve(config.dataDir)}` : 'in memory'}`
        : 'PostgreSQL (DATABASE_URL)';
    print(`brain-store: sync server (${database}), bot writing ${rate}/min to workspace "${workspace}"`);
    print(`\n  Open the dashboard: ${url}/#token=${token}\n`);
    if (!ownDashboard) print(`(serving the dashboard in ${resolve(config.dashboardDir!)})`);
    else if (served === undefined) print('(no dashboard build in dist/dashboard: that address serves the sync API only)');
    print(duration === undefined ? 'Ctrl-C stops everything.' : `Stopping by itself after ${duration} s.`);
    await stopped;
  } finally {
    await stopBot(bot);
    await server.close();
  }
}

interface StartLayout {
  /** Where the signing secret and the bot's store are kept; undefined with --memory. */
  readonly folder: string | undefined;
  readonly describe: string;
}

/**
 * start keeps its signing secret and the bot's store beside the PGlite folder (DATA_DIR,
 * default .data/pglite): in its parent, .data by default. --memory keeps nothing on disk.
 */
function startLayout({ memory, dataDir }: { memory: boolean; dataDir: string }): StartLayout {
  if (memory)
    return { folder: undefined, describe: "the signing secret, the bot's store and any PGlite (DATA_DIR unused) in memory (--memory)" };
  const folder = dirname(resolve(dataDir));
  return { folder, describe: `signing secret and the bot's store kept in ${folder} (${SECRET_FILE}, bot.sqlite)` };
}

/** A URL to open and to connect to: a wildcard listening address (0.0.0.0, ::) is reached on loopback. */
function reachable(url: string): string {
  return url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
}

interface BotChildOptions {
  readonly url: string;
  readonly workspace: string;
  readonly rate: number;
  readonly secret: string;
  readonly file?: string;
  readonly print: (line: string) => void;
}

/** The bot as its own process, through this same CLI (tsx or built JavaScript alike). */
function startBot({ url, workspace, rate, secret, file, print }: BotChildOptions): ChildProcess {
  const args = ['bot', '--server', url, '--workspace', workspace, '--rate', String(rate), '--status-every', '60s'];
  args.push(...(file ? ['--data', file] : ['--memory']));
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], {
    // The secret travels in the environment, never in arguments (visible in process lists).
    env: { ...process.env, AUTH_SECRET: secret, [STOP_WITH_STDIN]: '1' },
    // Its own process group: a terminal's Ctrl-C reaches only this process, which then stops
    // the bot once (a second signal mid-shutdown would cut its clean close short). Its stdin
    // is a pipe from us: if we die without stopping it, the pipe closes and the bot stops too.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    // Its status lines only: its banner repeats the server URL, and start prints one URL.
    for (const line of lines) if (line.startsWith('bot · ')) print(line);
  });
  child.stderr?.pipe(process.stderr);
  child.once('exit', (code, signal) => {
    if (!stopping.has(child)) print(`brain-store: the bot stopped (${signal ?? `exit ${code}`}); the server keeps serving`);
  });
  return child;
}

const stopping = new WeakSet<ChildProcess>();

/** SIGTERM (the bot closes its store cleanly); SIGKILL if it has not exited within the grace. */
async function stopBot(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  stopping.add(child);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), BOT_STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function untilStopped(durationSeconds: number | undefined): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      clearTimeout(timer);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    // unref: the server keeps the process alive; a failed start-up must not wait for the timer.
    const timer = durationSeconds === undefined ? undefined : setTimeout(stop, durationSeconds * 1000).unref();
  });
}

/** The folder holding brain-store's package.json (bin/ from source, dist/bin/ when built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
