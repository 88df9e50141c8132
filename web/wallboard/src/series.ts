// The live chart's data: calls waiting (all groups) and the day's service level over the
// last hour: filled from the history when the board opens (GET /api/v1/stats/series), then
// sampled from the live snapshots; kept in this tab's sessionStorage too.
import type { RealtimeSnapshot, SeriesPoint } from '@voice-management/client';

const HOUR_S = 3600;
/** At most one point per this many seconds. */
const STEP_S = 5;

/**
 * The day's service level over all groups, 0–1, by the groups' own rule (answered within
 * the threshold ÷ passages with an outcome: answered, abandoned or overflowed; 1 when none),
 * as GET /api/v1/stats/series computes it for the history. The snapshot gives each group's
 * rounded service level (3 decimals), not its count within threshold: that count is
 * recovered exactly below 500 passages with an outcome per group and day, within one above.
 */
export function overallServiceLevel(s: RealtimeSnapshot): number {
  let decided = 0;
  let inSl = 0;
  for (const g of s.groups) {
    const d = g.today.answered + g.today.abandoned + g.today.overflowed;
    decided += d;
    inSl += Math.round(g.today.service_level * d);
  }
  return decided === 0 ? 1 : inSl / decided;
}

/** A service level 0–1 as the chart's percent (one decimal). */
const pct = (sl: number) => Math.round(sl * 1000) / 10;

export class LiveSeries {
  /** Unix seconds. */
  readonly t: number[] = [];
  readonly waiting: number[] = [];
  /** Percent. */
  readonly sl: (number | null)[] = [];
  private account: number | undefined;
  /** Bumped on each change (charts redraw when it moves). */
  version = 0;

  /** Records the state at `nowMs` (replacing the last point if it is less than STEP_S old). */
  sample(nowMs: number, s: RealtimeSnapshot): void {
    if (this.account !== s.id_client) this.load(s.id_client);
    const t = Math.floor(nowMs / 1000);
    const waiting = s.groups.reduce((n, g) => n + g.waiting, 0);
    const sl = pct(overallServiceLevel(s));
    const last = this.t.length - 1;
    if (last >= 0) {
      const same = this.waiting[last] === waiting && this.sl[last] === sl;
      if (t < this.t[last]! || (same && t - this.t[last]! < STEP_S)) return;
      if (t === this.t[last]) {
        this.waiting[last] = waiting;
        this.sl[last] = sl;
        this.version++;
        return this.save();
      }
    }
    this.t.push(t);
    this.waiting.push(waiting);
    this.sl.push(sl);
    let cut = 0;
    while (cut < this.t.length && this.t[cut]! < t - HOUR_S) cut++;
    if (cut) for (const a of [this.t, this.waiting, this.sl]) a.splice(0, cut);
    this.version++;
    this.save();
  }

  /**
   * Puts the history's points (oldest first) in place of what was sampled up to the last of
   * them; samples taken after it stay. Called once the board has its first snapshot.
   */
  fill(account: number, points: readonly SeriesPoint[], nowMs: number): void {
    if (this.account !== account) this.load(account);
    if (points.length === 0) return;
    const t = points.map((p) => Math.floor(Date.parse(p.t) / 1000));
    const end = t[t.length - 1]!;
    let keep = 0;
    while (keep < this.t.length && this.t[keep]! <= end) keep++;
    const later = { t: this.t.slice(keep), waiting: this.waiting.slice(keep), sl: this.sl.slice(keep) };
    const from = Math.floor(nowMs / 1000) - HOUR_S;
    const first = t.findIndex((x) => x >= from);
    const cut = first < 0 ? t.length : first;
    this.t.splice(0, this.t.length, ...t.slice(cut), ...later.t);
    this.waiting.splice(0, this.waiting.length, ...points.slice(cut).map((p) => p.waiting), ...later.waiting);
    this.sl.splice(0, this.sl.length, ...points.slice(cut).map((p) => pct(p.service_level)), ...later.sl);
    this.version++;
    this.save();
  }

  private key(): string {
    return `vm-wallboard-series-${this.account}`;
  }

  private load(account: number): void {
    this.account = account;
    for (const a of [this.t, this.waiting, this.sl]) a.length = 0;
    try {
      const d = JSON.parse(sessionStorage.getItem(this.key()) ?? 'null') as { t: number[]; waiting: number[]; sl: number[] } | null;
      if (d && d.t.length === d.waiting.length && d.t.length === d.sl.length) {
        this.t.push(...d.t);
        this.waiting.push(...d.waiting);
        this.sl.push(...d.sl);
      }
    } catch {
      /* nothing kept */
    }
  }

  private save(): void {
    try {
      sessionStorage.setItem(this.key(), JSON.stringify({ t: this.t, waiting: this.waiting, sl: this.sl }));
    } catch {
      /* storage full or off: the chart just starts empty next time */
    }
  }
}
