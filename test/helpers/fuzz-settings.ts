/**
 * Run counts and seeds for the property suites, from the environment, so `npm test` stays
 * fast while a long run is one variable away:
 *   FUZZ_RUNS=2000 FUZZ_SEED=12345 npx vitest run test/reliability
 * The seed is printed, so a failure in CI can be replayed exactly.
 */
import { seededRandom } from '../../harness/seeded-random.ts';

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

/**
 * A budget of process kills (or other costly rounds) and the seed of their random moments, from
 * `<NAME>_KILLS` and `<NAME>_SEED`, so `npm test` stays fast while a long run is one variable
 * away (`DURABILITY_KILLS=200 DURABILITY_SEED=7 npx vitest run test/storage/durability.test.ts`).
 * The seed is printed; `random` replays the same moments for it.
 */
export interface KillBudget {
  readonly kills: number;
  readonly seed: number;
  readonly random: () => number;
}

export function killBudget(name: string, defaultKills: number): KillBudget {
  const [killsVar, seedVar] = [`${name}_KILLS`, `${name}_SEED`];
  const kills = Number(process.env[killsVar] ?? defaultKills);
  const seed = process.env[seedVar] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env[seedVar]);
  if (!Number.isInteger(kills) || kills < 1) throw new Error(`${killsVar} must be a positive integer, got ${process.env[killsVar]}`);
  if (!Number.isInteger(seed)) throw new Error(`${seedVar} must be an integer, got ${process.env[seedVar]}`);
  console.info(`[kills] ${seedVar}=${seed} ${killsVar}=${kills}`);
  return { kills, seed, random: seededRandom(seed) };
}
