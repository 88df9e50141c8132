// Opening hours of a number: weekly slots in a time zone, plus closed dates.
import type { OpeningHours, Weekday } from '../directory/routing-schema.ts';

export interface HoursRule {
  timezone: string;
  /** Per weekday (0 = Sunday), open [from, to) intervals in minutes since midnight. */
  week: [number, number][][];
  closed: Set<string>;
}

const DAYS: Record<Weekday, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function compileHours(h: OpeningHours): HoursRule {
  const week: [number, number][][] = [[], [], [], [], [], [], []];
  for (const slot of h.slots) {
    for (const d of slot.days) week[DAYS[d]]!.push([minutes(slot.from), minutes(slot.to)]);
  }
  return { timezone: h.timezone ?? 'UTC', week, closed: new Set(h.closed_dates ?? []) };
}

// Intl formatters are costly to build and cheap to reuse.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** True when `at` (ms since epoch) falls in an open slot of the rule. */
export function isOpen(rule: HoursRule, at: number): boolean {
  const parts: Record<string, string> = {};
  for (const p of formatter(rule.timezone).formatToParts(at)) parts[p.type] = p.value;
  if (rule.closed.has(`${parts.year}-${parts.month}-${parts.day}`)) return false;
  const day = SHORT.indexOf(parts.weekday ?? '');
  const minute = Number(parts.hour) * 60 + Number(parts.minute);
  return (rule.week[day] ?? []).some(([from, to]) => minute >= from && minute < to);
}
