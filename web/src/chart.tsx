import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

// Charts are uPlot on a canvas, hidden from screen readers; each carries its figures as a table
// that assistive technology reads instead, and a caption that says what it shows.

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  /** line (default), bars, a dashed threshold, or a single marked point. */
  kind?: 'line' | 'bars' | 'threshold' | 'marker';
}

export interface ChartProps {
  title: string;
  /** One label per x position: versions, dimensions. */
  labels: string[];
  series: ChartSeries[];
  format?: (y: number) => string;
  height?: number;
  /** A sentence for people who do not see the chart. */
  summary?: string;
  testId?: string;
}

export const COLORS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0f766e', '#4b5563'];

const plain = (y: number) => String(Number(y.toPrecision(4)));

function optionsOf(props: ChartProps, width: number): uPlot.Options {
  const format = props.format ?? plain;
  const n = props.labels.length;
  const bars = props.series.some((s) => s.kind === 'bars');
  return {
    width,
    height: props.height ?? 220,
    legend: { show: props.series.length > 1, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false, range: () => [bars ? -0.5 : -0.2, n - (bars ? 0.5 : 0.8)] } },
    axes: [
      {
        splits: () => props.labels.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => props.labels[i] ?? ''),
        stroke: '#374151',
        grid: { show: false },
      },
      { values: (_u, values) => values.map(format), size: 64, stroke: '#374151', grid: { stroke: '#e5e7eb' } },
    ],
    series: [
      {},
      ...props.series.map((s): uPlot.Series => ({
        label: s.label,
        stroke: s.color,
        width: s.kind === 'threshold' ? 1.5 : 2,
        dash: s.kind === 'threshold' ? [6, 4] : undefined,
        fill: s.kind === 'bars' ? `${s.color}b3` : undefined,
        paths:
          s.kind === 'bars' ? uPlot.paths.bars!({ size: [0.6, 56] }) : s.kind === 'marker' ? () => null : undefined,
        points: {
          show: s.kind !== 'threshold' && s.kind !== 'bars',
          size: s.kind === 'marker' ? 11 : 6,
          fill: s.color,
        },
        value: (_u, v) => (v === null || v === undefined ? '–' : format(v)),
      })),
    ],
  };
}

/** The figure's inner width: the plot follows its box, never the other way round. */
const widthOf = (figure: HTMLElement) => {
  const style = getComputedStyle(figure);
  return Math.max(200, figure.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
};

export function Chart(props: ChartProps) {
  const frame = useRef<HTMLElement>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const figure = frame.current;
    const element = box.current;
    if (!figure || !element) return;
    const data: uPlot.AlignedData = [props.labels.map((_, i) => i), ...props.series.map((s) => s.values)];
    const plot = new uPlot(optionsOf(props, widthOf(figure)), data, element);
    const resized = new ResizeObserver(() => plot.setSize({ width: widthOf(figure), height: props.height ?? 220 }));
    resized.observe(figure);
    return () => {
      resized.disconnect();
      plot.destroy();
    };
  }, [props.labels.join('|'), JSON.stringify(props.series), props.height]);

  const format = props.format ?? plain;
  return (
    <figure ref={frame} class="chart" data-testid={props.testId} data-points={props.labels.length}>
      <figcaption>{props.title}</figcaption>
      {props.summary && <p class="chart-summary">{props.summary}</p>}
      <div ref={box} class="plot" aria-hidden="true" />
      <table class="sr-only">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">Point</th>
            {props.series.map((s) => (
              <th scope="col">{s.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.labels.map((label, i) => (
            <tr>
              <th scope="row">{label}</th>
              {props.series.map((s) => (
                <td>{s.values[i] === null || s.values[i] === undefined ? '–' : format(s.values[i]!)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
