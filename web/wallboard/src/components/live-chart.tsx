// Calls waiting (all groups) and the day's service level, over the last hour.
import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import type { LiveSeries } from '../series.ts';
import { axis, Chart } from './chart.tsx';

export function LiveChart({ series, now }: { series: LiveSeries; now: number }) {
  const opts = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      // A wall screen is not hovered: the legend names the series, without live values.
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: (_u, _min, max) => [max - 3600, max] },
        waiting: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.2))] },
        sl: { range: [0, 100] },
      },
      series: [
        {},
        { label: 'Waiting', scale: 'waiting', stroke: '#f0883e', width: 2, fill: 'rgba(240,136,62,0.15)', paths: uPlot.paths.stepped!({ align: 1 }), value: (_u, v) => (v == null ? '–' : String(v)) },
        { label: 'Service level', scale: 'sl', stroke: '#3fb950', width: 2, value: (_u, v) => (v == null ? '–' : `${v}%`) },
      ],
      axes: [axis(), axis({ scale: 'waiting', label: 'waiting', labelSize: 18 }), axis({ scale: 'sl', side: 1, label: 'SL %', labelSize: 18, grid: { show: false } })],
    }),
    [],
  );
  // The x range ends at the server's time now, so the chart scrolls even when nothing changes.
  const t = [...series.t];
  const last = t.length - 1;
  const data: uPlot.AlignedData =
    last >= 0 ? [[...t, Math.floor(now / 1000)], [...series.waiting, series.waiting[last]!], [...series.sl, series.sl[last]!]] : [[], [], []];
  return (
    <section class="live-chart" aria-label="Last hour">
      <header>
        <h2>Last hour</h2>
      </header>
      <Chart opts={opts} data={data} version={series.version} label="Calls waiting and service level over the last hour" />
    </section>
  );
}
