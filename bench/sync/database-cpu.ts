/**
 * CPU time PostgreSQL spent for one database: the backends serving it, read from
 * /proc/<pid>/stat (the server runs on this machine in the bench setup). Less sensitive to
 * a loaded machine than wall time. PGlite runs in this process, so process.cpuUsage covers it.
 */
import { processCpuMs } from '../../harness/process-cpu.ts';
import type { SqlDatabase } from '../../src/server/sql/sql-database.ts';

/** CPU ms by backend pid of the current database, or undefined when /proc does not show them. */
export async function databaseCpu(sql: SqlDatabase): Promise<Map<number, number> | undefined> {
  if (sql.kind !== 'postgres') return undefined;
  const rows = await sql.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  const byPid = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = processCpuMs(pid);
    if (ms === undefined) return undefined;
    byPid.set(pid, ms);
  }
  return byPid;
}

/** CPU ms the database's backends used since `before` (a backend opened since counts from zero). */
export function cpuSince(before: Map<number, number> | undefined, after: Map<number, number> | undefined): number | null {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}
