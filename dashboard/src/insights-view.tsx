import { useMemo } from 'preact/hooks';
import { INSIGHT_TYPES, type BrainInsight, type BrainStore } from './brain-store.ts';
import { useNow, useObservable } from './use-observable.ts';
import { dateTime, quoted, relativeDay, startOfDay, words } from './format.ts';
import { FilterSelect } from './filter-select.tsx';
import type { ViewState } from './view-state.ts';

const PERIODS = ['today', 'week', 'month'] as const;
type Period = (typeof PERIODS)[number];
const PERIOD_NAMES: Record<Period, string> = { today: 'Today', week: 'Past 7 days', month: 'Past 30 days' };
/** The bot's analysis window (time_range): how much conversation the insight was drawn from. */
const SPAN_NAMES: Record<string, string> = { today: 'a day', week: 'a week', month: 'a month' };
const LIMIT = 100;
const DAY = 86_400_000;

/** The first instant of a period, by this device's calendar days. */
function since(period: Period, now: number): number {
  const today = startOfDay(now);
  return period === 'today' ? today : today - (period === 'week' ? 6 : 29) * DAY;
}

/**
 * Insights grouped by type: pattern, how often, how sure, examples. The period filter is by
 * when the insight was written (created_at), not by the label of its analysis window; dates
 * are relative ("yesterday") and move on with the clock.
 */
export function InsightsView({
  store,
  workspace,
  view,
  setView,
}: {
  store: BrainStore;
  workspace: string;
  view: ViewState;
  setView: (change: Partial<ViewState>) => void;
}) {
  const period = (PERIODS as readonly string[]).includes(view.since) ? (view.since as Period) : undefined;
  const query = useMemo(() => store.brainInsights.getInsightsByWorkspace({ workspace_id: workspace, limit: LIMIT }), [store, workspace]);
  const newest = useObservable<BrainInsight[] | undefined>(query.$, undefined);
  const now = useNow(store.now, 60_000);
  const insights = useMemo(
    () => (period ? newest?.filter((insight) => insight.created_at >= since(period, now)) : newest),
    [newest, period, now],
  );
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
          label="Written"
          value={period ?? ''}
          values={PERIODS}
          name={(value) => PERIOD_NAMES[value]}
          any="Any time"
          onChange={(value) => setView({ since: value })}
        />
      </div>
      {insights === undefined ? (
        <p class="empty">Loading…</p>
      ) : groups.length === 0 ? (
        <p class="empty">No insights{period ? ` written ${PERIOD_NAMES[period].toLowerCase()}` : ''} yet.</p>
      ) : (
        <>
          <p class="count">
            {insights.length} insight{insights.length === 1 ? '' : 's'}
            {newest && newest.length >= LIMIT ? ` among the newest ${LIMIT}` : ''}, newest first
          </p>
          {groups.map((group) => (
            <section key={group.type} class="insight-group" aria-labelledby={`insights-${group.type}`}>
              <h3 id={`insights-${group.type}`}>{words(group.type)}</h3>
              <ul class="cards">
                {group.items.map((insight) => (
                  <InsightCard key={insight.id} insight={insight} now={now} />
                ))}
              </ul>
            </section>
          ))}
        </>
      )}
    </section>
  );
}

function InsightCard({ insight, now }: { insight: BrainInsight; now: number }) {
  return (
    <li class="card">
      <p class="pattern">{insight.pattern}</p>
      <p class="meta">
        <span>
          Seen <strong>{insight.frequency}</strong>× over {SPAN_NAMES[insight.time_range] ?? insight.time_range}
        </span>
        <span class={`tag confidence ${insight.confidence}`}>{words(insight.confidence)} confidence</span>
        <span class="muted">
          Written {relativeDay(insight.created_at, now)} ·{' '}
          <time dateTime={new Date(insight.created_at).toISOString()}>{dateTime(insight.created_at)}</time>
        </span>
      </p>
      {insight.examples.length > 0 ? (
        <ul class="examples" aria-label="Examples">
          {insight.examples.slice(0, 3).map((example, index) => (
            <li key={index}>{quoted(example)}</li>
          ))}
        </ul>
      ) : null}
      {insight.recommendation ? <p class="recommendation">{insight.recommendation}</p> : null}
    </li>
  );
}
