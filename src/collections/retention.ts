import { DAY_MS } from './fields.ts';
import type { CollectionName } from './declare-collection.ts';
import { BrainStoreError } from '../errors/brain-store-error.ts';

/**
 * How long finished data stays in the local database.
 *
 * The rule is deterministic — it depends only on the document and the clock — so the server
 * applies the same rule to its own copy (with its own durations) and nobody needs to tell
 * anybody about a purge:
 * - an action whose status is terminal (actioned, dismissed, expired) is purged once
 *   `status_at < now - actionsMs` (status_at is when it entered that status);
 * - a summary or an insight is purged once `created_at < now - summariesMs / insightsMs`,
 *   only when that duration is set (they are kept by default).
 *
 * A local purge is a local eviction, never a deletion of shared data: the replication
 * push must drop the delete it produces (see `isPurgedByRetention`), and the server purges
 * its copy by its own retention.
 */
export interface RetentionOptions {
  /** Terminal actions, counted from their terminal transition. Default 7 days; `Infinity` keeps them. */
  readonly actionsMs?: number;
  /** Summaries, counted from created_at. Default: kept forever. */
  readonly summariesMs?: number;
  /** Insights, counted from created_at. Default: kept forever. */
  readonly insightsMs?: number;
}

/** Retention per collection; `undefined` keeps everything. */
export type ResolvedRetention = Readonly<Record<CollectionName, number | undefined>>;

export const DEFAULT_ACTION_RETENTION_MS = 7 * DAY_MS;

/** Fills in the defaults and checks the durations (a CONFIG error names the bad option). */
export function resolveRetention(options: RetentionOptions = {}): ResolvedRetention {
  const check = (option: keyof RetentionOptions, value: number | undefined) => {
    if (value === undefined || value === Infinity) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new BrainStoreError('CONFIG', {
        parameters: { option: `retention.${option}`, value },
        message: `retention.${option} must be a number of milliseconds ≥ 0 (or Infinity to keep forever).`,
      });
    }
    return value;
  };
  return {
    brainActions: check('actionsMs', options.actionsMs ?? DEFAULT_ACTION_RETENTION_MS),
    brainSummaries: check('summariesMs', options.summariesMs),
    brainInsights: check('insightsMs', options.insightsMs),
  };
}

/** Documents whose retention time is strictly before this instant are purged; undefined: none. */
export function retentionCutoff(collectionName: CollectionName, now: number, retention: ResolvedRetention): number | undefined {
  const keepMs = retention[collectionName];
  return keepMs === undefined ? undefined : now - keepMs;
}

/** The fields the rule reads; any stored or pushed document of the three collections has them. */
export interface RetentionFields {
  readonly status?: unknown;
  readonly status_at?: unknown;
  readonly created_at?: unknown;
}

const TERMINAL = new Set<unknown>(['actioned', 'dismissed', 'expired']);

/**
 * Whether `doc` is past its retention at `now`: the local purge deletes exactly these
 * documents, and the replication push uses it to drop their deletes instead of sending them
 * upstream (the server purges its own copy by the same rule).
 *
 * Pure and monotone in `now`: once true for a document, it stays true as time advances.
 * `retention` may be the options (defaults filled in) or an already resolved retention.
 *
 * @example
 * isPurgedByRetention('brainActions', { status: 'dismissed', status_at: Date.now() - 8 * 86_400_000 }, Date.now()); // true
 */
export function isPurgedByRetention(
  collectionName: CollectionName,
  doc: RetentionFields,
  now: number,
  retention: RetentionOptions | ResolvedRetention = {},
): boolean {
  const resolved = isResolved(retention) ? retention : resolveRetention(retention);
  const cutoff = retentionCutoff(collectionName, now, resolved);
  if (cutoff === undefined) return false;
  if (collectionName === 'brainActions') {
    return TERMINAL.has(doc.status) && typeof doc.status_at === 'number' && doc.status_at < cutoff;
  }
  return typeof doc.created_at === 'number' && doc.created_at < cutoff;
}

/**
 * The push rule, for the replication's push modifier: a delete of a document that is past
 * its retention is a local purge, so it is dropped, never pushed. Any other delete, and any
 * live document (however old), is pushed as usual.
 *
 * @example
 * push: { modifier: (doc) => (isRetentionDelete('brainActions', doc, store.now(), retentionInUse(store.database)) ? null : doc) }
 */
export function isRetentionDelete(
  collectionName: CollectionName,
  doc: RetentionFields & { readonly _deleted?: unknown },
  now: number,
  retention: RetentionOptions | ResolvedRetention = {},
): boolean {
  return doc._deleted === true && isPurgedByRetention(collectionName, doc, now, retention);
}

function isResolved(retention: RetentionOptions | ResolvedRetention): retention is ResolvedRetention {
  return 'brainActions' in retention;
}
