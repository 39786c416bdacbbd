/**
 * The writer of the durability test, a real process: opens a SQLite store and writes until
 * it is killed — single actions and bulks of insights — printing each write on stdout only
 * after its promise resolved (a pipe write is synchronous on Linux, so a printed line is an
 * acknowledged write). Every bulk marks its insights with its own pattern and its size as
 * frequency, so the test can tell a whole bulk from half of one.
 *
 * Usage: node --import tsx durability-child.ts <path> <run>
 */
import { createBrainStore } from '../../src/index.ts';

const [path, run] = process.argv.slice(2);
if (!path || !run) throw new Error('usage: durability-child.ts <path> <run>');

const store = await createBrainStore({ name: 'durability', path });
process.stdout.write('READY\n');
for (let step = 0; ; step++) {
  if (step % 2 === 0) {
    const id = await store.brainActions.createActionRecommendation({
      workspace_id: 'w1',
      contact_id: `r${run}`,
      action_type: 'follow_up',
      priority: step % 101,
      urgency: 'today',
      reason: `run ${run} step ${step}`,
    });
    process.stdout.write(`A ${id}\n`);
  } else {
    const size = 3 + (step % 10);
    const pattern = `run-${run}-bulk-${step}`;
    const ids = await store.brainInsights.bulkCreateInsights({
      insights: Array.from({ length: size }, (_, i) => ({
        workspace_id: 'w1',
        insight_type: 'trending_topic' as const,
        pattern,
        frequency: size,
        examples: [`example ${i}`],
        confidence: 'high' as const,
        time_range: 'today' as const,
      })),
    });
    process.stdout.write(`B ${pattern} ${ids.join(',')}\n`);
  }
}
