/**
 * Forked processes for the sync-scale bench: sync servers and stream-client workers, each
 * with a bounded wait for every answer, all killed (SIGKILL after a grace) on stop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXEC_ARGV = ['--import', 'tsx'];

/** The next IPC message of `type` from `child`, or an error after `timeoutMs`. */
export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; message?: string }) => {
      if (message.type === 'error') {
        cleanup();
        reject(new Error(`child ${child.pid}: ${message.message}`));
      } else if (message.type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${code}) while waiting for ${type}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child ${child.pid}: no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ type: 'stop' }, () => undefined);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stats(): Promise<{
    cpu: NodeJS.CpuUsage;
    meter: { statements: number; transactions: number; byStatement: Record<string, { count: number; ms: number }> };
  }>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function forkServer(pgUrl: string, secret: string): Promise<ServerProcess> {
  const child = fork(join(HERE, 'server-process.ts'), [], {
    execArgv: EXEC_ARGV,
    env: { ...process.env, BENCH_PG_URL: pgUrl, BENCH_SECRET: secret },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { url } = await nextMessage<{ url: string }>(child, 'ready', 30_000);
    return {
      child,
      url,
      async stats() {
        const answer = nextMessage<{ cpu: NodeJS.CpuUsage; meter: never }>(child, 'stats', 10_000);
        child.send({ type: 'stats' });
        return answer;
      },
      async reset() {
        const answer = nextMessage(child, 'reset', 10_000);
        child.send({ type: 'reset' });
        await answer;
      },
      stop: () => stopChild(child),
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

export function forkClients(): ChildProcess {
  return fork(join(HERE, 'stream-clients.ts'), [], { execArgv: EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
