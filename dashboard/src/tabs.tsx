import type { TabId } from './view-state.ts';

const TABS: readonly { id: TabId; label: string }[] = [
  { id: 'actions', label: 'Actions' },
  { id: 'history', label: 'History' },
  { id: 'insights', label: 'Insights' },
  { id: 'summaries', label: 'Summaries' },
];

/** WAI-ARIA tabs: one tab in the Tab order, arrow keys, Home and End move between them. */
export function Tabs({ current, onChange }: { current: TabId; onChange: (tab: TabId) => void }) {
  const move = (event: KeyboardEvent, index: number) => {
    const target =
      event.key === 'ArrowRight'
        ? (index + 1) % TABS.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + TABS.length) % TABS.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? TABS.length - 1
              : undefined;
    if (target === undefined) return;
    event.preventDefault();
    const next = TABS[target]!.id;
    onChange(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <nav class="tabs" aria-label="Views">
      <div role="tablist" aria-label="Views">
        {TABS.map((tab, index) => (
          <button
            key={tab.id}
            id={`tab-${tab.id}`}
            type="button"
            role="tab"
            aria-selected={current === tab.id}
            aria-controls={current === tab.id ? `panel-${tab.id}` : undefined}
            tabIndex={current === tab.id ? 0 : -1}
            onClick={() => onChange(tab.id)}
            onKeyDown={(event) => move(event, index)}
          >
            {tab.label}
          </button>
        ))}
      </div>
    </nav>
  );
}
