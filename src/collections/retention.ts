import { COLLECTIONS } from './all-collections.ts';
import type { CollectionName } from './declare-collection.ts';
import type { RetentionOptions, RetentionRule } from './retention-rule.ts';
import { BrainStoreError } from '../errors/brain-store-error.ts';

/**
 * The retention rule each collection declares (`retention` in its declaration), applied.
 *
 * A local purge is a local eviction, never a deletion of shared data: the replication push
 * must drop the delete it produces (see `isRetentionDelete`), and the server purges its
 * copy by the same rule with its own windows.
 */

/** Retention per collection in milliseconds; `undefined` keeps everything. */
export type ResolvedRetention = Readonly<Record<CollectionName, number | undefined>>;

/** The rule a collection declares. */
export function retentionRule(collectionName: CollectionName): RetentionRule {
  return COLLECTIONS[collectionName].retention;
}

/** Checks one window: `undefined` keeps forever (null, Infinity); a CONFIG error names a bad value. */
export function retentionWindow(option: string, value: number | null | undefined): number | undefined {
  if (value === null || value === undefined || value === Infinity) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new BrainStoreError('CONFIG', {
      parameters: { option: `retention.${option}`, value },
      message: `retention.${option} must be a number of milliseconds ≥ 0 (or null to keep forever).`,
    });
  }
  return value;
}

/** Fills in each collection's declared default and checks the windows. */
export function resolveRetention(options: RetentionOptions = {}): ResolvedRetention {
  const resolve = (name: CollectionName) => {
    const rule = retentionRule(name);
    const given = options[rule.option];
    return retentionWindow(rule.option, given === undefined ? rule.defaultMs : given);
  };
  return { brainActions: resolve('brainActions'), brainSummaries: resolve('brainSummaries'), brainInsights: resolve('brainInsights') };
}

/** Documents whose retention time is strictly before this instant are purged; undefined: none. */
export function retentionCutoff(collectionName: CollectionName, now: number, retention: ResolvedRetention): number | undefined {
  const keepMs = retention[collectionName];
  return keepMs === undefined ? undefined : now - keepMs;
}

/** Any stored or pushed document of the three collections; the rules read `status` and their `since` field. */
export type RetentionFields = Readonly<Record<string, unknown>>;

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
  const rule = retentionRule(collectionName);
  if (rule.statuses && !rule.statuses.includes(doc['status'] as string)) return false;
  const since = doc[rule.since];
  return typeof since === 'number' && since < cutoff;
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
  doc: RetentionFields,
  now: number,
  retention: RetentionOptions | ResolvedRetention = {},
): boolean {
  return doc['_deleted'] === true && isPurgedByRetention(collectionName, doc, now, retention);
}

function isResolved(retention: RetentionOptions | ResolvedRetention): retention is ResolvedRetention {
  return 'brainActions' in retention;
}
