import { brainActions } from './brain-actions.ts';
import { brainInsights } from './brain-insights.ts';
import { brainSummaries } from './brain-summaries.ts';

/** The three collections, by name. */
export const COLLECTIONS = { brainSummaries, brainInsights, brainActions } as const;
