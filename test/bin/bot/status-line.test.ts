import { describe, expect, it } from 'vitest';
import type { ExpiryScheduler } from '../../../src/store/scheduler.ts';
import { createStatusPrinter, statusLine, type BotStatus } from '../../../bin/bot/status-line.ts';

const status: BotStatus = { written: 12, pending: 3, lastSyncedAt: 1_000, rejected: 1, state: 'offline' };

function timers() {
  const queue: (() => void)[] = [];
  const scheduler: ExpiryScheduler = { setTimeout: (run) => queue.push(run), clearTimeout: () => queue.splice(0) };
  return { scheduler, fire: () => queue.shift()?.() };
}

describe('the bot status line', () => {
  it('names written, pending, last synced, rejected and the sync state', () => {
    expect(statusLine(status, 5_400)).toBe('written 12 · pending 3 · last synced 4s ago · rejected 1 · offline');
    expect(statusLine({ ...status, lastSyncedAt: null }, 0)).toContain('last synced never');
  });

  it('on a terminal rewrites one line in place; elsewhere prints plain lines', () => {
    let current = status;
    const tty: string[] = [];
    const t = timers();
    const onTty = createStatusPrinter({
      write: (s) => tty.push(s),
      isTTY: true,
      read: () => current,
      now: () => 5_000,
      intervalMs: 10_000,
      scheduler: t.scheduler,
    });
    current = { ...status, written: 13 };
    onTty.update();
    onTty.log('wrote brainActions a1');
    onTty.stop();
    expect(tty.every((chunk) => chunk.startsWith('\r\x1b[2K') || chunk === '\n')).toBe(true);
    expect(tty.join('')).toContain('written 13');

    const plain: string[] = [];
    const p = timers();
    const onPipe = createStatusPrinter({
      write: (s) => plain.push(s),
      isTTY: false,
      read: () => status,
      now: () => 5_000,
      intervalMs: 10_000,
      scheduler: p.scheduler,
    });
    onPipe.update(); // no output between intervals
    p.fire();
    onPipe.stop();
    expect(plain.join('')).not.toContain('\r');
    expect(plain).toHaveLength(3);
    expect(plain.every((line) => line.startsWith('bot · written 12') && line.endsWith('\n'))).toBe(true);
  });
});
