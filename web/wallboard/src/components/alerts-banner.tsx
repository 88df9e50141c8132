// The alerts banner: alert_op (too few operators available) and alert_file (a call waiting
// too long), from the snapshot and live from the stream, each until its validity ends.
import type { Alert } from '@voice-management/client';
import { duration } from '../format.ts';

export function AlertsBanner({ alerts, groupNames }: { alerts: Alert[]; groupNames: Map<number, string> }) {
  if (alerts.length === 0) return null;
  const sorted = [...alerts].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return (
    <section class="alerts" role="alert" aria-label="Alerts">
      <ul>
        {sorted.map((a) => {
          const group = groupNames.get(a.id_queue) ?? `Group ${a.id_queue}`;
          return (
            <li key={`${a.type}/${a.id_queue}/${a.id_call ?? ''}`} class={`alert ${a.type}`} data-alert={a.type}>
              <b>{group}</b>{' '}
              {a.type === 'alert_file'
                ? `a call has waited ${a.duration_in_queue !== undefined ? duration(a.duration_in_queue) : 'too long'}`
                : 'too few operators available'}
              <small>{new Date(a.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false })}</small>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
