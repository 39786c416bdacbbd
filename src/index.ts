export { createBrainStore } from './store/create-brain-store.ts';
export type { BrainStore, BrainDatabase, BrainCollections, CreateBrainStoreOptions } from './store/create-brain-store.ts';
export { BrainStoreError, ERROR_CODES, isBrainStoreError } from './errors/brain-store-error.ts';
export type { BrainStoreErrorCode, BrainStoreIssue } from './errors/brain-store-error.ts';
export type { LiveQuery } from './queries/live-query.ts';
export type { SummaryQueries } from './queries/brain-summaries.ts';
export type { InsightQueries } from './queries/brain-insights.ts';
export type { ActionQueries } from './queries/brain-actions.ts';
export { COLLECTIONS } from './collections/all-collections.ts';
export { brainSummaries, SUMMARY_TYPES, SUMMARY_TRIGGERS } from './collections/brain-summaries.ts';
export type { BrainSummary, CreateSummaryArgs, SummaryMetrics, SummaryType } from './collections/brain-summaries.ts';
export { brainInsights, INSIGHT_TYPES, INSIGHT_CONFIDENCES, INSIGHT_TIME_RANGES } from './collections/brain-insights.ts';
export type { BrainInsight, CreateInsightArgs, InsightType, InsightTimeRange } from './collections/brain-insights.ts';
export { brainActions, ACTION_TYPES, ACTION_URGENCIES } from './collections/brain-actions.ts';
export type { BrainAction, CreateActionArgs, ActionUrgency } from './collections/brain-actions.ts';
export { ACTION_STATUSES, mergeActionVersions } from './collections/action-status.ts';
export type { ActionStatus } from './collections/action-status.ts';
export { replicateBrainStore } from './replication/replicate-brain-store.ts';
export type { BrainSync, ReplicateBrainStoreOptions } from './replication/replicate-brain-store.ts';
export type { SyncStatus, SyncState } from './replication/sync-status.ts';
export type { SyncSession } from './replication/watch-session.ts';
export type {
  FirstSyncProgress,
  FirstSyncCollectionProgress,
  FirstSyncState,
  FirstSyncKind,
} from './replication/first-sync/run-first-sync.ts';
export type { GetToken, TokenProblem, TokenRequest } from './replication/access-token-source.ts';
export { ROLES } from './collections/write-rules.ts';
export type { Role, Writer } from './collections/write-rules.ts';
export type { RejectedWrite } from './replication/rejected-writes.ts';
export { PROTOCOL_VERSION } from './protocol/protocol-version.ts';
export { startExpiryCleanup } from './expiry/start-expiry-cleanup.ts';
export type { ExpiryCleanupOptions, ExpiryRunReport, ExpiryStore } from './expiry/start-expiry-cleanup.ts';
export type { ExpiryScheduler } from './store/scheduler.ts';
export type { Timers } from './queries/query-context.ts';
export { defaultScheduler, timerDelay, whenClockReaches } from './store/scheduler.ts';
export { isPurgedByRetention, isRetentionDelete } from './collections/retention.ts';
export { DEFAULT_ACTION_RETENTION_MS } from './collections/retention-rule.ts';
export type { RetentionOptions } from './collections/retention-rule.ts';
