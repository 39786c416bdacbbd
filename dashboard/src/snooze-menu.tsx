import { useEffect, useRef, useState } from 'preact/hooks';
import { clockTime, startOfDay } from './format.ts';

const HOUR = 3_600_000;

/** The snooze choices at `now`: an hour, three hours, tomorrow at 9:00 (this device's zone). */
export function snoozeChoices(now: number): { label: string; until: number }[] {
  return [
    { label: '1 hour', until: now + HOUR },
    { label: '3 hours', until: now + 3 * HOUR },
    { label: 'Tomorrow 9:00', until: startOfDay(now) + 33 * HOUR },
  ];
}

/**
 * Snooze: hides the action from the queue until the chosen time (it comes back by itself;
 * it still expires at its own time). A menu button: Escape or a choice closes it.
 */
export function SnoozeMenu({
  reason,
  now,
  expiresAt,
  onSnooze,
}: {
  reason: string;
  now: number;
  expiresAt: number;
  onSnooze: (until: number, label: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (open) menu.current?.querySelector<HTMLButtonElement>('button:not([disabled])')?.focus();
  }, [open]);
  return (
    <div
      class="snooze"
      onKeyDown={(event) => {
        if (event.key === 'Escape' && open) {
          event.stopPropagation();
          setOpen(false);
        }
      }}
    >
      <button type="button" class="secondary" aria-expanded={open} aria-label={`Snooze: ${reason}`} onClick={() => setOpen(!open)}>
        Snooze
      </button>
      {open ? (
        <div class="snooze-menu" ref={menu} role="group" aria-label="Snooze until">
          {snoozeChoices(now).map((choice) => {
            const late = choice.until >= expiresAt;
            return (
              <button
                key={choice.label}
                type="button"
                class="quiet"
                disabled={late}
                title={late ? 'It expires before then' : `Back at ${clockTime(choice.until)}`}
                onClick={() => {
                  setOpen(false);
                  onSnooze(choice.until, choice.label);
                }}
              >
                {choice.label}
              </button>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}
