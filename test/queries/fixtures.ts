import type { CreateActionArgs, CreateInsightArgs, CreateSummaryArgs } from '../../src/index.ts';

/** Valid create arguments; tests override the fields they care about. */
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const summaryArgs = (over: Partial<CreateSummaryArgs> = {}): CreateSummaryArgs => ({
  workspace_id: 'w1',
  summary_text: 'Quiet day: 3 new leads.',
  summary_type: 'daily',
  trigger: 'cron',
  metrics: { newLeadsCount: 3, hotLeadsCount: 1, warmLeadsCount: 1, coldLeadsCount: 1 },
  ...over,
});

export const insightArgs = (over: Partial<CreateInsightArgs> = {}): CreateInsightArgs => ({
  workspace_id: 'w1',
  insight_type: 'trending_topic',
  pattern: 'pricing questions',
  frequency: 4,
  examples: ['how much?', 'price list?'],
  confidence: 'high',
  time_range: 'today',
  ...over,
});

export const actionArgs = (over: Partial<CreateActionArgs> = {}): CreateActionArgs => ({
  workspace_id: 'w1',
  contact_id: 'c1',
  action_type: 'follow_up',
  priority: 50,
  urgency: 'today',
  reason: 'asked for pricing twice',
  ...over,
});

/** A clock the test moves by hand. */
export function manualClock(start = T0) {
  let time = start;
  return {
    now: () => time,
    set: (to: number) => void (time = to),
    advance: (ms: number) => void (time += ms),
  };
}

/**
 * Awaits `promise` under vi.useFakeTimers. RxDB and its idle queue wait on 0 ms timers, and
 * fake timers schedule a 0 ms timer set inside a tick 1 ms later, so this runs due timers and,
 * when nothing else moves, lets the clock step by 1 ms. Use it for setup and teardown, not
 * around an instant under test.
 */
export async function settle<T>(promise: Promise<T>, vi: { advanceTimersByTimeAsync(ms: number): Promise<unknown> }): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  void promise.then(
    (value) => void (outcome = { ok: true, value }),
    (error: unknown) => void (outcome = { ok: false, error }),
  );
  for (let round = 0; !outcome; round++) {
    if (round > 5_000) throw new Error('settle: the promise still waits after 1000 fake ms');
    await vi.advanceTimersByTimeAsync(round % 5 === 4 ? 1 : 0);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** Lets real macrotasks (fake-indexeddb's setImmediate) run without moving the fake clock. */
export async function flushWithoutTime(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
