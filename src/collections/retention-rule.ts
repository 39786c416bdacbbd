import { DAY_MS } from './fields.ts';
import { TERMINAL_ORDER } from './action-status.ts';

/**
 * How long a collection keeps its finished documents, declared beside the collection and
 * read by both sides: the local cleanup (src/expiry/purge-by-retention.ts, through an
 * index range) and the server's maintenance (src/server/maintenance, as SQL). The rule is
 * deterministic — it depends only on the document and the clock — so nobody needs to tell
 * anybody about a purge.
 */
export interface RetentionRule {
  /** The option of `RetentionOptions` that sets this collection's window. */
  readonly option: keyof RetentionOptions;
  /** The number field the window counts from (indexed on both sides). */
  readonly since: 'status_at' | 'created_at';
  /** Only documents in one of these statuses are ever purged; absent: every document. */
  readonly statuses?: readonly string[];
  /** The window when the option is not given; `null` keeps forever. */
  readonly defaultMs: number | null;
}

/**
 * Retention windows in milliseconds, the same type for a store (`startExpiryCleanup`) and a
 * server (`startSyncServer`). `null` keeps forever (`Infinity` is read the same way).
 */
export interface RetentionOptions {
  /** Terminal actions (actioned, dismissed, expired), counted from their terminal transition. Default 7 days. */
  readonly actionsMs?: number | null;
  /** Summaries, counted from created_at. Default: kept forever. */
  readonly summariesMs?: number | null;
  /** Insights, counted from created_at. Default: kept forever. */
  readonly insightsMs?: number | null;
}

export const DEFAULT_ACTION_RETENTION_MS = 7 * DAY_MS;

/** Actions: a terminal one goes a window after it became terminal; pending ones never. */
export const ACTION_RETENTION: RetentionRule = {
  option: 'actionsMs',
  since: 'status_at',
  statuses: TERMINAL_ORDER,
  defaultMs: DEFAULT_ACTION_RETENTION_MS,
};

/** Summaries and insights: kept unless a window is set, then counted from created_at. */
export function appendOnlyRetention(option: 'summariesMs' | 'insightsMs'): RetentionRule {
  return { option, since: 'created_at', defaultMs: null };
}
