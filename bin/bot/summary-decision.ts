/**
 * The rule that keeps a restart from writing a second daily summary (the original bot's
 * reason for `getRecentSummaries`): a summary of this type already written within the period
 * means none is due until the period after it has passed.
 */
import type { BrainSummary, SummaryType } from '../../src/index.ts';

export interface SummaryDecision {
  /** Write a summary now. */
  readonly due: boolean;
  /** When to look again (epoch ms): a period from now after writing, else just past the existing one's period. */
  readonly nextAt: number;
}

/**
 * @param recent the answer of `getRecentSummaries({ workspace_id, days: period })`, newest first
 * @example
 * const recent = await store.brainSummaries.getRecentSummaries({ workspace_id, days: 1 }).exec();
 * const { due, nextAt } = summaryDecision(recent, 'daily', store.now(), DAY_MS);
 */
export function summaryDecision(recent: readonly BrainSummary[], type: SummaryType, now: number, periodMs: number): SummaryDecision {
  const latest = recent.find((summary) => summary.summary_type === type);
  if (!latest) return { due: true, nextAt: now + periodMs };
  // The window includes its first instant (created_at ≥ now − period), so the existing
  // summary leaves it one millisecond after created_at + period.
  return { due: false, nextAt: Math.max(now, latest.created_at + periodMs + 1) };
}

/** A 24 h cadence writes `daily` summaries; any other cadence writes `scheduled` ones. */
export function summaryTypeFor(periodMs: number): SummaryType {
  return periodMs === 86_400_000 ? 'daily' : 'scheduled';
}
