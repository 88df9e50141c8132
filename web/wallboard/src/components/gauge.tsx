// A half-circle service-level gauge.
import { slLevel, percent } from '../format.ts';

export function Gauge({ value, label }: { value: number; label: string }) {
  const v = Math.min(1, Math.max(0, value));
  // Arc from 180° to 0° on a circle of radius 40 centred at (50, 50).
  const angle = Math.PI * (1 - v);
  const x = 50 + 40 * Math.cos(angle);
  const y = 50 - 40 * Math.sin(angle);
  return (
    <figure class={`gauge ${slLevel(v)}`} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(v * 100)} aria-label={label}>
      <svg viewBox="0 0 100 58">
        <path class="track" d="M10 50 A40 40 0 0 1 90 50" />
        {v > 0 && <path class="fill" d={`M10 50 A40 40 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}`} />}
        <text x="50" y="48" text-anchor="middle">{percent(v)}</text>
      </svg>
      <figcaption>{label}</figcaption>
    </figure>
  );
}
