import { chmodSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Tests that prove a permission error run a child as `nobody` when they run as root (root
 * ignores file modes). That child must load the project's own files: a checkout inside a
 * private folder (`mktemp -d` makes 0700) would fail on the loading, not on the case under
 * test. Root only: adds search permission (o+x, never read or write) to the checkout's
 * ancestors that lack it.
 */
export function makeCheckoutReachableByNobody(from = process.cwd()): void {
  if (process.getuid?.() !== 0) return;
  for (let folder = resolve(from); ; folder = dirname(folder)) {
    const mode = statSync(folder).mode;
    if ((mode & 0o001) === 0) chmodSync(folder, mode | 0o001);
    if (dirname(folder) === folder) return;
  }
}
