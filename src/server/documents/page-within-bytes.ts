/**
 * The byte budget of a page (issue 23), shared by the pull (PULL_SQL) and the first sync's
 * pages: common table expressions over a CTE named `page` (with a `doc` column) ending in
 * `within` — the page's rows, in `order`, while the JSON text of the rows before them stays
 * under `budget` (a SQL expression, e.g. `$10`), with each row's text length as `bytes`. The
 * first row always goes, however large, so nothing can stall.
 *
 * The text is rendered only for rows whose *stored* (possibly compressed) sizes before them
 * stay under the budget: a stored size never exceeds the text's, so no row that could pass is
 * left out, and a page of a thousand 1 MB documents renders a handful of them, not a gigabyte.
 * `order` names the page's columns through the alias `d`.
 */
export function pageWithinBytes(order: string, budget: string): string {
  return `stored AS (
     SELECT d.*, COALESCE(sum(pg_column_size(d.doc)) OVER (ORDER BY ${order}
       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS stored_before
     FROM page d
   ),
   sized AS (SELECT d.*, octet_length(d.doc::text) AS bytes FROM stored d WHERE d.stored_before < ${budget}::bigint),
   kept AS (
     SELECT d.*, COALESCE(sum(d.bytes) OVER (ORDER BY ${order} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS bytes_before
     FROM sized d
   ),
   within AS (SELECT * FROM kept d WHERE d.bytes_before < ${budget}::bigint)`;
}
