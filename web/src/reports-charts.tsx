// The reports page's charts: SVG drawn with d3-scale and d3-shape. Each chart is one image with a
// summary as its name; the table beside it is the full text alternative.
import { scaleBand, scaleLinear } from 'd3-scale';
import { line, stack } from 'd3-shape';
import type { Point } from './reports';

const W = 640;
const H = 260;
const M = { top: 16, right: 16, bottom: 44, left: 72 };

/** At most about eight x-axis labels, evenly spread. */
const labelEvery = (n: number) => Math.max(1, Math.ceil(n / 8));
/** A bar no wider than 48 units, centred in its band (one period must not fill the chart). */
const BAR_MAX = 48;
const barOf = (band: { (i: number): number | undefined; bandwidth(): number }, i: number) => {
  const width = Math.min(band.bandwidth(), BAR_MAX);
  return { x: (band(i) ?? 0) + (band.bandwidth() - width) / 2, width };
};

function YAxis({ ticks, y, format }: { ticks: number[]; y: (v: number) => number; format: (v: number) => string }) {
  return (
    <g>
      {ticks.map((v) => (
        <g key={v}>
          <line x1={M.left} x2={W - M.right} y1={y(v)} y2={y(v)} class="chart-grid" />
          <text x={M.left - 6} y={y(v)} dy="0.32em" text-anchor="end" class="chart-tick">
            {format(v)}
          </text>
        </g>
      ))}
    </g>
  );
}

function XLabels({ labels, x }: { labels: string[]; x: (i: number) => number }) {
  const every = labelEvery(labels.length);
  return (
    <g>
      {labels.map((label, i) =>
        i % every === 0 ? (
          <text key={i} x={x(i)} y={H - M.bottom + 18} text-anchor="middle" class="chart-tick">
            {label}
          </text>
        ) : null,
      )}
    </g>
  );
}

/** A line over the periods; a period without a value (no capacity, nothing sold) breaks the line. */
export function LineChart(props: { id: string; summary: string; points: Point[]; format: (v: number) => string; color: string; max?: number }) {
  const { points, format } = props;
  const values = points.map((p) => p.value).filter((v): v is number => v !== null);
  const top = Math.max(props.max ?? 0, ...values, 1);
  const y = scaleLinear().domain([0, top]).nice(4).range([H - M.bottom, M.top]);
  const band = scaleBand<number>().domain(points.map((_, i) => i)).range([M.left, W - M.right]).padding(0.1);
  const x = (i: number) => (band(i) ?? 0) + band.bandwidth() / 2;
  const path = line<Point>()
    .defined((p) => p.value !== null)
    .x((_, i) => x(i))
    .y((p) => y(p.value ?? 0))(points);
  return (
    <svg id={props.id} role="img" aria-label={props.summary} viewBox={`0 0 ${W} ${H}`} class="chart">
      <YAxis ticks={y.ticks(4)} y={y} format={format} />
      <XLabels labels={points.map((p) => p.label)} x={x} />
      {path && <path d={path} fill="none" stroke={props.color} stroke-width={2.5} />}
      {points.map((p, i) =>
        p.value === null ? null : <circle key={i} cx={x(i)} cy={y(p.value)} r={points.length > 40 ? 1.5 : 3.5} fill={props.color} />,
      )}
    </svg>
  );
}

/** Bars, one per item (covers per period, covers per start time). */
export function BarChart(props: { id: string; summary: string; items: { label: string; value: number }[]; format: (v: number) => string; color: string }) {
  const { items } = props;
  const y = scaleLinear().domain([0, Math.max(1, ...items.map((i) => i.value))]).nice(4).range([H - M.bottom, M.top]);
  const band = scaleBand<number>().domain(items.map((_, i) => i)).range([M.left, W - M.right]).padding(0.2);
  const x = (i: number) => (band(i) ?? 0) + band.bandwidth() / 2;
  return (
    <svg id={props.id} role="img" aria-label={props.summary} viewBox={`0 0 ${W} ${H}`} class="chart">
      <YAxis ticks={y.ticks(4).filter(Number.isInteger)} y={y} format={props.format} />
      <XLabels labels={items.map((i) => i.label)} x={x} />
      {items.map((item, i) => (
        <rect key={i} {...barOf(band, i)} y={y(item.value)} height={y(0) - y(item.value)} fill={props.color} />
      ))}
    </svg>
  );
}

/** Stacked bars: per period, one segment per key (room revenue by channel). */
export function StackedBars<K extends string>(props: {
  id: string;
  summary: string;
  rows: { label: string; values: Record<K, number> }[];
  keys: readonly K[];
  colors: Record<K, string>;
  format: (v: number) => string;
}) {
  const { rows, keys } = props;
  const series = stack<{ label: string; values: Record<K, number> }, K>()
    .keys(keys)
    .value((row, key) => Math.max(0, row.values[key]))(rows);
  const top = Math.max(1, ...rows.map((r) => keys.reduce((sum, k) => sum + Math.max(0, r.values[k]), 0)));
  const y = scaleLinear().domain([0, top]).nice(4).range([H - M.bottom, M.top]);
  const band = scaleBand<number>().domain(rows.map((_, i) => i)).range([M.left, W - M.right]).padding(0.2);
  const x = (i: number) => (band(i) ?? 0) + band.bandwidth() / 2;
  return (
    <svg id={props.id} role="img" aria-label={props.summary} viewBox={`0 0 ${W} ${H}`} class="chart">
      <YAxis ticks={y.ticks(4)} y={y} format={props.format} />
      <XLabels labels={rows.map((r) => r.label)} x={x} />
      {series.map((s) => (
        <g key={s.key} fill={props.colors[s.key]}>
          {s.map((d, i) => (d[1] > d[0] ? <rect key={i} {...barOf(band, i)} y={y(d[1])} height={y(d[0]) - y(d[1])} /> : null))}
        </g>
      ))}
    </svg>
  );
}
