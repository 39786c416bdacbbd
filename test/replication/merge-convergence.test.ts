import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeActionVersions, canonicalJson, type ActionStatus } from '../../src/collections/action-status.ts';

/**
 * A model of the sync protocol for one action: the server stores a version and accepts a
 * push only when the client's assumed master equals it; otherwise it answers with its
 * version and the client resolves with the declared merge rule and pushes again. Whatever
 * the histories and the delivery order, every client and the server end on one state.
 */
interface Version {
  status: ActionStatus;
  status_at: number;
  actioned_by?: string;
  priority: number;
}

const created: Version = { status: 'pending', status_at: 0, priority: 50 };

const edit = fc.oneof(
  fc.record({ status: fc.constant<ActionStatus>('pending'), status_at: fc.constant(0), priority: fc.integer({ min: 0, max: 100 }) }),
  fc.record({
    status: fc.constantFrom<ActionStatus>('actioned', 'dismissed', 'expired'),
    status_at: fc.integer({ min: 1, max: 5 }),
    priority: fc.constant(50),
    actioned_by: fc.constantFrom('ann', 'bob'),
  }),
);

function simulate(edits: Version[], order: number[]) {
  let master: Version = created;
  const clients = edits.map((local) => ({ assumed: created, local }));
  let rounds = 0;
  const queue = [...order];
  while (queue.length > 0) {
    rounds += 1;
    if (rounds > 1_000) throw new Error('conflict loop');
    const index = queue.shift()!;
    const client = clients[index]!;
    if (canonicalJson(client.local) === canonicalJson(client.assumed)) continue; // nothing to push
    if (canonicalJson(client.assumed) === canonicalJson(master)) {
      master = client.local; // accepted
      client.assumed = client.local;
    } else {
      // conflict: resolve with the merge rule, then push again if the result differs from master
      client.local = mergeActionVersions(master, client.local);
      client.assumed = master;
      queue.push(index);
    }
  }
  // Everyone pulls the final master.
  for (const client of clients) client.local = mergeActionVersions(master, client.local) === master ? master : client.local;
  return { master, clients };
}

describe('action merge rule', () => {
  it('is commutative, associative and idempotent on terminal versions', () => {
    const terminal = edit.filter((v) => v.status !== 'pending');
    fc.assert(
      fc.property(terminal, terminal, terminal, (a, b, c) => {
        const m = (x: Version, y: Version) => canonicalJson(mergeActionVersions(x, y));
        expect(m(a, b)).toBe(m(b, a));
        expect(m(a, a)).toBe(canonicalJson(a));
        const ab = mergeActionVersions(a, b);
        const bc = mergeActionVersions(b, c);
        expect(canonicalJson(mergeActionVersions(ab, c))).toBe(canonicalJson(mergeActionVersions(a, bc)));
      }),
    );
  });

  it('never returns a terminal action to pending', () => {
    fc.assert(
      fc.property(edit, edit, (a, b) => {
        const merged = mergeActionVersions(a, b);
        if (a.status !== 'pending' || b.status !== 'pending') expect(merged.status).not.toBe('pending');
      }),
    );
  });

  it('converges every client and the server whatever the delivery order', () => {
    fc.assert(
      fc.property(
        fc
          .array(edit, { minLength: 1, maxLength: 5 })
          .chain((edits) =>
            fc.tuple(fc.constant(edits), fc.shuffledSubarray([...edits.keys(), ...edits.keys()], { minLength: edits.length * 2 })),
          ),
        ([edits, order]) => {
          const { master, clients } = simulate(edits, order);
          for (const client of clients) expect(canonicalJson(client.local)).toBe(canonicalJson(master));
          // The terminal outcome does not depend on the order: it is the merge of every terminal edit.
          const terminals = edits.filter((v) => v.status !== 'pending');
          if (terminals.length > 0) {
            const expected = terminals.reduce((acc, v) => mergeActionVersions(acc, v));
            expect(canonicalJson(master)).toBe(canonicalJson(expected));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
