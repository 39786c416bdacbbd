import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, MAX_TIME } from '../../../src/collections/fields.ts';
import { DEFAULT_TIME_ALLOWANCE } from '../../../src/collections/write-rules.ts';
import { checkPushRow, isRefused } from '../../../src/server/documents/check-push-row.ts';
import type { StoredDocument } from '../../../src/server/documents/document-store.ts';
import { hostedCollections } from '../../../src/server/documents/hosted-collections.ts';
import { decide } from '../../../src/server/documents/push-documents.ts';

const hosted = hostedCollections().get('brainActions')!;
const NOW = 1_700_000_000_000 + 6 * 3_600_000;
const SKEW = DEFAULT_TIME_ALLOWANCE.skewMs;
const judge = { writer: { role: 'member' as const, subject: 'dana' }, now: NOW, allowance: DEFAULT_TIME_ALLOWANCE };

/** What the bot wrote: pending actions created before NOW, one already due. */
function seed(index: number): Record<string, unknown> {
  const created = NOW - (index + 1) * 3_600_000;
  const expires = index === 0 ? NOW - 60_000 : created + DAY_MS;
  return {
    id: `a${index}`,
    workspace_id: 'w1',
    contact_id: `c${index}`,
    action_type: 'follow_up',
    priority: 40 + index,
    urgency: 'today',
    reason: 'asked twice',
    status: 'pending',
    status_at: created,
    created_at: created,
    expires_at: expires,
    snoozed_until: 0,
    priority_rank: 60 - index,
    created_desc: MAX_TIME - created,
  };
}
const SEEDS = [0, 1, 2].map(seed);

/** Could a member have produced `doc` from `origin`: unchanged, or one allowed transition. */
function memberMayProduce(origin: Record<string, unknown>, doc: Record<string, unknown>): boolean {
  const { status, status_at, actioned_at, actioned_by, ...rest } = doc;
  const { status: _s, status_at: _a, ...originRest } = origin;
  if (JSON.stringify(Object.entries(rest).sort()) !== JSON.stringify(Object.entries(originRest).sort())) return false;
  const at = status_at as number;
  const created = origin['created_at'] as number;
  const expires = origin['expires_at'] as number;
  switch (status) {
    case 'pending':
      return at === created && actioned_at === undefined && actioned_by === undefined;
    case 'expired':
      return at === expires && expires <= NOW + SKEW && actioned_at === undefined && actioned_by === undefined;
    case 'dismissed':
      return at >= created && at < expires && at <= NOW + SKEW && actioned_at === undefined && actioned_by === undefined;
    case 'actioned':
      return at >= created && at < expires && at <= NOW + SKEW && actioned_at === at && actioned_by === 'dana';
    default:
      return false;
  }
}

const time = fc.oneof(
  fc.constantFrom(NOW, NOW + SKEW, NOW + SKEW + 1, NOW + 25 * 3_600_000, NOW - 60_000, NOW - 3 * 3_600_000, NOW - 10 * 3_600_000),
  fc.integer({ min: NOW - DAY_MS, max: NOW + DAY_MS }),
);
const change = fc.oneof(
  // A well-formed actioning, in someone's name, at some time.
  fc
    .tuple(time, fc.constantFrom('dana', 'sam'))
    .map(([at, by]) => ({ status: 'actioned', status_at: at, actioned_at: at, actioned_by: by })),
  fc.record({ status: fc.constantFrom('pending', 'actioned', 'dismissed', 'expired'), status_at: time }),
  fc.record({ actioned_at: time, actioned_by: fc.constantFrom('dana', 'sam') }),
  fc.record({ priority: fc.constant(100), priority_rank: fc.constant(0) }),
  fc.record({ reason: fc.constantFrom('forged', 'x') }),
  fc.record({ expires_at: time }),
  fc.record({ contact_id: fc.constant('c9') }),
  fc.record({ workspace_id: fc.constant('w1') }),
);
const write = fc.record({
  target: fc.integer({ min: 0, max: 3 }),
  changes: fc.array(change, { minLength: 0, maxLength: 3 }),
  expireExactly: fc.boolean(),
  deleted: fc.boolean(),
  assumed: fc.constantFrom('stored', 'seed', 'none', 'forged'),
});

describe('no sequence of member writes produces a document a member may not produce (issue 9, property)', () => {
  it('judged by the server decision (decide) over random sequences, forged assumed states included', () => {
    fc.assert(
      fc.property(fc.array(write, { minLength: 1, maxLength: 12 }), (writes) => {
        const stored = new Map<string, StoredDocument>(
          SEEDS.map((doc) => [doc['id'] as string, { ws: 'w1', id: doc['id'] as string, doc, deleted: false }]),
        );
        writes.forEach((w, index) => {
          const current = stored.get(`a${w.target}`);
          const base = current?.doc ?? { ...seed(1), id: `a${w.target}` };
          let next: Record<string, unknown> = { ...base };
          for (const patch of w.changes) next = { ...next, ...patch };
          if (w.expireExactly) next = { ...next, status: 'expired', status_at: next['expires_at'] };
          const assumed =
            w.assumed === 'none'
              ? null
              : w.assumed === 'seed'
                ? (SEEDS[w.target] ?? null)
                : w.assumed === 'forged'
                  ? { ...next, status: 'pending' }
                  : (current?.doc ?? null);
          const row = {
            newDocumentState: { ...next, _deleted: w.deleted } as Record<string, unknown> & { _deleted: boolean },
            assumedMasterState: assumed ? { ...assumed, _deleted: false } : null,
          };
          const checked = checkPushRow(hosted, new Set(['w1']), row, index);
          if (isRefused(checked)) return;
          const decision = decide(checked, stored.get(checked.id), hosted, judge);
          if (decision === 'insert' || decision === 'update') {
            stored.set(checked.id, { ws: 'w1', id: checked.id, doc: checked.doc, deleted: checked.deleted });
          }
        });
        for (const [id, document] of stored) {
          const origin = SEEDS.find((doc) => doc['id'] === id);
          expect(origin, `a member created ${id}`).toBeDefined();
          expect(document.deleted, `a member deleted ${id}`).toBe(false);
          expect(memberMayProduce(origin!, document.doc), JSON.stringify(document.doc)).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
