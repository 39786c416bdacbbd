import * as z from 'zod/mini';
import type { RxJsonSchema, MigrationStrategies } from 'rxdb';
import { BrainStoreError, type BrainStoreIssue } from '../errors/brain-store-error.ts';
import { descendingTime } from './fields.ts';
import { appendOnlyWriteRules, type WriteRules } from './write-rules.ts';
import type { FirstSyncPart } from './first-sync-parts.ts';
import type { RetentionRule } from './retention-rule.ts';
import { installEnglishZodMessages } from './zod-messages.ts';

installEnglishZodMessages();

export type CollectionName = 'brainSummaries' | 'brainInsights' | 'brainActions';

/** How two versions of one document resolve, the same on every client and on the server. */
export type MergeRule<Doc> = (master: Doc, incoming: Doc) => Doc;

export interface CollectionDeclaration<Doc extends { id: string; workspace_id: string }, Public> {
  readonly name: CollectionName;
  /** The single source of truth: field types, enums, bounds. */
  readonly document: z.ZodMiniType<Doc>;
  /**
   * The RxDB JSON schema derived from `document` (at build time: json-schemas.generated.ts),
   * with version, primary key and indexes.
   */
  readonly jsonSchema: RxJsonSchema<Doc>;
  readonly migrationStrategies: MigrationStrategies;
  /**
   * The schema version before `jsonSchema.version`, as clients of the previous protocol still
   * send and read it: the server upgrades what they push (`current`: its stored version) and
   * downgrades what they pull. Absent while a collection has never changed its schema.
   */
  readonly previousVersion?: PreviousSchemaVersion;
  /** Cross-field rules JSON schema cannot say (derived sort keys agree with their source). */
  readonly invariants: (doc: Doc) => BrainStoreIssue[];
  /** The public shape: the stored document without the derived sort keys. */
  readonly toPublic: (doc: Doc) => Public;
  readonly merge: MergeRule<Doc>;
  /** Who may write what and which times a write may carry (write-rules.ts), judged by the server and a store that knows its role. */
  readonly writeRules: WriteRules<Doc>;
  /** What a first sync brings before the rest of the collection (first-sync-parts.ts), read by the server's SQL and the client. */
  readonly firstSync: readonly FirstSyncPart[];
  /** How long finished documents stay (retention-rule.ts), applied by the local cleanup and the server's SQL alike. */
  readonly retention: RetentionRule;
}

export interface PreviousSchemaVersion {
  readonly version: number;
  /** Whether a document is of the previous version (as an old client sends it). */
  readonly isPrevious: (doc: Record<string, unknown>) => boolean;
  readonly upgrade: (doc: Record<string, unknown>, current?: Record<string, unknown>) => Record<string, unknown>;
  readonly downgrade: (doc: Record<string, unknown>) => Record<string, unknown>;
}

/** A collection's JSON schema as `z.toJSONSchema` derives it from the zod declaration (no `$schema`). */
export type DerivedJsonSchema = Readonly<Record<string, unknown>>;

export interface RxSchemaOptions {
  readonly title: string;
  readonly version: number;
  readonly indexes: readonly (readonly string[])[];
}

/** The issue when a document's newest-first sort key is not derived from its `created_at`. */
export function createdDescIssues(doc: { readonly created_at: number; readonly created_desc: number }): BrainStoreIssue[] {
  return doc.created_desc === descendingTime(doc.created_at)
    ? []
    : [{ path: ['created_desc'], message: 'must equal MAX_TIME - created_at', code: 'invariant' }];
}

type AppendOnlyDoc = { id: string; workspace_id: string; created_at: number; created_desc: number };

/**
 * The rules of an append-only, newest-first collection (summaries, insights): the sort key
 * agrees with `created_at`, the public shape drops it, and a conflicting edit keeps the
 * server's version.
 */
export function appendOnlyRules<Doc extends AppendOnlyDoc>(): Pick<
  CollectionDeclaration<Doc, Omit<Doc, 'created_desc'>>,
  'invariants' | 'toPublic' | 'merge' | 'writeRules'
> {
  return {
    invariants: createdDescIssues,
    toPublic: ({ created_desc: _sortKey, ...rest }) => rest,
    merge: (master) => master,
    writeRules: appendOnlyWriteRules<Doc>(),
  };
}

/**
 * The RxDB JSON schema of a collection: the JSON schema derived from its zod declaration
 * (`deriveJsonSchema`, run at build time into json-schemas.generated.ts so the browser ships
 * no JSON-schema generator) with its title, version, primary key and indexes.
 */
export function toRxJsonSchema<Doc>(json: DerivedJsonSchema, options: RxSchemaOptions): RxJsonSchema<Doc> {
  return {
    ...json,
    title: options.title,
    version: options.version,
    primaryKey: 'id',
    type: 'object',
    indexes: options.indexes.map((index) => [...index]),
  } as unknown as RxJsonSchema<Doc>;
}

/**
 * Converts zod issues into the store's issue shape (path + message + code). An unknown key
 * becomes one issue per key whose path ends in that key, so callers can point at it.
 */
export function toIssues(error: z.core.$ZodError, prefix: readonly (string | number)[] = []): BrainStoreIssue[] {
  return error.issues.flatMap((issue): BrainStoreIssue[] => {
    const path = [...prefix, ...issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment))];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"`, code: issue.code }));
    }
    return [{ path, message: issue.message, code: issue.code }];
  });
}

/**
 * Objects must be plain JSON-like data: a class instance or an object with a swapped
 * prototype could feed zod inherited fields. Returns the issues (empty when plain).
 */
export function plainDataIssues(value: unknown, path: (string | number)[] = []): BrainStoreIssue[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, index) => plainDataIssues(item, [...path, index]));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    return [{ path, message: 'must be a plain object', code: 'invalid_type' }];
  }
  return Object.keys(value).flatMap((key) => plainDataIssues((value as Record<string, unknown>)[key], [...path, key]));
}

/**
 * Parses `input` with `schema` or throws `VALIDATION` naming every bad field.
 * Input is first checked to be a plain object so a hostile prototype never reaches zod.
 */
export function parseOrThrow<T>(schema: z.ZodMiniType<T>, input: unknown, prefix: readonly (string | number)[] = []): T {
  const hostile = plainDataIssues(input, [...prefix]);
  if (hostile.length) throw new BrainStoreError('VALIDATION', { issues: hostile });
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new BrainStoreError('VALIDATION', { issues: toIssues(result.error, prefix) });
  }
  return result.data;
}

/** Validates a stored document: structure, then invariants. Returns the issues (empty when valid). */
export function checkDocument<Doc extends { id: string; workspace_id: string }, Public>(
  declaration: CollectionDeclaration<Doc, Public>,
  doc: unknown,
): BrainStoreIssue[] {
  const result = declaration.document.safeParse(doc);
  if (!result.success) return toIssues(result.error);
  return declaration.invariants(result.data);
}

/** Deep-freezes a plain JSON value (reads hand out frozen objects). */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
