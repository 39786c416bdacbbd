import { useEffect, useState } from 'preact/hooks';
import type { ActOutcome, DeferredActs } from './deferred-acts.ts';
import { useNow, useObservable } from './use-observable.ts';
import { clockTime } from './format.ts';

/**
 * "Marked done · Undo" for as long as the undo window lasts (the write waits for it), and
 * afterwards a word when a deferred write could not be made (the action had moved on).
 */
export function UndoToast({ acts }: { acts: DeferredActs }) {
  const pending = useObservable(acts.acts$, []);
  const now = useNow(Date.now, 500);
  const [problem, setProblem] = useState<ActOutcome | undefined>(undefined);
  useEffect(() => {
    const subscription = acts.outcomes$.subscribe((outcome) => outcome.result !== 'saved' && setProblem(outcome));
    return () => subscription.unsubscribe();
  }, [acts]);
  const latest = pending.at(-1);
  return (
    <div class="toast-region" role="status" aria-live="polite">
      {latest ? (
        <div class="toast" data-testid="undo-toast">
          <span>
            {latest.kind === 'done'
              ? 'Marked done'
              : latest.kind === 'dismiss'
                ? 'Dismissed'
                : `Snoozed until ${clockTime(latest.until ?? 0)}`}
            {pending.length > 1 ? ` (+${pending.length - 1} more)` : ''}: <span class="toast-reason">{latest.reason}</span>
          </span>
          <button type="button" class="toast-undo" onClick={() => acts.undo(latest.id)}>
            Undo
          </button>
          <span class="muted toast-left" aria-hidden="true">
            {Math.max(0, Math.ceil((latest.due - now) / 1000))} s
          </span>
        </div>
      ) : problem ? (
        <div class="toast toast-problem">
          <span>
            {problem.result === 'changed'
              ? `Not saved: “${problem.act.reason}” had already changed (expired or handled elsewhere).`
              : `Not saved: “${problem.act.reason}”: ${problem.message ?? 'the write failed'}.`}
          </span>
          <button type="button" class="quiet" onClick={() => setProblem(undefined)}>
            OK
          </button>
        </div>
      ) : null}
    </div>
  );
}
