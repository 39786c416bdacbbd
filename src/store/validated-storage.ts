import { INTERNAL_STORE_SCHEMA_TITLE, wrappedValidateStorageFactory, type RxStorage } from 'rxdb';
import { getValidator } from 'rxdb/plugins/validate-ajv';
import { COLLECTIONS } from '../collections/all-collections.ts';

/** RxDB's validator factory: a schema in, a function from a stored document to its errors out. */
type GetValidator = Parameters<typeof wrappedValidateStorageFactory>[0];

/**
 * RxDB's ajv validation plus each collection's cross-field invariants (derived sort keys
 * agree with their source, an actioned action names who actioned it, …), so that nothing
 * invalid reaches storage — not through the query functions, not through `store.database`,
 * not through replication. Other schemas (RxDB's internal collections, older versions being
 * migrated) get ajv alone.
 */
const getBrainValidator: GetValidator = (schema) => {
  // RxDB's own bookkeeping (storage token, collection metadata), written by RxDB alone at every
  // open: compiling ajv's meta-schema and this schema for it cost ~40% of opening the store in
  // Chromium (bench/browser), in front of the dashboard's first render.
  if (schema.title === INTERNAL_STORE_SCHEMA_TITLE) return () => [];
  // Compiled at the first document, not when RxDB asks (it asks in an idle callback while the
  // store opens, and a compile blocks the main thread for tens of milliseconds).
  let compiled: ReturnType<GetValidator> | undefined;
  const ajv: ReturnType<GetValidator> = (doc) => (compiled ??= getValidator(schema))(doc);
  const declaration = Object.values(COLLECTIONS).find(
    (candidate) => candidate.name === schema.title && candidate.jsonSchema.version === schema.version,
  );
  if (!declaration) return ajv;
  return (doc) => {
    const errors = ajv(doc);
    if (errors.length > 0) return errors;
    return declaration.invariants(doc).map((issue) => ({ field: issue.path.join('.'), message: issue.message }));
  };
};

/** Wraps any RxDB storage with the brain-store validation. */
export const validatedStorage: <Internals, Options>(args: { storage: RxStorage<Internals, Options> }) => RxStorage<Internals, Options> =
  wrappedValidateStorageFactory(getBrainValidator, 'brain-store');
