import { INTERNAL_STORE_SCHEMA_TITLE, wrappedValidateStorageFactory, type RxStorage } from 'rxdb';
import { COLLECTIONS } from '../collections/all-collections.ts';
import { checkDocument } from '../collections/declare-collection.ts';

/** RxDB's validator factory: a schema in, a function from a stored document to its errors out. */
type GetValidator = Parameters<typeof wrappedValidateStorageFactory>[0];
type ValidationError = ReturnType<ReturnType<GetValidator>>[number];

/**
 * Every stored row of a brain collection is checked against its zod declaration (the single
 * source the JSON schema is derived from; test/collections/schema-agreement.test.ts proves
 * both accept and reject the same rows) plus the collection's cross-field invariants (derived
 * sort keys agree with their source, an actioned action names who actioned it, …), so that
 * nothing invalid reaches storage — not through the query functions, not through
 * `store.database`, not through replication.
 *
 * zod rather than RxDB's ajv wrapper: ajv and its formats were ~40 % of the dashboard's
 * first-visit JavaScript, and compiling its meta-schema held up the first render. RxDB's own
 * bookkeeping (storage token, collection metadata, replication checkpoints, local documents)
 * and the previous version of a collection while it is migrated away are written by RxDB
 * alone and are not checked, as before for the internal store.
 */
const getBrainValidator: GetValidator = (schema) => {
  if (schema.title === INTERNAL_STORE_SCHEMA_TITLE) return () => [];
  const declaration = Object.values(COLLECTIONS).find(
    (candidate) => candidate.name === schema.title && candidate.jsonSchema.version === schema.version,
  );
  if (!declaration) return () => [];
  return (row) => {
    const { _deleted, _rev, _meta, _attachments, ...doc } = row as Record<string, unknown>;
    const errors = bookkeepingErrors({ _deleted, _rev, _meta, _attachments });
    const issues = checkDocument(declaration as unknown as Parameters<typeof checkDocument>[0], doc);
    return [...errors, ...issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message }))];
  };
};

/** RxDB's row fields, which the filled JSON schema requires (`_meta.lwt` a number, …). */
function bookkeepingErrors(row: { _deleted: unknown; _rev: unknown; _meta: unknown; _attachments: unknown }): ValidationError[] {
  const errors: ValidationError[] = [];
  if (typeof row._deleted !== 'boolean') errors.push({ field: '_deleted', message: 'must be boolean' });
  if (typeof row._rev !== 'string' || row._rev === '') errors.push({ field: '_rev', message: 'must be a non-empty string' });
  const lwt = (row._meta as { lwt?: unknown } | null | undefined)?.lwt;
  if (typeof row._meta !== 'object' || row._meta === null || typeof lwt !== 'number')
    errors.push({ field: '_meta.lwt', message: 'must be a number' });
  if (typeof row._attachments !== 'object' || row._attachments === null)
    errors.push({ field: '_attachments', message: 'must be an object' });
  return errors;
}

/** Wraps any RxDB storage with the brain-store validation. */
export const validatedStorage: <Internals, Options>(args: { storage: RxStorage<Internals, Options> }) => RxStorage<Internals, Options> =
  wrappedValidateStorageFactory(getBrainValidator, 'brain-store');
