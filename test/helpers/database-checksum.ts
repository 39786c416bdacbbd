import type { SqlExecutor } from '../../src/server/sql/sql-database.ts';

/**
 * One md5 per table of the current schema over every row (every column, bookkeeping
 * included), so "nothing was written" is checked against the whole database rather than
 * the rows a test thought to look at. Tables are found from the catalog: a table added by a
 * later migration is covered without touching this helper.
 */
export async function databaseChecksum(db: SqlExecutor): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `SELECT quote_ident(table_name) AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const sums: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.query<{ sum: string | null; count: string }>(
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS sum, count(*)::text AS count FROM ${name} t`,
    );
    sums[name] = `${row?.count ?? '?'}:${row?.sum ?? ''}`;
  }
  return sums;
}

/** The own keys of Object.prototype (and of Array.prototype), to prove no input polluted them. */
export function prototypeKeys(): string[] {
  return [...Reflect.ownKeys(Object.prototype), ...Reflect.ownKeys(Array.prototype), ...Reflect.ownKeys(Function.prototype)].map(String);
}
