import type { RxCollection } from 'rxdb';
import { Subject, type Observable } from 'rxjs';
import * as z from 'zod/mini';
import { BrainStoreError, type BrainStoreIssue } from '../errors/brain-store-error.ts';
import { checkDocument, parseOrThrow, toIssues, type CollectionDeclaration } from '../collections/declare-collection.ts';
import { identifier, timestamp } from '../collections/fields.ts';
import { DEFAULT_TIME_ALLOWANCE, judgeWrite, type Writer } from '../collections/write-rules.ts';
import { MAX_DOCUMENT_BYTES } from '../protocol/endpoints.ts';
import { utf8Length } from '../protocol/utf8-length.ts';

/** What the query modules need from the store: the clock, its timers, the id maker, open/closed. */
export interface QueryContext {
  readonly now: () => number;
  /** The timers a live query re-arms on at the next instant its answer changes by time alone. */
  readonly scheduler: Timers;
  readonly newId: () => string;
  readonly lifecycle: Lifecycle;
  /** Who writes through this store; undefined for trusted code (every write allowed, as before roles). */
  readonly writer?: Writer | undefined;
  /** Emits when `now` moved by a step (a new offset to the server's clock): time-based waits re-arm. */
  readonly clockChanged$?: Observable<unknown>;
}

/**
 * Timers: the global setTimeout and clearTimeout, or a host's (or a test's) own that it drives.
 * The store's `scheduler` (src/store/scheduler.ts) is one; it is declared here, below the store,
 * because the live queries arm them too.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Whether the store is open; `closed$` fires once when it closes. */
export interface Lifecycle {
  readonly closed$: Observable<void>;
  /** Throws CLOSED once the store has been closed. */
  assertOpen(): void;
  close(): void;
}

export function createLifecycle(): Lifecycle {
  const closed$ = new Subject<void>();
  let closed = false;
  return {
    closed$,
    assertOpen: () => {
      if (closed) throw new BrainStoreError('CLOSED');
    },
    close: () => {
      if (closed) return;
      closed = true;
      closed$.next();
      closed$.complete();
    },
  };
}

/**
 * Refuses, before anything is written, a write the store's role may not make — the same
 * rules the server judges pushes with, so a member's dashboard never shows a write that
 * would bounce. `previous` is the version replaced (undefined for a create).
 */
export function assertMayWrite<Doc extends { id: string; workspace_id: string }, Public>(
  context: QueryContext,
  declaration: CollectionDeclaration<Doc, Public>,
  previous: Doc | undefined,
  next: Doc,
): void {
  const writer = context.writer;
  if (writer === undefined) return;
  const refusal = judgeWrite(
    declaration.writeRules,
    { previous, next, deleted: false },
    { writer, now: context.now(), allowance: DEFAULT_TIME_ALLOWANCE },
  );
  if (refusal) {
    throw new BrainStoreError(refusal.code, {
      message: refusal.message,
      parameters: { collection: declaration.name, id: next.id, role: writer.role },
      issues: [{ path: refusal.path, message: refusal.message, code: refusal.code.toLowerCase() }],
    });
  }
}

/** A `limit` argument: a whole number from 1 to `max`. */
export const limitSchema = (max: number) => z.number().check(z.int(), z.minimum(1), z.maximum(max));

/** Validates a call's arguments on an open store; a bad one is a VALIDATION error naming the field. */
export function checkArgs<T>(context: QueryContext, schema: z.ZodMiniType<T>, input: unknown): T {
  context.lifecycle.assertOpen();
  return parseOrThrow(schema, input);
}

/**
 * Validates documents against the declaration (schema + invariants) and inserts them all,
 * or none: every document is checked before the first write.
 */
export async function insertAll<Doc extends { id: string; workspace_id: string }, Public>(
  collection: RxCollection<Doc>,
  declaration: CollectionDeclaration<Doc, Public>,
  docs: Doc[],
  pathPrefix: (index: number) => (string | number)[] = () => [],
  argsValidated = false,
): Promise<void> {
  docs.forEach((doc, index) => assertDocumentSize(declaration.name, doc, pathPrefix(index)));
  docs.forEach((doc, index) => {
    // Documents built from arguments zod already accepted only need what the store added:
    // the id, the clock's timestamps and the derived sort keys (the invariants).
    const issues = argsValidated ? [...storeFieldIssues(doc), ...declaration.invariants(doc)] : checkDocument(declaration, doc);
    if (issues.length) {
      throw new BrainStoreError('VALIDATION', {
        issues: issues.map((issue) => ({ ...issue, path: [...pathPrefix(index), ...issue.path] })),
      });
    }
  });
  const result = await storageCall(() => collection.bulkInsert(docs));
  if (result.error.length > 0) {
    throw new BrainStoreError('STORAGE', { cause: result.error[0], parameters: { failed: result.error.length } });
  }
}

/**
 * Refuses, at write time, a document no push could carry (issue 23): TOO_LARGE naming its
 * largest field, instead of a write that syncs never and holds back every later one.
 * `maxBytes` is the protocol's MAX_DOCUMENT_BYTES (two copies fit one default body).
 */
export function assertDocumentSize(
  collection: string,
  doc: object,
  pathPrefix: (string | number)[] = [],
  maxBytes = MAX_DOCUMENT_BYTES,
): void {
  const bytes = utf8Length(JSON.stringify(doc));
  if (bytes <= maxBytes) return;
  let field = '';
  let largest = -1;
  for (const [name, value] of Object.entries(doc)) {
    const size = utf8Length(JSON.stringify(value) ?? '');
    if (size > largest) [field, largest] = [name, size];
  }
  const message = `the document is ${bytes} bytes as JSON, more than the ${maxBytes} a sync server accepts; "${field}" holds ${largest} of them`;
  throw new BrainStoreError('TOO_LARGE', {
    message,
    parameters: { collection, field, bytes, maxBytes },
    issues: [{ path: [...pathPrefix, field], message, code: 'too_big' }],
  });
}

/** Runs a storage call, turning foreign errors into STORAGE (ours pass through). */
export async function storageCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (cause) {
    if (cause instanceof BrainStoreError) throw cause;
    throw new BrainStoreError('STORAGE', { cause, message: cause instanceof Error ? cause.message : String(cause) });
  }
}

const storeFields = z.object({ id: identifier(), created_at: timestamp(), expires_at: z.optional(timestamp()) });

/** Issues with the fields the store itself fills in (a bad clock or id maker shows up here). */
function storeFieldIssues(doc: object): BrainStoreIssue[] {
  const result = storeFields.safeParse(doc);
  return result.success ? [] : toIssues(result.error);
}
