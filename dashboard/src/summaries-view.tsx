import { useEffect, useMemo, useState } from 'preact/hooks';
import type { BrainStore, BrainSummary } from './brain-store.ts';
import { useObservable } from './use-observable.ts';
import { dateTime, words } from './format.ts';
import type { LeadChart } from './lead-chart.tsx';

/** The latest summary's text and metrics, and hot/warm/cold over the last 14 summaries. */
export function SummariesView({ store, workspace }: { store: BrainStore; workspace: string }) {
  const recent = useMemo(() => store.brainSummaries.getSummariesByWorkspace({ workspace_id: workspace, limit: 14 }), [store, workspace]);
  const summaries = useObservable<BrainSummary[] | undefined>(recent.$, undefined);
  const latest = summaries?.[0];
  const series = useMemo(() => [...(summaries ?? [])].reverse(), [summaries]);
  if (summaries === undefined) return <p class="empty">Loading…</p>;
  if (!latest) return <p class="empty">No summaries yet. The bot writes one a day.</p>;
  const m = latest.metrics;
  return (
    <section aria-labelledby="summary-heading">
      <div class="section-head">
        <h2 id="summary-heading">Latest summary</h2>
        <p class="muted">
          {words(latest.summary_type)} · {dateTime(latest.created_at)}
        </p>
      </div>
      <p class="summary-text">{latest.summary_text}</p>
      <dl class="metrics">
        <Metric label="New leads" value={m.newLeadsCount} />
        <Metric label="Hot" value={m.hotLeadsCount} tone="hot" />
        <Metric label="Warm" value={m.warmLeadsCount} tone="warm" />
        <Metric label="Cold" value={m.coldLeadsCount} tone="cold" />
        {m.responseRate !== undefined ? <Metric label="Response rate" value={`${m.responseRate}%`} /> : null}
        {m.avgScore !== undefined ? <Metric label="Average score" value={m.avgScore} /> : null}
      </dl>
      <div class="lists">
        {m.topQuestions?.length ? <TextList title="Top questions" items={m.topQuestions} /> : null}
        {m.rejectionReasons?.length ? <TextList title="Rejection reasons" items={m.rejectionReasons} /> : null}
      </div>
      <h3>Lead temperature{series.length === 1 ? ', latest summary' : `, last ${series.length} summaries`}</h3>
      <LazyLeadChart summaries={series} />
    </section>
  );
}

/**
 * The chart and uPlot load when the Summaries tab first shows, not with the page: the action
 * queue, the first thing a user sees, renders without them (the service worker precaches the
 * chunk, so it loads offline too).
 */
function LazyLeadChart({ summaries }: { summaries: readonly BrainSummary[] }) {
  const [Chart, setChart] = useState<typeof LeadChart | null>(null);
  useEffect(() => {
    let mounted = true;
    void import('./lead-chart.tsx').then((module) => mounted && setChart(() => module.LeadChart));
    return () => {
      mounted = false;
    };
  }, []);
  return Chart ? <Chart summaries={summaries} /> : <figure class="chart chart-loading" aria-busy="true" />;
}

function Metric({ label, value, tone }: { label: string; value: number | string; tone?: string }) {
  return (
    <div class={`metric ${tone ?? ''}`}>
      <dt>{label}</dt>
      <dd>{typeof value === 'number' ? value.toLocaleString() : value}</dd>
    </div>
  );
}

function TextList({ title, items }: { title: string; items: readonly string[] }) {
  return (
    <div>
      <h3>{title}</h3>
      <ul>
        {items.slice(0, 5).map((item, index) => (
          <li key={index}>{item}</li>
        ))}
      </ul>
    </div>
  );
}
