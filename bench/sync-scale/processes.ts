/**
 * Forked processes for the sync-scale bench: sync servers and stream-client workers, each
 * with a bounded wait for every answer, all killed (SIGKILL after a grace) on stop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nextMessage } from '../../harness/next-message.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXEC_ARGV = ['--import', 'tsx'];

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
