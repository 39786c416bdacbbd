/**
 * The one rule for tests that need something this machine may lack (Chromium, PostgreSQL, a
 * private cluster, a tmpfs): without it they skip with a loud reason, except under CI=true,
 * where skipping would hide a failure, so they fail instead.
 */
import { describe } from 'vitest';
import { chromiumStatus } from '../../harness/chromium.ts';

/** Whether a requirement is met here, and if not, why (the reason names the fix). */
export type Requirement = { readonly available: true } | { readonly available: false; readonly reason: string };

const warned = new Set<string>();

/** Under CI=true, `true`. */
export function failInsteadOfSkip(): boolean {
  return process.env['CI'] === 'true';
}

/**
 * The requirement's state for a non-`describe` caller: `undefined` when met; otherwise the
 * reason to skip with (warned loudly), or a thrown error when CI=true.
 */
export function skipReason(requirement: Requirement, what: string): string | undefined {
  if (requirement.available) return undefined;
  if (failInsteadOfSkip()) throw new Error(`${requirement.reason} (CI=true: failing instead of skipping ${what})`);
  if (!warned.has(what)) console.warn(`\n*** SKIPPING ${what}: ${requirement.reason}. Set CI=true to make this a failure. ***\n`);
  warned.add(what);
  return requirement.reason;
}

/** `describe` that runs when `requirement` is met, is skipped (reason in its name) when not, and fails when not under CI=true. */
export function describeNeeding(requirement: Requirement, what: string, name: string, body: () => void): void {
  const reason = skipReason(requirement, what);
  describe.skipIf(reason !== undefined)(reason === undefined ? name : `${name} (SKIPPED: ${reason}; CI=true makes this a failure)`, body);
}

/** `describe` for tests that need Chromium (harness/chromium.ts finds it). */
export function describeInChromium(name: string, body: () => void): void {
  describeNeeding(chromiumStatus(), 'Chromium tests', name, body);
}
