// The live chart's data: calls waiting (all groups) and the day's service level, sampled
// over the last hour, kept in this tab's sessionStorage so a reload does not blank it.
import type { RealtimeSnapshot } from '@voice-management/client';

const HOUR_S = 3600;
/** At most one point per this many seconds. */
const STEP_S = 5;

/** Share answered within threshold over all groups, 0–1 (weighted by calls offered). */
export function overallServiceLevel(s: RealtimeSnapshot): number {
  let offered = 0;
  let inSl = 0;
  for (const g of s.groups) {
    offered += g.today.offered;
    inSl += g.today.service_level * g.today.offered;
  }
  return offered === 0 ? 1 : inSl / offered;
}

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
    const sl = Math.round(overallServiceLevel(s) * 1000) / 10;
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
