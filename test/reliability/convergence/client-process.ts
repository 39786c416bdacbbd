import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./client-child.ts', import.meta.url));

export type Answer = { ok: true; result: unknown } | { ok: false; code: string; message: string };

/** A line the child writes on its own, not an answer: pushed states the server answered with a tombstone. */
export interface TombstonedEvent {
  readonly event: 'tombstoned';
  readonly docs: readonly Record<string, unknown>[];
}

/** The parent's handle on one client-child.ts process: `call` sends a command and awaits its answer. */
export interface ClientProcess {
  call(cmd: string, args?: Record<string, unknown>): Promise<Answer>;
  /** Like call, but a refused command throws. */
  must<T = unknown>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
  /** SIGKILL: no clean close, no flush; resolves once the process is gone. */
  kill(): Promise<void>;
}

export function startClientProcess(onEvent: (event: TombstonedEvent) => void = () => undefined): ClientProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, VITEST: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const waiting = new Map<number, { resolve: (answer: Answer) => void; reject: (error: Error) => void }>();
  const exited = new Promise<void>((resolve) =>
    child.once('close', (code, signal) => {
      for (const { reject } of waiting.values()) reject(new Error(`client process exited (${code ?? signal}): ${stderr}`));
      waiting.clear();
      resolve();
    }),
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as (Answer & { n: number }) | TombstonedEvent;
    if ('event' in message) return onEvent(message);
    const answer = message;
    waiting.get(answer.n)?.resolve(answer);
    waiting.delete(answer.n);
  });
  let counter = 0;
  const call = (cmd: string, args: Record<string, unknown> = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const n = ++counter;
      waiting.set(n, { resolve, reject });
      child.stdin!.write(`${JSON.stringify({ n, cmd, ...args })}\n`);
    });
  return {
    call,
    async must<T>(cmd: string, args: Record<string, unknown> = {}) {
      const answer = await call(cmd, args);
      if (!answer.ok) throw new Error(`${cmd} failed: ${answer.code} ${answer.message}`);
      return answer.result as T;
    },
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
