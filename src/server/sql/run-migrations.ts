import type { SqlDatabase } from './sql-database.ts';

/**
 * Versioned schema migrations, applied in order at server start. Append only: a released
 * migration is never edited, a change is a new entry.
 *
 * The documents table holds every collection. A document is stored exactly as the client
 * sent it (JSONB, minus `_deleted`, which is a column); the server's bookkeeping (xid, seq,
 * received_at) lives in columns beside it, so it can never cause a false conflict.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'documents',
    sql: `
      CREATE SEQUENCE brain_store_seq;
      CREATE TABLE brain_store_documents (
        collection   text    NOT NULL,
        workspace_id text    NOT NULL,
        id           text    NOT NULL,
        doc          jsonb   NOT NULL,
        deleted      boolean NOT NULL DEFAULT false,
        -- Commit-order position: the writing transaction's id and a sequence within it.
        xid          xid8    NOT NULL,
        seq          bigint  NOT NULL,
        -- Epoch ms of the last write, from the server's (injectable) clock; ages tombstones.
        received_at  bigint  NOT NULL,
        PRIMARY KEY (collection, workspace_id, id)
      );
      -- Pull: one ordered range scan per (collection, workspace) after the checkpoint.
      CREATE INDEX brain_store_documents_pull ON brain_store_documents (collection, workspace_id, xid, seq);
      -- Server expiry: pending actions by expires_at.
      CREATE INDEX brain_store_actions_due ON brain_store_documents (((doc->>'expires_at')::numeric))
        WHERE collection = 'brainActions' AND NOT deleted AND doc->>'status' = 'pending';
      -- Retention: terminal actions by the time they became terminal.
      CREATE INDEX brain_store_actions_terminal ON brain_store_documents (((doc->>'status_at')::numeric))
        WHERE collection = 'brainActions' AND NOT deleted AND doc->>'status' IN ('actioned', 'dismissed', 'expired');
      -- Retention of summaries and insights (when configured): by creation time.
      CREATE INDEX brain_store_created ON brain_store_documents (collection, ((doc->>'created_at')::numeric))
        WHERE NOT deleted AND collection IN ('brainSummaries', 'brainInsights');
      -- Retention: tombstones by age.
      CREATE INDEX brain_store_tombstones ON brain_store_documents (received_at) WHERE deleted;
      -- Every write, whoever makes it, is stamped here so that no path can forget it.
      CREATE FUNCTION brain_store_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.xid := pg_current_xact_id();
        NEW.seq := nextval('brain_store_seq');
        RETURN NEW;
      END $$;
      CREATE TRIGGER brain_store_stamp BEFORE INSERT OR UPDATE ON brain_store_documents
        FOR EACH ROW EXECUTE FUNCTION brain_store_stamp();
    `,
  },
  {
    version: 2,
    name: 'server id',
    // Named in every checkpoint: a checkpoint from another database (a reset or restored one)
    // is recognised and the client pulls from the start instead of skipping rows.
    sql: `
      CREATE TABLE brain_store_server (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        id  text    NOT NULL
      );
      INSERT INTO brain_store_server (id) VALUES (replace(gen_random_uuid()::text, '-', ''));
    `,
  },
  {
    version: 3,
    name: 'snooze',
    // brainActions schema version 1 (snooze): every stored action gets the field its version
    // 0 lacked, as the clients' RxDB migration does (brain-actions.ts upgradeActionFromV0),
    // so a new client reads them valid and compares them equal to its migrated copies. The
    // stamping trigger is off for this rewrite: the content the clients derive themselves is
    // not a change to deliver again (no re-pull of every action). Old server instances still
    // running during a rollout may write version-0 actions afterwards; the server upgrades
    // those as it reads them (hosted-collections.ts).
    sql: `
      ALTER TABLE brain_store_documents DISABLE TRIGGER brain_store_stamp;
      UPDATE brain_store_documents SET doc = doc || '{"snoozed_until": 0}'::jsonb
        WHERE collection = 'brainActions' AND NOT (doc ? 'snoozed_until');
      ALTER TABLE brain_store_documents ENABLE TRIGGER brain_store_stamp;
    `,
  },
  {
    version: 4,
    name: 'checkpoint key',
    // The key the server signs its checkpoints with (issue 23), kept in the database so that a
    // restarted server and every instance over the same database accept each other's. Two
    // v4 uuids give 244 random bits from PostgreSQL's strong random source. A copy of the
    // database (pg_dump, TEMPLATE) carries the key, but its checkpoints name another database.
    sql: `
      CREATE TABLE brain_store_secrets (
        one            boolean PRIMARY KEY DEFAULT true CHECK (one),
        checkpoint_key text    NOT NULL
      );
      INSERT INTO brain_store_secrets (checkpoint_key)
        VALUES (replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''));
    `,
  },
];

/** Arbitrary constant: serializes migrations when several instances start at once. */
const MIGRATION_LOCK = 7_262_017;

/** Applies the migrations not yet recorded in brain_store_migrations; returns the versions applied. */
export async function runMigrations(db: SqlDatabase): Promise<number[]> {
  return db.transaction(async (tx) => {
    // A migration may rewrite or index a large table: the server's statement timeout is for
    // requests, not for this (PGlite has none).
    if (db.kind === 'postgres') await tx.query('SET LOCAL statement_timeout = 0');
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS brain_store_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const rows = await tx.query<{ version: number }>('SELECT version FROM brain_store_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO brain_store_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/**
 * Splits a migration into statements (extended-protocol queries take one at a time). Splits
 * on `;` at line ends outside dollar-quoted bodies, which is all our migrations need.
 */
function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    current += `${line}\n`;
    if ((line.match(/\$\$/g) ?? []).length % 2 === 1) inDollar = !inDollar;
    if (!inDollar && line.trimEnd().endsWith(';')) {
      statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements.filter((statement) => statement.replace(/--.*$/gm, '').trim().length > 0);
}
