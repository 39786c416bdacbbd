import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, mergeActionVersions, type ActionStatus } from '../../src/collections/action-status.ts';
import { snoozeOf } from '../../src/collections/action-snooze.ts';

/**
 * Issue 20: the action merge rule with snooze. Snoozes and re-prioritisations are edits of
 * a pending action made on different replicas; the rule must keep the latest snooze whichever
 * side it came from, let a terminal status beat any snooze, and converge every replica in the
 * sync protocol's model (the server accepts a push only on its assumed master; a conflict is
 * resolved with the rule and pushed again).
 */
interface Version {
  status: ActionStatus;
  status_at: number;
  priority: number;
  snoozed_until: number;
  snoozed_at?: number;
  snoozed_by?: string;
  actioned_by?: string;
}

const created: Version = { status: 'pending', status_at: 0, priority: 50, snoozed_until: 0 };

const snooze = fc.record({
  snoozed_until: fc.integer({ min: 1, max: 50 }),
  snoozed_at: fc.integer({ min: 1, max: 6 }),
  snoozed_by: fc.constantFrom('ann', 'bob'),
});
/** A version some replica may hold: created, snoozed, re-prioritised (keeping its snooze) or terminal. */
const version: fc.Arbitrary<Version> = fc.oneof(
  snooze.map((part) => ({ ...created, ...part })),
  fc.tuple(fc.integer({ min: 0, max: 100 }), fc.option(snooze, { nil: undefined })).map(([priority, part]) => ({
    ...created,
    priority,
    ...part,
  })),
  fc.record({
    status: fc.constantFrom<ActionStatus>('actioned', 'dismissed', 'expired'),
    status_at: fc.integer({ min: 1, max: 5 }),
    priority: fc.constant(50),
    snoozed_until: fc.constant(0),
    actioned_by: fc.constantFrom('ann', 'bob'),
  }),
);

const json = canonicalJson;

describe('action merge rule with snooze (issue 20)', () => {
  it('the snooze part is a join: commutative, associative, idempotent, and the latest snooze of the inputs', () => {
    const pending = version.filter((v) => v.status === 'pending');
    fc.assert(
      fc.property(pending, pending, pending, (a, b, c) => {
        const part = (v: Version) => json(snoozeOf(v));
        expect(part(mergeActionVersions(a, b))).toBe(part(mergeActionVersions(b, a)));
        expect(json(mergeActionVersions(a, a))).toBe(json(a));
        expect(part(mergeActionVersions(mergeActionVersions(a, b), c))).toBe(part(mergeActionVersions(a, mergeActionVersions(b, c))));
        const merged = mergeActionVersions(a, b);
        expect(merged.snoozed_at ?? -1).toBe(Math.max(a.snoozed_at ?? -1, b.snoozed_at ?? -1));
        // Everything but the snooze is the master's (the server's authority over pending edits).
        expect(merged.priority).toBe(a.priority);
      }),
      { numRuns: 500 },
    );
  });

  it('a terminal version beats any snooze, and a merge returns one of its inputs whenever it can', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const merged = mergeActionVersions(a, b);
        if (a.status !== 'pending' || b.status !== 'pending') {
          expect(merged.status).not.toBe('pending');
          expect([a, b]).toContain(merged);
        }
        if (json(merged) === json(a)) expect(merged).toBe(a);
        else if (json(merged) === json(b)) expect(merged).toBe(b);
      }),
    );
  });

  it('every replica and the server converge on the latest snooze and the winning status, whatever the order', () => {
    fc.assert(
      fc.property(
        fc
          .array(version, { minLength: 1, maxLength: 5 })
          .chain((edits) =>
            fc.tuple(fc.constant(edits), fc.shuffledSubarray([...edits.keys(), ...edits.keys()], { minLength: edits.length * 2 })),
          ),
        ([edits, order]) => {
          let master: Version = created;
          const clients = edits.map((local) => ({ assumed: created, local }));
          const queue = [...order];
          for (let rounds = 0; queue.length > 0; rounds++) {
            if (rounds > 1_000) throw new Error('conflict loop');
            const index = queue.shift()!;
            const client = clients[index]!;
            if (json(client.local) === json(client.assumed)) continue;
            if (json(client.assumed) === json(master)) {
              // The server's own guard (push-documents.ts mergeKeeps): the new version must survive a merge with the stored one.
              if (mergeActionVersions(client.local, master) === client.local) {
                master = client.local;
                client.assumed = client.local;
                continue;
              }
            }
            client.local = mergeActionVersions(master, client.local);
            client.assumed = master;
            queue.push(index);
          }
          for (const client of clients) client.local = mergeActionVersions(master, client.local);
          for (const client of clients) expect(json(client.local)).toBe(json(master));
          const terminals = edits.filter((v) => v.status !== 'pending');
          if (terminals.length > 0) {
            expect(json(master)).toBe(json(terminals.reduce((acc, v) => mergeActionVersions(acc, v))));
          } else {
            const latest = edits.reduce((acc, v) => mergeActionVersions(acc, v), created);
            expect(json(snoozeOf(master))).toBe(json(snoozeOf(latest)));
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
