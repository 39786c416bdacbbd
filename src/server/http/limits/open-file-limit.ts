import { readFileSync } from 'node:fs';

/**
 * The process's soft limit on open files (Linux: /proc/self/limits), or undefined where it
 * cannot be read (another OS, or "unlimited"). Node has no getrlimit of its own.
 */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('Max open files'));
    const soft = line ? Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]) : NaN;
    return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}
