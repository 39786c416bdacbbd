import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * The client validates with zod's mini build, which has no messages of its own (classic zod,
 * which the server loads, installs English on import). A process that loads only the client —
 * a browser app — must still be told which field is wrong and why, not "Invalid input".
 * A child process, because a test worker may already hold classic zod's global config.
 */
const SCRIPT = `
import { getRxStorageMemory } from 'rxdb/plugins/storage-memory';
import { createBrainStore } from './src/index.ts';
const store = await createBrainStore({ name: 'zod-messages', storage: getRxStorageMemory(), multiInstance: false });
try {
  await store.brainActions.createActionRecommendation({
    workspace_id: 'w1', contact_id: 7, action_type: 'follow_up', priority: 101, urgency: 'today', reason: 'r',
  });
} catch (error) {
  console.log(JSON.stringify({ code: error.code, issues: error.issues }));
}
await store.close();
`;

describe('validation messages in a client-only process', () => {
  it('name the field and say why, in English', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    const { code, issues } = JSON.parse(output.trim().split('\n').at(-1)!) as {
      code: string;
      issues: { path: string[]; message: string }[];
    };
    expect(code).toBe('VALIDATION');
    expect(issues).toEqual([
      { path: ['contact_id'], message: 'Invalid input: expected string, received number', code: 'invalid_type' },
      { path: ['priority'], message: 'Too big: expected number to be <=100', code: 'too_big' },
    ]);
  });
});
