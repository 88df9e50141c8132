// The live view: alerts, a tile per group, the operators and the last hour.
import type { Directory, RealtimeSnapshot } from '@voice-management/client';
import type { BoardView } from '../board.ts';
import { AlertsBanner } from './alerts-banner.tsx';
import { GroupTile } from './group-tile.tsx';
import { LiveChart } from './live-chart.tsx';
import { OperatorGrid } from './operator-grid.tsx';
import { RecentActions } from './recent-actions.tsx';
import type { Supervision } from '../supervision.ts';

/** Pause labels, should the snapshot carry them (a token-only session has no directory). */
type WithPauses = RealtimeSnapshot & { pauses?: Directory['pauses'] };

export function LiveView({ view, now, directory, supervision }: { view: BoardView; now: number; directory: Directory | undefined; supervision: Supervision | undefined }) {
  const snap = view.snap! as WithPauses;
  const groupNames = new Map(snap.groups.map((g) => [g.id, g.name]));
  const elapsed = Math.max(0, Math.floor((now - Date.parse(snap.at)) / 1000));
  return (
    <main class="live">
      <AlertsBanner alerts={view.alerts} groupNames={groupNames} />
      <div class="tiles">
        {snap.groups.map((g) => (
          <GroupTile key={g.id} group={g} elapsed={elapsed} />
        ))}
      </div>
      <div class="lower">
        <OperatorGrid operators={snap.operators} now={now} pauses={directory?.pauses ?? snap.pauses} groupNames={groupNames} supervision={supervision} />
        <div class="side">
          <LiveChart series={view.series} now={now} />
          {supervision && <RecentActions supervision={supervision} operatorName={(id) => snap.operators.find((o) => o.id === id)?.name ?? supervision.me.operators.find((o) => o.id === id)?.name ?? `operator ${id}`} />}
        </div>
      </div>
    </main>
  );
}
