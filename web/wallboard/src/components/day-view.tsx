// The day view: per-hour (or 15 min) history of one group or all, from /api/v1/stats, and
// the operators' day. Days are UTC, as the server counts them. The day's totals come from
// the server's whole-day rows (`interval=1d`), by the live tiles' rules (service level:
// answered within the threshold ÷ passages with an outcome), and today's are fetched again
// as the live state moves, so the day view and the live tiles agree at the same moment.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { duration, percent } from '../format.ts';
import { axis, Chart } from './chart.tsx';
import { fetchStats, type GroupRow, type OperatorRow } from '../api.ts';

interface Props {
  base: string;
  token: () => string;
  /** 'YYYY-MM-DD' of the server's today. */
  today: string;
  groups: { id: number; name: string }[];
  /** The cpt of the live state shown: today's figures are fetched again when it moves. */
  cpt: number;
}

/** At most one fetch of today's figures per this many ms while the live state moves. */
const LIVE_REFETCH_MS = 2_000;

type Interval = '15m' | '1h';

interface Totals {
  offered: number;
  answered: number;
  abandoned: number;
  overflowed: number;
  answered_in_sl: number;
  waitSum: number;
  handleSum: number;
}

function sum(rows: GroupRow[]): Totals {
  const t: Totals = { offered: 0, answered: 0, abandoned: 0, overflowed: 0, answered_in_sl: 0, waitSum: 0, handleSum: 0 };
  for (const r of rows) {
    t.offered += r.offered;
    t.answered += r.answered;
    t.abandoned += r.abandoned;
    t.overflowed += r.overflowed;
    t.answered_in_sl += r.answered_in_sl;
    t.waitSum += r.avg_wait * r.answered;
    t.handleSum += r.aht * r.answered;
  }
  return t;
}

/** The service level of totals, 0–1: answered within threshold ÷ passages with an outcome; 1 when none (as the server rounds it). */
export function serviceLevel(t: Pick<Totals, 'answered' | 'abandoned' | 'overflowed' | 'answered_in_sl'>): number {
  const decided = t.answered + t.abandoned + t.overflowed;
  return decided === 0 ? 1 : Math.round((t.answered_in_sl / decided) * 1000) / 1000;
}

const bars = (align: -1 | 1) => uPlot.paths.bars!({ size: [0.4, 40], align });

