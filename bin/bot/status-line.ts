/**
 * The bot's one status line: rewritten in place on a terminal, a plain line every
 * `intervalMs` otherwise (logs and pipes must not fill with carriage returns).
 */
import type { SyncState } from '../../src/index.ts';
import { defaultScheduler, type ExpiryScheduler } from '../../src/store/scheduler.ts';

export interface BotStatus {
  readonly written: number;
  readonly pending: number;
  readonly lastSyncedAt: number | null;
  readonly rejected: number;
  readonly state: SyncState;
}

/** "written 12 · pending 3 · last synced 4s ago · rejected 0 · idle" */
export function statusLine(status: BotStatus, now: number): string {
  return [
    `written ${status.written}`,
    `pending ${status.pending}`,
    `last synced ${status.lastSyncedAt === null ? 'never' : `${ago(now - status.lastSyncedAt)} ago`}`,
    `rejected ${status.rejected}`,
    status.state,
  ].join(' · ');
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3_600)}h`;
}

export interface StatusPrinterOptions {
  readonly write: (text: string) => void;
  readonly isTTY: boolean;
  readonly read: () => BotStatus;
  readonly now: () => number;
  /** Plain mode: a line this often (and on stop). On a TTY the line refreshes every second. */
  readonly intervalMs: number;
  readonly scheduler?: ExpiryScheduler;
}

export interface StatusPrinter {
  /** Redraw now (TTY) — call on every change. */
  update(): void;
  /** A message of its own line, above the status line. */
  log(line: string): void;
  /** The last line, then stop. */
  stop(): void;
}

export function createStatusPrinter(options: StatusPrinterOptions): StatusPrinter {
  const { write, isTTY, read, now } = options;
  const scheduler = options.scheduler ?? defaultScheduler;
  const render = () => `bot · ${statusLine(read(), now())}`;
  let shown = '';
  let stopped = false;
  let timer: unknown;
  const draw = () => {
    const line = render();
    if (line === shown) return;
    shown = line;
    write(`\r\x1b[2K${line}`);
  };
  const tick = () => {
    if (stopped) return;
    if (isTTY) draw();
    else write(`${render()}\n`);
    timer = scheduler.setTimeout(tick, isTTY ? 1_000 : options.intervalMs);
  };
  tick();
  return {
    update: () => {
      if (isTTY && !stopped) draw();
    },
    log(line) {
      if (isTTY) {
        write(`\r\x1b[2K${line}\n`);
        shown = '';
        draw();
      } else write(`${line}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      scheduler.clearTimeout(timer);
      if (isTTY) {
        shown = '';
        draw();
        write('\n');
      } else write(`${render()}\n`);
    },
  };
}
