import { useMemo, useState } from 'preact/hooks';
import { INSIGHT_TIME_RANGES, INSIGHT_TYPES, type BrainInsight, type BrainStore, type InsightTimeRange } from './brain-store.ts';
import { useObservable } from './use-observable.ts';
import { dateTime, words } from './format.ts';
import { FilterSelect } from './filter-select.tsx';

/** Insights grouped by type: pattern, how often, how sure, examples; filtered by time range. */
export function InsightsView({ store, workspace }: { store: BrainStore; workspace: string }) {
  const [range, setRange] = useState<InsightTimeRange | ''>('');
  const query = useMemo(
    () => store.brainInsights.getInsightsByWorkspace({ workspace_id: workspace, limit: 100, ...(range ? { time_range: range } : {}) }),
    [store, workspace, range],
  );
  const insights = useObservable<BrainInsight[] | undefined>(query.$, undefined);
  const groups = useMemo(
    () =>
      INSIGHT_TYPES.map((type) => ({ type, items: (insights ?? []).filter((insight) => insight.insight_type === type) })).filter(
        (group) => group.items.length > 0,
      ),
    [insights],
  );
  return (
    <section aria-labelledby="insights-heading">
      <div class="section-head">
        <h2 id="insights-heading">Insights</h2>
        <FilterSelect
          label="Time range"
          value={range}
          values={INSIGHT_TIME_RANGES}
          name={(value) => (value === 'today' ? 'Today' : `This ${value}`)}
          any="Any"
          onChange={setRange}
        />
      </div>
      {insights === undefined ? (
        <p class="empty">Loading…</p>
      ) : groups.length === 0 ? (
        <p class="empty">No insights{range ? ' in this time range' : ''} yet.</p>
      ) : (
        groups.map((group) => (
          <section key={group.type} class="insight-group" aria-labelledby={`insights-${group.type}`}>
            <h3 id={`insights-${group.type}`}>{words(group.type)}</h3>
            <ul class="cards">
              {group.items.map((insight) => (
                <li key={insight.id} class="card">
                  <p class="pattern">{insight.pattern}</p>
                  <p class="meta">
                    <span>
                      Seen <strong>{insight.frequency}</strong>×
                    </span>
                    <span class={`tag confidence ${insight.confidence}`}>{words(insight.confidence)} confidence</span>
                    <span class="muted">
                      {words(insight.time_range)} · {dateTime(insight.created_at)}
                    </span>
                  </p>
                  {insight.examples.length > 0 ? (
                    <ul class="examples" aria-label="Examples">
                      {insight.examples.slice(0, 3).map((example, index) => (
                        <li key={index}>“{example}”</li>
                      ))}
                    </ul>
                  ) : null}
                  {insight.recommendation ? <p class="recommendation">{insight.recommendation}</p> : null}
                </li>
              ))}
            </ul>
          </section>
        ))
      )}
    </section>
  );
}
