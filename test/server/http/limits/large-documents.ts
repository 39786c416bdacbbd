import { MAX_TIME } from '../../../../src/collections/fields.ts';
import type { WireDocument } from '../../../../src/protocol/messages.ts';
import type { CreateSummaryArgs } from '../../../../src/collections/brain-summaries.ts';

/** A 4-byte UTF-8 character that counts as one code point: the schema's length limits at their widest. */
const WIDE = '\u{1F600}';

/**
 * Create arguments of a summary at the schema's limits (~1 MB of JSON): 50,000 wide
 * characters of text and 100 questions and 100 reasons of 1,000 each. `scale` (0..1] shrinks
 * every text for tests that lower the server's limits instead.
 */
export function largeSummaryArgs(workspace_id: string, scale = 1): CreateSummaryArgs {
  const chars = (n: number) => WIDE.repeat(Math.max(1, Math.floor(n * scale)));
  return {
    workspace_id,
    summary_text: chars(50_000),
    summary_type: 'daily',
    trigger: 'cron',
    triggered_by: 'x'.repeat(256),
    metrics: {
      newLeadsCount: 1,
      hotLeadsCount: 0,
      warmLeadsCount: 0,
      coldLeadsCount: 0,
      topQuestions: Array.from({ length: 100 }, () => chars(1_000)),
      rejectionReasons: Array.from({ length: 100 }, () => chars(1_000)),
    },
  };
}

/** The same as a wire document (for pushes by a bare client). */
export function largeSummary(id: string, workspace_id: string, created: number, scale = 1): WireDocument {
  return { id, ...largeSummaryArgs(workspace_id, scale), created_at: created, created_desc: MAX_TIME - created, _deleted: false };
}
