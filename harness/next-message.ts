import type { ChildProcess } from 'node:child_process';

/**
 * The next IPC message of `type` from a forked `child`, or an error: the child's own `error`
 * message, its exit while waiting, or no answer within `timeoutMs`. Shared by every harness
 * that drives child processes over IPC (load test, sync-scale bench).
 */
export function nextMessage<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; message?: string }) => {
      if (message.type !== type && message.type !== 'error') return;
      cleanup();
      if (message.type === 'error') reject(new Error(`child process ${child.pid}: ${message.message}`));
      else resolve(message as T);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`child process ${child.pid} exited (${code ?? signal}) while waiting for ${type}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child process ${child.pid}: no ${type} within ${timeoutMs} ms`));
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
