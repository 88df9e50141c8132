// Aggregated statistics per group and per operator over a period, by 15 min / hour / day,
// computed from the history (call legs and operator intervals).
import type { CallRecord, StateInterval } from './records.ts';
import type { GroupStatsRow as GroupStatsWire, OperatorStatsRow as OperatorStatsWire, SeriesPoint } from '../protocol/index.ts';
import { startOfDay } from './day.ts';

export const BUCKETS = { '15m': 15 * 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type Bucket = keyof typeof BUCKETS;

/** Rows before the route adds names. */
export type GroupStatsRow = Omit<GroupStatsWire, 'group_name'>;
export type OperatorStatsRow = Omit<OperatorStatsWire, 'op_name'>;

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const bucketOf = (t: number, size: number) => t - (((t % size) + size) % size);

/**
 * Per group and bucket: every queue passage counts once where it entered the queue.
 * `slThreshold` gives each group's service-level threshold in seconds. `open` marks calls
 * still in progress: they count as live metrics count them — a passage still waiting is
 * offered without an outcome yet, a conversation's handle time counts once its wrap-up is
 * over. A leg's wrap-up is its answering operator's (older records: the call's, when that
 * operator is the call's last).
 */
export function groupStats(
  calls: readonly CallRecord[],
  from: number,
  to: number,
  bucket: Bucket,
  slThreshold: (group: number) => number,
  open: ReadonlySet<CallRecord> = new Set(),
): GroupStatsRow[] {
  const size = BUCKETS[bucket];
  const acc = new Map<string, GroupStatsRow & { waitMs: number; handleMs: number; handled: number }>();
  for (const c of calls) {
    const live = open.has(c);
    c.legs.forEach((leg, i) => {
      if (leg.kind !== 'queue' || leg.insertedAt < from || leg.insertedAt >= to) return;
      const b = bucketOf(leg.insertedAt, size);
      const key = `${b}:${leg.id}`;
      let row = acc.get(key);
      if (!row) {
        row = { period: new Date(b).toISOString(), id_queue: leg.id, offered: 0, answered: 0, abandoned: 0, overflowed: 0, answered_in_sl: 0, service_level: 1, avg_wait: 0, aht: 0, waitMs: 0, handleMs: 0, handled: 0 };
        acc.set(key, row);
      }
      row.offered++;
      if (leg.connectedAt !== undefined) {
        const wait = leg.connectedAt - leg.insertedAt;
        row.answered++;
        row.waitMs += wait;
        if (wait <= slThreshold(leg.id) * 1000) row.answered_in_sl++;
        if (leg.leftAt !== undefined && (!live || leg.wrapup !== undefined)) {
          row.handled++;
          const wrap = leg.wrapup ?? (leg.operatorId !== undefined && leg.operatorId === c.operatorId ? c.durations.wrapup : 0);
          row.handleMs += leg.leftAt - leg.connectedAt + wrap * 1000;
        }
      } else if (i < c.legs.length - 1) row.overflowed++;
      else if (live && leg.leftAt === undefined) return; // still waiting: no outcome yet
      else row.abandoned++;
    });
  }
  return [...acc.values()]
    .sort((a, b) => a.period.localeCompare(b.period) || a.id_queue - b.id_queue)
    .map(({ waitMs, handleMs, handled, ...row }) => ({
      ...row,
      // Passages still waiting have no outcome yet: the service level counts the others.
      service_level: row.answered + row.abandoned + row.overflowed === 0 ? 1 : r3(row.answered_in_sl / (row.answered + row.abandoned + row.overflowed)),
      avg_wait: row.answered === 0 ? 0 : r1(waitMs / row.answered / 1000),
      aht: handled === 0 ? 0 : r1(handleMs / handled / 1000),
    }));
}

/**
 * The account every `stepMs` from `from` to `to`, from call records (stored and `open`):
 * calls waiting in queues, and the day's service level over all groups, by the rules of
 * the live metrics (a passage counts on the UTC day it entered the queue; the service level
 * is answered within the group's threshold ÷ passages with an outcome, 1 when none).
 */
export function waitingSeries(
  calls: readonly CallRecord[],
  from: number,
  to: number,
  stepMs: number,
  slThreshold: (group: number) => number,
  open: ReadonlySet<CallRecord> = new Set(),
): SeriesPoint[] {
  // One sweep over time-ordered changes: waiting +1/-1, and each passage's outcome, which
  // counts for the day the passage entered the queue.
  const changes: { at: number; waiting: number; day?: number; inSl?: boolean }[] = [];
  for (const c of calls) {
    for (const leg of c.legs) {
      if (leg.kind !== 'queue') continue;
      const left = leg.leftAt ?? (leg.connectedAt === undefined && !open.has(c) ? c.end : Infinity);
      const out = Math.min(leg.connectedAt ?? Infinity, left);
      changes.push({ at: leg.insertedAt, waiting: 1 });
      if (out === Infinity) continue;
      const answered = leg.connectedAt !== undefined && leg.connectedAt <= left;
      changes.push({ at: out, waiting: -1, day: startOfDay(leg.insertedAt), inSl: answered && leg.connectedAt! - leg.insertedAt <= slThreshold(leg.id) * 1000 });
    }
  }
  changes.sort((a, b) => a.at - b.at);
  const days = new Map<number, { decided: number; inSl: number }>();
  const points: SeriesPoint[] = [];
  let waiting = 0;
  let i = 0;
  for (let t = from; t <= to; t += stepMs) {
    for (; i < changes.length && changes[i]!.at <= t; i++) {
      const ch = changes[i]!;
      waiting += ch.waiting;
      if (ch.day === undefined) continue;
      let d = days.get(ch.day);
      if (!d) days.set(ch.day, (d = { decided: 0, inSl: 0 }));
      d.decided++;
      if (ch.inSl) d.inSl++;
    }
    const d = days.get(startOfDay(t));
    points.push({ t: new Date(t).toISOString(), waiting, service_level: !d || d.decided === 0 ? 1 : r3(d.inSl / d.decided) });
  }
  return points;
}

/** Per operator and bucket; intervals that span buckets are split between them. */
export function operatorStats(intervals: readonly StateInterval[], from: number, to: number, bucket: Bucket): OperatorStatsRow[] {
  const size = BUCKETS[bucket];
  const acc = new Map<string, { period: string; id_operator: number; handled: number; talk: number; wrap: number; pause: number; logged: number }>();
  const row = (b: number, op: number) => {
    const key = `${b}:${op}`;
    let r = acc.get(key);
    if (!r) acc.set(key, (r = { period: new Date(b).toISOString(), id_operator: op, handled: 0, talk: 0, wrap: 0, pause: 0, logged: 0 }));
    return r;
  };
  for (const iv of intervals) {
    const start = Math.max(iv.start, from);
    const end = Math.min(iv.start + iv.duration * 1000, to);
    if (iv.start >= from && iv.start < to && (iv.type === 'call_in' || iv.type === 'call_out')) row(bucketOf(iv.start, size), iv.operatorId).handled++;
    for (let b = bucketOf(start, size); b < end; b += size) {
      const ms = Math.min(end, b + size) - Math.max(start, b);
      if (ms <= 0) continue;
      const r = row(b, iv.operatorId);
      if (iv.type === 'login') r.logged += ms;
      else if (iv.type === 'break') r.pause += ms;
      else if (iv.type === 'catchup') r.wrap += ms;
      else r.talk += ms;
    }
  }
  return [...acc.values()]
    .sort((a, b) => a.period.localeCompare(b.period) || a.id_operator - b.id_operator)
    .map((r) => {
      const staffed = r.logged - r.pause;
      return {
        period: r.period,
        id_operator: r.id_operator,
        handled: r.handled,
        talk_time: Math.round(r.talk / 1000),
        wrapup_time: Math.round(r.wrap / 1000),
        pause_time: Math.round(r.pause / 1000),
        logged_time: Math.round(r.logged / 1000),
        occupancy: staffed > 0 ? r3(Math.min(1, (r.talk + r.wrap) / staffed)) : 0,
      };
    });
}

/**
 * A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR, LF first, or
 * their full-width forms) gets a leading ' (OWASP "CSV injection"); numbers stay numbers.
 */
export function neutraliseCell(s: string): string {
  return /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/.test(s) ? `'${s}` : s;
}

/** Rows as CSV (RFC 4180), columns in the order of the first row's keys; text cells neutralised. */
export function toCsv(rows: readonly object[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : typeof v === 'number' || typeof v === 'boolean' ? String(v) : neutraliseCell(typeof v === 'object' ? JSON.stringify(v) : String(v));
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.map(neutraliseCell).join(','), ...rows.map((r) => cols.map((c) => cell((r as Record<string, unknown>)[c])).join(','))].join('\r\n') + '\r\n';
}
