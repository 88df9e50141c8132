// The newest supervisor, admin and platform actions on operators the supervisor sees (GET
// /api/v1/accounts/:a/audit): reloaded after each action this page takes and every 15 s.
import { useEffect, useState } from 'preact/hooks';
import type { AuditEntry } from '../api.ts';
import type { Supervision } from '../supervision.ts';
import { clock } from '../format.ts';

const SHOWN = 8;
const RELOAD_MS = 15_000;

const VERBS: Record<string, string> = {
  pause: 'paused',
  unpause: 'ended the pause of',
  logout: 'logged out',
  login: 'logged in',
  suspend: 'suspended',
  unsuspend: 'unsuspended',
};

export function RecentActions({ supervision, operatorName }: { supervision: Supervision; operatorName: (id: number) => string }) {
  const [entries, setEntries] = useState<AuditEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    const load = () =>
      supervision
        .recent(SHOWN)
        .then((e) => {
          if (!live) return;
          setEntries(e);
          setError(undefined);
        })
        .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    void load();
    const timer = setInterval(load, RELOAD_MS);
    const off = supervision.onAction(load);
    return () => {
      live = false;
      clearInterval(timer);
      off();
    };
  }, [supervision]);
  const pauseLabel = new Map(supervision.pauses.map((p) => [p.id, p.label]));
  const describe = (e: AuditEntry) => {
    const who = e.actor.role === 'platform' ? 'Admin token' : e.actor.login || e.actor.role;
    const whom = e.operator !== null ? operatorName(e.operator) : e.call !== null ? `call ${e.call}` : '';
    const why = e.pause !== null ? ` (${pauseLabel.get(e.pause) ?? `pause ${e.pause}`})` : e.group !== null ? ` in ${supervision.groupName(e.group)}` : '';
    return `${who} ${VERBS[e.action] ?? e.action} ${whom}${why}`;
  };
  return (
    <section class="recent" aria-label="Recent actions">
      <h2>Recent actions</h2>
      {error && <p class="error small">{error}</p>}
      {entries && entries.length === 0 && <p class="hint small">None yet.</p>}
      <ol>
        {(entries ?? []).map((e) => (
          <li key={e.id} data-audit={e.id} class={e.result === 'ok' ? '' : 'refused'}>
            <time>{clock(Date.parse(e.at))}</time> {describe(e)}
            {e.result !== 'ok' && <b> — refused: {e.result}</b>}
          </li>
        ))}
      </ol>
    </section>
  );
}
