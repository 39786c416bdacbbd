/**
 * `brain-store serve` as the operator runs it (the CLI, configured by environment), in its own
 * process, for the reconnect bench: its info-level access lines are where the reconnects are
 * recorded. A change stream's line is written when its response starts, with the server's own
 * `time` and the `ms` the request took until then, so `time - ms` is when the server began
 * handling it (its arrival, whatever the server's backlog) and `time` when it was answered.
 * SIGKILL stops it the hard way: no drain, no retry hint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/brain-store.ts', import.meta.url));

export interface ServeProcess {
  readonly url: string;
  /** When the server logged 'sync server listening' (epoch ms, its clock). */
  readonly listeningAt: number;
  /** Each change stream it answered 200: arrival and answer (epoch ms, the server's clock), in answer order. */
  readonly streamOpens: readonly { readonly arrivedAt: number; readonly answeredAt: number }[];
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
}

interface LogLine {
  readonly time?: number;
  readonly msg?: string;
  readonly url?: string;
  readonly path?: string;
  readonly status?: number;
  readonly ms?: number;
}

export async function startServe(env: Readonly<Record<string, string>>, streamPath: string): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const streamOpens: { arrivedAt: number; answeredAt: number }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const listening = new Promise<{ url: string; at: number }>((resolve, reject) => {
    let rest = '';
    const timer = setTimeout(() => reject(new Error(`brain-store serve did not listen within 60 s: ${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const text of lines) {
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        if (line.msg === 'request' && line.path === streamPath && line.status === 200 && line.time !== undefined)
          streamOpens.push({ arrivedAt: line.time - (line.ms ?? 0), answeredAt: line.time });
        else if (line.msg === 'sync server listening' && line.url !== undefined && line.time !== undefined) {
          clearTimeout(timer);
          resolve({ url: line.url, at: line.time });
        }
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`brain-store serve exited before listening: ${stderr}`));
    });
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    const { url, at } = await listening;
    return { url, listeningAt: at, streamOpens, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
