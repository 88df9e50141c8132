// The operators: name, state colour, time in state (ticking), pause label, current call,
// the groups a supervisor suspended them in, and (a supervisor's operators) the actions.
import type { Directory, OperatorSnapshot } from '@voice-management/client';
import { duration, STATE_LABELS, STATE_ORDER } from '../format.ts';
import type { Supervision } from '../supervision.ts';
import { OperatorActions } from './operator-actions.tsx';

interface Props {
  operators: OperatorSnapshot[];
  /** The server's time now, ms. */
  now: number;
  pauses: Directory['pauses'] | undefined;
  groupNames: Map<number, string>;
  /** A supervisor's token: actions on the operators it may act on. */
  supervision: Supervision | undefined;
}

export function OperatorGrid({ operators, now, pauses, groupNames, supervision }: Props) {
  const pauseLabel = new Map((pauses ?? []).map((p) => [Number(p.id), p.value]));
  // Logged-out operators go last; otherwise a stable order by name, easier to follow on a wall.
  const sorted = [...operators].sort((a, b) => Number(a.state === 'logged_out') - Number(b.state === 'logged_out') || a.name.localeCompare(b.name));
  const counts = new Map<string, number>();
  for (const o of operators) counts.set(o.state, (counts.get(o.state) ?? 0) + 1);
  return (
    <section class="operators" aria-label="Operators">
      <header>
        <h2>Operators</h2>
        <ul class="legend">
          {STATE_ORDER.filter((s) => counts.get(s)).map((s) => (
            <li key={s} class={`st-${s}`}>
              <i />
              {STATE_LABELS[s]} <b>{counts.get(s)}</b>
            </li>
          ))}
        </ul>
      </header>
      <ul class={`op-grid ${operators.length > 12 ? 'compact' : ''}`}>
        {sorted.map((o) => {
          const inState = Math.max(0, (now - Date.parse(o.since)) / 1000);
          const detail =
            o.state === 'paused'
              ? o.pause_id !== null
                ? (pauseLabel.get(o.pause_id) ?? `Pause ${o.pause_id}`)
                : 'Pause'
              : o.call
                ? [groupNames.get(o.call.id_queue), o.call.caller_id_num].filter(Boolean).join(' · ')
                : '';
          return (
            <li key={o.id} class={`op st-${o.state}`} data-operator={o.id} data-state={o.state}>
              <span class="op-name">{o.name}</span>
              <span class="op-state">{STATE_LABELS[o.state]}</span>
              <span class="op-time">{o.state === 'logged_out' ? '' : duration(inState)}</span>
              <span class="op-detail" data-detail>
                {detail}
              </span>
              <span class="op-today" title="Calls handled today · occupancy">
                {o.today.handled} {o.today.handled === 1 ? 'call' : 'calls'} · {Math.round(o.today.occupancy * 100)}%
              </span>
              {(o.suspended ?? []).length > 0 && (
                <span class="op-flags" data-suspended={o.suspended.join(',')}>
                  Suspended in {o.suspended.map((g) => groupNames.get(g) ?? `group ${g}`).join(', ')}
                </span>
              )}
              {supervision?.may(o.id) && <OperatorActions op={o} supervision={supervision} />}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
