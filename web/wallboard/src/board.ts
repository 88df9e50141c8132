// The wallboard's model. The server's snapshot is the only source of counts: the stream's
// events never add to them, they only say "something changed" (the snapshot is fetched
// again) and bring alerts early. An event whose cpt the current snapshot already reflects
// is ignored, and a snapshot older than the one shown is dropped, so nothing is counted
// twice, whatever the order replies and events arrive in.
import type { Alert, RealtimeSnapshot, Update } from '@voice-management/client';
import type { LinkState, LiveSource } from './source.ts';
import { LiveSeries } from './series.ts';

/** An alert from the stream, not yet in a snapshot. */
interface StreamAlert extends Alert {
  cpt: number;
}

export interface BoardView {
  snap: RealtimeSnapshot | undefined;
  /** Server time minus local time, ms (times in state tick from the server's clock). */
  skewMs: number;
  alerts: Alert[];
  link: LinkState;
  error: string | undefined;
  series: LiveSeries;
}

const alertKey = (a: Alert) => `${a.type}/${a.id_queue}/${a.id_call ?? ''}`;

/** Refetch at least this often (day change, expiring alerts, directory edits). */
const REFRESH_MS = 10_000;
/** Coalesce bursts of events into one fetch per this many ms. */
const COALESCE_MS = 150;
/** The last-hour chart's history: one point per this many seconds. */
const HISTORY_STEP_S = 15;

export class Board {
  private snap: RealtimeSnapshot | undefined;
  private skewMs = 0;
  private link: LinkState = 'live';
  private error: string | undefined;
  private readonly streamAlerts = new Map<string, StreamAlert>();
  private inflight = false;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the planned fetch runs (local ms). */
  private due = Infinity;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly subscribers = new Set<() => void>();
  /** The last-hour chart was filled from the history (or that is under way). */
  private historyAsked = false;
  readonly series: LiveSeries;

  constructor(readonly source: LiveSource) {
    source.onEvent((u) => this.onEvent(u));
    source.onState((state, { resumed }) => {
      this.link = state;
      // Back after a disconnect: the stream resumed with `since`; refresh the counts.
      if (state === 'live' && resumed) this.refresh();
      this.notify();
    });
    this.series = new LiveSeries();
    this.ticker = setInterval(() => {
      if (this.snap) this.series.sample(this.now(), this.snap);
      this.notify();
    }, 1000);
    this.refresh();
  }

  /** The server's current time, ms. */
  now(): number {
    return Date.now() + this.skewMs;
  }

  view(): BoardView {
    const now = this.now();
    const alerts = new Map<string, Alert>();
    for (const a of this.snap?.alerts ?? []) alerts.set(alertKey(a), a);
    for (const a of this.streamAlerts.values()) alerts.set(alertKey(a), a);
    return {
      snap: this.snap,
      skewMs: this.skewMs,
      alerts: [...alerts.values()].filter((a) => Date.parse(a.until) > now),
      link: this.link,
      error: this.error,
      series: this.series,
    };
  }

  subscribe(fn: () => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  close(): void {
    this.link = 'closed';
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.subscribers.clear();
    this.source.close();
  }

  private notify(): void {
    for (const fn of this.subscribers) fn();
  }

  private onEvent(u: Update): void {
    if (this.snap && u.cpt <= this.snap.cpt) return; // already in the snapshot
    const e = u.event;
    if (e.type_notification === 'queue' && (e.event === 'alert_op' || e.event === 'alert_file')) {
      const at = (u.ts - u.elapse) * 1000;
      const m = e.msg as { id_queue: number; id_call?: number; duration_in_queue?: number; validity: number };
      const alert: StreamAlert = {
        type: e.event,
        id_queue: Number(m.id_queue),
        ...(e.event === 'alert_file' && m.id_call !== undefined ? { id_call: Number(m.id_call) } : {}),
        ...(m.duration_in_queue !== undefined ? { duration_in_queue: Number(m.duration_in_queue) } : {}),
        at: new Date(at).toISOString(),
        until: new Date(at + Number(m.validity) * 1000).toISOString(),
        cpt: u.cpt,
      };
      this.streamAlerts.set(alertKey(alert), alert);
      this.notify();
    }
    this.schedule(COALESCE_MS);
  }

  private schedule(ms: number): void {
    if (this.inflight) {
      this.dirty = true;
      return;
    }
    if (this.due <= Date.now() + ms) return; // a fetch is coming soon enough
    clearTimeout(this.timer);
    this.due = Date.now() + ms;
    this.timer = setTimeout(() => this.refresh(), ms);
  }

  /** Fills the last-hour chart from the history once, on the first snapshot (the chart is not blank on first open). */
  private loadHistory(s: RealtimeSnapshot): void {
    if (this.historyAsked || !this.source.history) return;
    this.historyAsked = true;
    const at = Date.parse(s.at);
    this.source
      .history(at - 3_600_000, HISTORY_STEP_S)
      .then((points) => {
        this.series.fill(s.id_client, points, this.now());
        this.notify();
      })
      .catch(() => {
        this.historyAsked = false; // try again with a later snapshot
      });
  }

  /** Fetches a snapshot now (and again after it if events came meanwhile). */
  refresh(): void {
    clearTimeout(this.timer);
    this.due = Infinity;
    if (this.inflight) {
      this.dirty = true;
      return;
    }
    this.inflight = true;
    this.dirty = false;
    const asked = Date.now();
    this.source
      .snapshot()
      .then((s) => {
        this.error = undefined;
        if (this.snap && s.cpt < this.snap.cpt) return; // an older state than the one shown
        // Half the round trip is the best guess of when the server took it.
        this.skewMs = Date.parse(s.at) - (asked + Date.now()) / 2;
        this.snap = s;
        for (const [k, a] of this.streamAlerts) if (a.cpt <= s.cpt) this.streamAlerts.delete(k);
        this.series.sample(Date.parse(s.at), s);
        this.loadHistory(s);
      })
      .catch((e: unknown) => {
        this.error = e instanceof Error ? e.message : String(e);
      })
      .finally(() => {
        this.inflight = false;
        this.notify();
        if (this.link !== 'closed') this.schedule(this.dirty ? COALESCE_MS : REFRESH_MS);
      });
  }
}
