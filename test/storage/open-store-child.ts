/**
 * Opens a SQLite store in a separate process, for the bad-input tests: prints the outcome
 * as one JSON line, then either exits or (with `hold`) keeps the file open until killed.
 *
 * Usage: node --import tsx open-store-child.ts <path> [hold]
 */
import { createBrainStore, BrainStoreError } from '../../src/index.ts';

const [path, mode] = process.argv.slice(2);
try {
  await createBrainStore({ name: 'bad-input', path: path! });
  process.stdout.write(`${JSON.stringify({ opened: true })}\n`);
  if (mode === 'hold') setInterval(() => undefined, 60_000);
  else process.exit(0);
} catch (error) {
  const fields = error instanceof BrainStoreError ? { code: error.code, parameters: error.parameters } : {};
  process.stdout.write(`${JSON.stringify({ opened: false, message: String(error), ...fields })}\n`);
  process.exit(0);
}
