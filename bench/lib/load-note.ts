import { availableParallelism, loadavg } from 'node:os';

/** "; machine load 7.1 on 2 cores" when other processes share the CPU, else "". */
export function loadNote(): string {
  const load = loadavg()[0]!;
  const cores = availableParallelism();
  return load > cores ? `; machine load ${load.toFixed(1)} on ${cores} cores (timings inflated)` : '';
}
