import type { SqlExecutor } from './sql-database.ts';

/**
 * `read` made once per connection pool and shared by every later call (a failed read is made
 * again by the next call): for what the migrations stored and only a new database changes.
 */
export function oncePerPool<T>(read: (db: SqlExecutor) => Promise<T>): (db: SqlExecutor) => Promise<T> {
  const values = new WeakMap<SqlExecutor, Promise<T>>();
  return (db) => {
    let value = values.get(db);
    if (!value) {
      value = read(db);
      value.catch(() => values.delete(db));
      values.set(db, value);
    }
    return value;
  };
}
