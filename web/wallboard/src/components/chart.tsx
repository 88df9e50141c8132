// A uPlot chart that fills its box: built once per `opts`, fed new data with setData,
// resized with its container.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

interface Props {
  opts: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  /** Redraws when this changes (data arrays may be mutated in place). */
  version?: number;
  class?: string;
  label: string;
}

export function Chart({ opts, data, version, class: cls, label }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current!;
    // uPlot's height is the plot's; the legend below it takes the rest of the box. The
    // legend's height is known only once laid out, hence the second sizing on the next frame.
    let u: uPlot | undefined;
    const size = () => {
      const legend = u?.root.querySelector<HTMLElement>('.u-legend')?.offsetHeight ?? 0;
      return { width: Math.max(200, el.clientWidth), height: Math.max(100, el.clientHeight - legend) };
    };
    u = new uPlot({ ...opts, ...size() }, data, el);
    plot.current = u;
    const resize = () => u?.setSize(size());
    const frame = requestAnimationFrame(resize);
    const ro = new ResizeObserver(resize);
    ro.observe(el);
    return () => {
      cancelAnimationFrame(frame);
      ro.disconnect();
      u?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- rebuilt only when the options change
  }, [opts]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data, version]);

  return <div class={`chart ${cls ?? ''}`} ref={box} role="img" aria-label={label} />;
}

/** Axis and grid colours of the dark theme. */
export const axis = (extra: Partial<uPlot.Axis> = {}): uPlot.Axis => ({
  stroke: '#9aa4b2',
  grid: { stroke: 'rgba(255,255,255,0.07)', width: 1 },
  ticks: { stroke: 'rgba(255,255,255,0.15)', width: 1 },
  font: '13px system-ui, sans-serif',
  ...extra,
});
