/**
 * The contract between `bench/run.ts` and a benchmark group. A group is one file
 * `bench/<name>.bench.ts` whose default export is a `BenchModule`; the runner finds it by
 * file name, so adding a group (sync, expiry, …) is adding a file.
 */

/** How a value is judged against its target. */
export type TargetOp = '<=' | '>=' | '==';

export interface Target {
  readonly op: TargetOp;
  readonly value: number;
}

/**
 * met / missed: judged against a target. info: a figure without a target (a baseline,
 * a component of a ratio). skipped: could not run here (the reason is in the note).
 * error: the measurement threw (the message is in the note).
 */
export type ResultStatus = 'met' | 'missed' | 'info' | 'skipped' | 'error';

export interface BenchResult {
  /** The group that produced it (filled in by the runner). */
  readonly group: string;
  /** Stable key within the group, e.g. `cold-priority.100k`; reports are merged on it. */
  readonly id: string;
  /** Human label, e.g. `getActionsByPriority cold exec, 100k pending`. */
  readonly name: string;
  /** What it ran on: `dexie`, `memory`, `pglite`, `postgres`, … */
  readonly subject: string;
  /** null when skipped or failed. */
  readonly value: number | null;
  readonly unit: string;
  readonly target: Target | null;
  readonly status: ResultStatus;
  readonly note: string;
  /** Raw samples or sub-figures worth keeping in results.json (not printed). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A result as a group returns it (the runner adds `group`). */
export type BenchRow = Omit<BenchResult, 'group'>;

/** What a group receives from the runner. */
export interface BenchContext {
  /** Progress lines on stderr (the table goes to stdout). */
  log(message: string): void;
  /** `--quick`: smaller sizes and fewer samples, for checking the harness itself. */
  readonly quick: boolean;
  /** Chooses a size/sample count: `full` normally, `quick` under --quick. */
  scale(full: number, quick: number): number;
}

export interface BenchModule {
  /** Group name; matches the file name `bench/<name>.bench.ts`. */
  readonly name: string;
  readonly description: string;
  /**
   * Why the group cannot run here (a missing server, database or browser), or undefined.
   * A skipped group keeps its previous figures in the report, marked as from an older run.
   */
  unavailable?(): Promise<string | undefined>;
  run(context: BenchContext): Promise<BenchRow[]>;
}

/** Builds a result judged against `target` (status met / missed). */
export function judged(row: Omit<BenchRow, 'status' | 'target'> & { target: Target }): BenchRow {
  return { ...row, status: row.value === null ? 'error' : meets(row.value, row.target) ? 'met' : 'missed' };
}

/** Builds a result without a target. */
export function info(row: Omit<BenchRow, 'status' | 'target'>): BenchRow {
  return { ...row, target: null, status: 'info' };
}

function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
    case '==':
      return value === target.value;
  }
}
