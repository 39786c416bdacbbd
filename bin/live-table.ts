/** Plain-text rendering for the CLI demo: one line per log entry, a fixed-width action table. */
import type { BrainAction, BrainSummary } from '../src/index.ts';

const HOUR_MS = 3_600_000;

/** `[  1.5s]` — seconds since `start` on the real clock, so pacing reads naturally. */
export function stamp(start: number): string {
  return `[${((Date.now() - start) / 1000).toFixed(1).padStart(5)}s]`;
}

/** "23h59m", "1.0s", "expired" — the time left until `expiresAt` by the store's clock. */
export function timeLeft(expiresAt: number, now: number): string {
  const left = expiresAt - now;
  if (left <= 0) return 'expired';
  if (left < 60_000) return `${(left / 1000).toFixed(1)}s`;
  const hours = Math.floor(left / HOUR_MS);
  const minutes = Math.floor((left % HOUR_MS) / 60_000);
  return `${hours}h${String(minutes).padStart(2, '0')}m`;
}

const COLUMNS = [
  ['#', 2],
  ['pri', 3],
  ['urgency', 9],
  ['type', 17],
  ['contact', 7],
  ['expires in', 10],
  ['reason', 0],
] as const;

function row(cells: readonly string[]): string {
  return (
    '    ' +
    cells
      .map((cell, index) => {
        const width = COLUMNS[index]?.[1] ?? 0;
        return index < 2 ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd()
  );
}

/** The live "actions by priority" table, highest priority first. */
export function actionTable(actions: readonly BrainAction[], now: number): string {
  if (actions.length === 0) return '    (no pending actions)';
  const lines = [row(COLUMNS.map(([title]) => title))];
  actions.forEach((action, index) => {
    lines.push(
      row([
        String(index + 1),
        String(action.priority),
        action.urgency,
        action.action_type,
        action.contact_id,
        timeLeft(action.expires_at, now),
        action.reason,
      ]),
    );
  });
  return lines.join('\n');
}

/** One line for the latest summary. */
export function summaryLine(summary: BrainSummary | null): string {
  if (!summary) return '(none yet)';
  const { metrics } = summary;
  return `${summary.summary_type}: "${summary.summary_text}" — ${metrics.newLeadsCount} new, ${metrics.hotLeadsCount} hot, ${metrics.warmLeadsCount} warm, ${metrics.coldLeadsCount} cold`;
}