export function DayView({ base, token, today, groups, cpt }: Props) {
  const [day, setDay] = useState(today);
  const [interval, setInterval] = useState<Interval>('1h');
  const [group, setGroup] = useState<number | 0>(0);
  const [rows, setRows] = useState<{ groups: GroupRow[]; days: GroupRow[]; operators: OperatorRow[] } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reload, setReload] = useState(0);
  const lastFetch = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let live = true;
    lastFetch.current = Date.now();
    const range = { from: day, to: new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10) };
    Promise.all([
      fetchStats<GroupRow>(base, token(), 'groups', { ...range, interval }),
      fetchStats<GroupRow>(base, token(), 'groups', { ...range, interval: '1d' }),
      fetchStats<OperatorRow>(base, token(), 'operators', { ...range, interval: '1d' }),
    ])
      .then(([g, d, o]) => live && (setRows({ groups: g, days: d, operators: o }), setError(undefined)))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    // Today's figures move even when no event comes (times in state): fetch again each minute.
    const t = day === today ? setTimeout(() => setReload((n) => n + 1), 60_000) : undefined;
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [base, day, interval, reload, today]);

  // The live state moved: today's figures are fetched again (at most every LIVE_REFETCH_MS).
  useEffect(() => {
    if (day !== today || pending.current) return;
    const wait = Math.max(0, lastFetch.current + LIVE_REFETCH_MS - Date.now());
    pending.current = setTimeout(() => {
      pending.current = undefined;
      setReload((n) => n + 1);
    }, wait);
  }, [cpt]);
  useEffect(() => () => clearTimeout(pending.current), []);

  const picked = (rows?.groups ?? []).filter((r) => group === 0 || r.id_queue === group);
  const periods = [...new Set(picked.map((r) => r.period))].sort();
  const byPeriod = periods.map((p) => sum(picked.filter((r) => r.period === p)));
  const x = periods.map((p) => Date.parse(p) / 1000);
  const stepS = interval === '15m' ? 900 : 3600;
  const dayStart = Date.parse(day) / 1000;

  const volumeOpts = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: true, range: () => [dayStart - stepS / 2, dayStart + 86_400 - stepS / 2] }, n: { range: (_u, _a, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
      series: [
        {},
        { label: 'Answered', scale: 'n', stroke: '#3fb950', fill: 'rgba(63,185,80,0.75)', width: 0, paths: bars(-1), points: { show: false } },
        { label: 'Abandoned', scale: 'n', stroke: '#f85149', fill: 'rgba(248,81,73,0.8)', width: 0, paths: bars(1), points: { show: false } },
        { label: 'Offered', scale: 'n', stroke: '#c9d1d9', width: 1.5, dash: [4, 4], points: { show: true, size: 5 } },
      ],
      axes: [axis(), axis({ scale: 'n', label: 'calls', labelSize: 18 })],
    }),
    [dayStart, stepS],
  );
  const qualityOpts = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: true, range: () => [dayStart - stepS / 2, dayStart + 86_400 - stepS / 2] }, sl: { range: [0, 100] }, s: { range: (_u, _a, max) => [0, Math.max(30, Math.ceil(max * 1.15))] } },
      series: [
        {},
        { label: 'Service level', scale: 'sl', stroke: '#3fb950', width: 2, points: { show: true, size: 6 }, value: (_u, v) => (v == null ? '–' : `${v}%`) },
        { label: 'Avg wait', scale: 's', stroke: '#f0883e', width: 2, points: { show: true, size: 6 }, value: (_u, v) => (v == null ? '–' : duration(v)) },
      ],
      axes: [axis(), axis({ scale: 'sl', label: 'SL %', labelSize: 18 }), axis({ scale: 's', side: 1, label: 'wait (s)', labelSize: 18, grid: { show: false } })],
    }),
    [dayStart, stepS],
  );
  const volume: uPlot.AlignedData = [x, byPeriod.map((t) => t.answered), byPeriod.map((t) => t.abandoned), byPeriod.map((t) => t.offered)];
  const quality: uPlot.AlignedData = [
    x,
    byPeriod.map((t) => (t.answered + t.abandoned + t.overflowed ? Math.round(serviceLevel(t) * 1000) / 10 : null)),
    byPeriod.map((t) => (t.answered ? Math.round(t.waitSum / t.answered) : null)),
  ];
  // The day's totals from the whole-day rows: one group's are the server's own figures.
  const total = sum((rows?.days ?? []).filter((r) => group === 0 || r.id_queue === group));
  const avg = (s: number, n: number) => (n === 0 ? 0 : Math.round((s / n) * 10) / 10);

  return (
    <main class="day-view">
      <form class="day-controls" onSubmit={(e) => e.preventDefault()}>
        <label>
          Day (UTC) <input type="date" value={day} max={today} onInput={(e) => setDay((e.target as HTMLInputElement).value || today)} />
        </label>
        <label>
          Group{' '}
          <select value={group} onChange={(e) => setGroup(Number((e.target as HTMLSelectElement).value))}>
            <option value={0}>All groups</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          By{' '}
          <select value={interval} onChange={(e) => setInterval((e.target as HTMLSelectElement).value as Interval)}>
            <option value="1h">hour</option>
            <option value="15m">15 minutes</option>
          </select>
        </label>
        {error && <span class="error">{error}</span>}
      </form>
      <section class="day-totals" aria-label="Day totals">
        <div><b data-total="offered">{total.offered}</b> offered</div>
        <div><b data-total="answered">{total.answered}</b> answered</div>
        <div><b data-total="abandoned">{total.abandoned}</b> abandoned</div>
        <div><b data-total="overflowed">{total.overflowed}</b> overflowed</div>
        <div><b data-total="service_level">{percent(serviceLevel(total))}</b> service level</div>
        <div><b data-total="avg_wait">{duration(avg(total.waitSum, total.answered))}</b> avg wait</div>
        <div><b data-total="aht">{duration(avg(total.handleSum, total.answered))}</b> avg handle</div>
      </section>
      <section class="day-chart">
        <h2>Calls</h2>
        <Chart opts={volumeOpts} data={volume} label="Calls answered, abandoned and offered per period" />
      </section>
      <section class="day-chart">
        <h2>Service level and wait</h2>
        <Chart opts={qualityOpts} data={quality} label="Service level and average wait per period" />
      </section>
      <section class="day-operators">
        <h2>Operators</h2>
        <table>
          <thead>
            <tr>
              <th>Operator</th>
              <th>Calls</th>
              <th>Talk</th>
              <th>Wrap-up</th>
              <th>Pause</th>
              <th>Logged in</th>
              <th>Occupancy</th>
            </tr>
          </thead>
          <tbody>
            {(rows?.operators ?? []).map((o) => (
              <tr key={o.id_operator}>
                <td>{o.op_name || `#${o.id_operator}`}</td>
                <td>{o.handled}</td>
                <td>{duration(o.talk_time)}</td>
                <td>{duration(o.wrapup_time)}</td>
                <td>{duration(o.pause_time)}</td>
                <td>{duration(o.logged_time)}</td>
                <td>{percent(o.occupancy)}</td>
              </tr>
            ))}
            {rows && rows.operators.length === 0 && (
              <tr>
                <td colSpan={7} class="empty">
                  No operator activity recorded for this day.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </section>
    </main>
  );
}
