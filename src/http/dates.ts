// Dates as people and the guide write them, parsed strictly: a date that does not exist on
// the calendar (2026-02-30, 2026-13-01, 24:00) is refused, never rolled over into the next
// month as Date.parse does; and "one month later" is calendar arithmetic.
import { DAY_PATTERN } from '../protocol/index.ts';

const DAY = new RegExp(DAY_PATTERN);
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

function calendarDay(y: string, m: string, d: string): number | undefined {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  const t = new Date(0);
  t.setUTCFullYear(year, month - 1, day);
  return t.getTime();
}

/** `YYYY-MM-DD`, a real calendar day, as UTC midnight in ms; undefined otherwise. */
export function parseDay(s: string): number | undefined {
  return DAY.test(s) ? parseInstant(s) : undefined;
}

/**
 * An ISO 8601 date (`2026-03-07`, UTC midnight) or date-time (`2026-03-07T08:30`,
 * `…:00Z`, `…:00.250+01:00`; UTC when no offset is given) that exists; undefined otherwise.
 */
export function parseInstant(s: string): number | undefined {
  const m = INSTANT.exec(s);
  if (!m) return undefined;
  const day = calendarDay(m[1]!, m[2]!, m[3]!);
  if (day === undefined) return undefined;
  const [h, min, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (h > 23 || min > 59 || sec > 59) return undefined;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  let offset = 0;
  if (m[8] && m[8] !== 'Z') {
    const [oh, om] = [Number(m[8].slice(1, 3)), Number(m[8].slice(4, 6))];
    if (oh > 23 || om > 59) return undefined;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  return day + ((h * 60 + min) * 60 + sec) * 1000 + ms - offset;
}

/**
 * The same time of day `months` calendar months later, on the same day of the month or
 * the month's last day when it is shorter: 2026-01-31 + 1 month = 2026-02-28.
 */
export function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const day = Math.min(d.getUTCDate(), daysIn(year, month + 1));
  const t = new Date(ms);
  t.setUTCFullYear(year, month, day);
  return t.getTime();
}
