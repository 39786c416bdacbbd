import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTROL_RESERVE_BYTES, OwedBytes } from '../../../src/server/fanout/owed-bytes.ts';
import { fuzzSettings } from '../../helpers/fuzz-settings.ts';

/**
 * What a change stream owes (issue 23, slow readers), in any order of frames, pokes, pulls and
 * time: it never owes more than its budget; once documents are held back nothing but pokes and
 * heartbeats goes until the client pulls; and a poke left unanswered for the window is overdue.
 */
const BUDGET = 64 * 1024;
const ASK_WITHIN_MS = 2_000;

type Step =
  | { readonly kind: 'documents'; readonly bytes: number }
  | { readonly kind: 'control'; readonly bytes: number }
  | { readonly kind: 'poke' }
  | { readonly kind: 'pull' }
  | { readonly kind: 'wait'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('documents' as const), bytes: fc.integer({ min: 1, max: 32 * 1024 }) }),
  // Heartbeats, RESYNCs and retry hints are ~30 bytes; larger ones reach the budget in fewer steps.
  { arbitrary: fc.record({ kind: fc.constant('control' as const), bytes: fc.integer({ min: 20, max: 2_048 }) }), weight: 4 },
  fc.record({ kind: fc.constant('poke' as const) }),
  fc.record({ kind: fc.constant('pull' as const) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
);

describe('OwedBytes', () => {
  it('never owes more than its budget, holds documents back until a pull once one was held, and marks an unanswered ask overdue', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 20, maxLength: 300, size: 'max' }), (steps) => {
        const owed = new OwedBytes(BUDGET);
        const documentsRoom = BUDGET - CONTROL_RESERVE_BYTES;
        let now = 0;
        /** Documents were held back (or would not fit) since the last pull. */
        let full = false;
        let askedAt: number | undefined;
        for (const next of steps) {
          switch (next.kind) {
            case 'documents': {
              const admitted = !full && owed.owed + next.bytes <= documentsRoom;
              expect(owed.admitsDocuments(next.bytes)).toBe(admitted);
              if (admitted) owed.sent(next.bytes);
              else full = true;
              break;
            }
            case 'control': {
              const admitted = owed.owed + next.bytes <= BUDGET;
              expect(owed.admitsControl(next.bytes)).toBe(admitted);
              if (!admitted) return; // the stream is disconnected
              owed.sent(next.bytes);
              break;
            }
            case 'poke':
              if (owed.asking) break; // a stream already asking sends no second poke
              if (!owed.admitsControl(30)) return;
              owed.sent(30);
              if (owed.owed > documentsRoom) full = true;
              owed.poked(now);
              if (full) askedAt ??= now;
              break;
            case 'pull':
              owed.acknowledge();
              full = false;
              askedAt = undefined;
              break;
            case 'wait':
              now += next.ms;
              break;
          }
          if (owed.owed > documentsRoom) full = true;
          expect(owed.owed).toBeLessThanOrEqual(BUDGET);
          expect(owed.asking).toBe(askedAt !== undefined);
          expect(owed.overdue(now, ASK_WITHIN_MS)).toBe(askedAt !== undefined && now - askedAt >= ASK_WITHIN_MS);
        }
      }),
      fuzzSettings('owed-bytes', 300),
    );
  });

  it('lets documents go again after the pull that answers the ask', () => {
    const owed = new OwedBytes(BUDGET);
    while (owed.admitsDocuments(8_192)) owed.sent(8_192);
    expect(owed.owed).toBe(7 * 8_192);
    owed.sent(30);
    owed.poked(1_000);
    expect(owed.asking).toBe(true);
    expect(owed.admitsDocuments(10)).toBe(false);
    expect(owed.overdue(2_999, ASK_WITHIN_MS)).toBe(false);
    expect(owed.overdue(3_000, ASK_WITHIN_MS)).toBe(true);
    owed.acknowledge();
    expect(owed.admitsDocuments(8_192)).toBe(true);
  });
});
