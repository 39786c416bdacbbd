import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  /** The server's URL, or the error it printed when it could not start. */
  readonly started: { url: string } | { error: { code: string; message: string } };
  /** Resolves with the exit code or signal name. */
  readonly exited: Promise<number | string>;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
}

/**
 * Starts `harness/server-child.ts` in its own process (through tsx) and waits
 * for its first line. `env`: AUTH_SECRET and DATABASE_URL or DATA_DIR. `spawnOptions` may
 * set `uid`/`gid` (e.g. to run as an unprivileged user, for whom file modes hold).
 */
export async function startServerProcess(env: Readonly<Record<string, string>>, spawnOptions: SpawnOptions = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, ...env, VITEST: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...spawnOptions,
  });
  const exited = new Promise<number | string>((resolve) => child.once('close', (code, signal) => resolve(code ?? signal ?? -1)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = await new Promise<ServerProcess['started']>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server process did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as ServerProcess['started']);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server process exited (${code}) before printing its URL: ${stderr}`));
    });
  });
  return {
    child,
    started,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The URL of a started server process (throws with its printed error otherwise). */
export function urlOf(server: ServerProcess): string {
  if ('error' in server.started) throw new Error(`server did not start: ${JSON.stringify(server.started.error)}`);
  return server.started.url;
}
