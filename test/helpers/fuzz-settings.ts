/**
 * Run counts and seeds for the property suites, from the environment, so `npm test` stays
 * fast while a long run is one variable away:
 *   FUZZ_RUNS=2000 FUZZ_SEED=12345 npx vitest run test/reliability
 * The seed is printed, so a failure in CI can be replayed exactly.
 */
export interface FuzzSettings {
  readonly numRuns: number;
  readonly seed: number;
}

export function fuzzSettings(suite: string, defaultRuns: number): FuzzSettings {
  const runs = Number(process.env['FUZZ_RUNS'] ?? defaultRuns);
  const seed = process.env['FUZZ_SEED'] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env['FUZZ_SEED']);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`FUZZ_RUNS must be a positive integer, got ${process.env['FUZZ_RUNS']}`);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, got ${process.env['FUZZ_SEED']}`);
  console.info(`[fuzz] ${suite}: FUZZ_SEED=${seed} FUZZ_RUNS=${runs}`);
  return { numRuns: runs, seed };
}
