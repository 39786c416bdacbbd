import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BrainSummary } from './brain-store.ts';

const HEIGHT = 220;
const COLOURS = { hot: '#c2410c', warm: '#b45309', cold: '#1d4ed8' } as const;

/** Hot/warm/cold lead counts per summary (oldest left), redrawn on data or width change. */
export function LeadChart({ summaries }: { summaries: readonly BrainSummary[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
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
          { label: 'Hot', stroke: COLOURS.hot, width: 2, points: { show: true } },
          { label: 'Warm', stroke: COLOURS.warm, width: 2, dash: [6, 3], points: { show: true } },
          { label: 'Cold', stroke: COLOURS.cold, width: 2, dash: [2, 3], points: { show: true } },
        ],
        axes: [{ stroke: '#444' }, { stroke: '#444', label: 'Leads' }],
        legend: { live: false },
        cursor: { show: false },
      },
      data,
      element,
    );
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
  return `Line chart of hot, warm and cold leads over ${summaries.length} summaries.`;
}
