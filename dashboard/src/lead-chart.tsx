import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BrainSummary } from './brain-store.ts';

const HEIGHT = 220;
const COLOURS = { hot: '#c2410c', warm: '#b45309', cold: '#1d4ed8' } as const;
/** Told apart without hue: a solid, a dashed and a dotted line, named in the legend beside a sample of each. */
const LINES = [
  { key: 'hot', label: 'Hot', dash: undefined, width: 3, hollow: false, size: 9 },
  { key: 'warm', label: 'Warm', dash: [10, 5], width: 2, hollow: true, size: 9 },
  { key: 'cold', label: 'Cold', dash: [2, 4], width: 2, hollow: false, size: 5 },
] as const;
const DAY_S = 86_400;

/** Hot/warm/cold lead counts per summary (oldest left), redrawn on data or width change. */
export function LeadChart({ summaries }: { summaries: readonly BrainSummary[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const single = summaries.length === 1 ? summaries[0]!.created_at / 1000 : undefined;
    const data: uPlot.AlignedData = [
      summaries.map((summary) => summary.created_at / 1000),
      summaries.map((summary) => summary.metrics.hotLeadsCount),
      summaries.map((summary) => summary.metrics.warmLeadsCount),
      summaries.map((summary) => summary.metrics.coldLeadsCount),
    ];
    const plot = new uPlot(
      {
        width: Math.max(element.clientWidth, 280),
        height: HEIGHT,
        series: [
          {},
          ...LINES.map((line) => ({
            label: line.label,
            stroke: COLOURS[line.key],
            width: line.width,
            ...(line.dash ? { dash: [...line.dash] } : {}),
            // Points differ too (filled, hollow, small): a single summary has no line to tell apart.
            points: { show: true, size: line.size, fill: line.hollow ? '#ffffff' : COLOURS[line.key] },
          })),
        ],
        // One summary is one instant: a day either side, not uPlot's guess of a range of years.
        scales: {
          x: { time: true, ...(single === undefined ? {} : { range: (): uPlot.Range.MinMax => [single - DAY_S, single + DAY_S] }) },
        },
        axes: [{ stroke: '#444' }, { stroke: '#444', label: 'Leads' }],
        legend: { show: false },
        cursor: { show: false },
      },
      data,
      element,
    );
    // The time axis' span in seconds (tests read it: one summary must not span years).
    const span = (plot.scales['x']?.max ?? 0) - (plot.scales['x']?.min ?? 0);
    element.parentElement?.setAttribute('data-x-span', String(span));
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [summaries]);
  const last = summaries.at(-1);
  return (
    <figure class="chart">
      <ul class="chart-legend" aria-hidden="true">
        {LINES.map((line) => (
          <li key={line.key}>
            <svg width="44" height="12" viewBox="0 0 44 12">
              <line
                x1="0"
                y1="6"
                x2="44"
                y2="6"
                stroke={COLOURS[line.key]}
                stroke-width={line.width}
                stroke-dasharray={line.dash ? line.dash.join(' ') : undefined}
              />
              <circle
                cx="22"
                cy="6"
                r={line.size / 2}
                fill={line.hollow ? '#ffffff' : COLOURS[line.key]}
                stroke={COLOURS[line.key]}
                stroke-width="1.5"
              />
            </svg>
            {line.label}
          </li>
        ))}
      </ul>
      <div ref={host} role="img" aria-label={chartDescription(summaries)} />
      {last ? (
        <figcaption class="muted">
          Latest: {last.metrics.hotLeadsCount} hot, {last.metrics.warmLeadsCount} warm, {last.metrics.coldLeadsCount} cold.
        </figcaption>
      ) : null}
    </figure>
  );
}

function chartDescription(summaries: readonly BrainSummary[]): string {
  return summaries.length === 1
    ? 'Line chart of hot, warm and cold leads: one summary so far.'
    : `Line chart of hot, warm and cold leads over ${summaries.length} summaries.`;
}
