// One group: calls waiting, the longest wait (coloured by thresholds, ticking), the day's
// service level, operators available, and the day's counts.
import type { GroupSnapshot } from '@voice-management/client';
import { duration, waitLevel } from '../format.ts';
import { Gauge } from './gauge.tsx';

/** `elapsed`: seconds since the snapshot was taken (the longest wait keeps ticking). */
export function GroupTile({ group: g, elapsed }: { group: GroupSnapshot; elapsed: number }) {
  const longest = g.waiting > 0 ? g.longest_wait + elapsed : 0;
  const level = g.waiting > 0 ? waitLevel(longest, g.today.sl_threshold) : 'ok';
  const o = g.operators;
  return (
    <section class={`tile wait-${level}`} data-group={g.id} aria-label={`Group ${g.name}`}>
      <header>
        <h2>{g.name}</h2>
      </header>
      <div class="tile-body">
        <div class="metric waiting">
          <span class="value" data-metric="waiting">{g.waiting}</span>
          <span class="label">waiting</span>
        </div>
        <div class={`metric longest ${level}`}>
          <span class="value" data-metric="longest">{g.waiting > 0 ? duration(longest) : '–'}</span>
          <span class="label">longest wait</span>
        </div>
        <Gauge value={g.today.service_level} label={`answered ≤ ${g.today.sl_threshold}s`} />
        <div class={`metric available ${o.available === 0 && o.logged_in > 0 ? 'warn' : ''}`}>
          <span class="value" data-metric="available">
            {o.available}
            <small>/{o.logged_in}</small>
          </span>
          <span class="label">available</span>
        </div>
      </div>
      <footer>
        <span title="Calls offered today">
          <b data-metric="offered">{g.today.offered}</b> offered
        </span>
        <span title="Answered today">
          <b data-metric="answered">{g.today.answered}</b> answered
        </span>
        <span title="Abandoned today">
          <b data-metric="abandoned">{g.today.abandoned}</b> abandoned
        </span>
        <span title="Average wait of answered calls">
          <b>{duration(g.today.avg_wait)}</b> avg wait
        </span>
        <span class="ops" title="On call · ringing · wrap-up · paused">
          {o.on_call} on call · {o.ringing} ringing · {o.wrapup} wrap-up · {o.paused} paused
        </span>
      </footer>
    </section>
  );
}
