// The simulator's report, computed from the notifications themselves (what a dashboard
// would see) plus the engine's per-operator state times for occupancy.
import type { Notification } from '../protocol/index.ts';
import type { OperatorState } from '../engine/index.ts';

interface Pending {
  /** First queue insert_call of the call. */
  queuedAt: number;
  /** First operator ringing, -1 until then. */
  rangAt: number;
  /** First queue connect_call, -1 until then. */
  answeredAt: number;
  /** End of the first conversation (its queue leg's delete_call), -1 until then. */
  talkEndAt: number;
}

/** Figures of a simulated period. Shares are fractions (0–1), durations seconds. */
export interface TrafficFigures {
  /** Inbound calls that entered a group queue. */
  offered: number;
  /** Offered calls an operator answered. */
  answered: number;
  /** Offered calls that ended without an operator. */
  abandoned: number;
  /** Answered within the threshold ÷ offered. */
  service_level: number;
  /** Share of offered calls not put through to an operator at once (they waited at all). */
  p_wait: number;
  /** Mean wait (first queue entry → answer) of answered calls. */
  avg_wait: number;
  /** Longest wait of an answered call. */
  max_wait: number;
  /** Mean first conversation of answered calls (answer → its queue leg's end), seconds. */
  avg_talk: number;
  /** (ringing + talking + calling + wrap-up + reserved) ÷ (logged in − paused). */
  occupancy: number;
}

const BUSY: readonly OperatorState[] = ['ringing', 'connected', 'calling', 'wrapup', 'reserved'];

export class TrafficMetrics {
  private readonly pending = new Map<number, Pending>();
  offered = 0;
  answered = 0;
  abandoned = 0;
  withinThreshold = 0;
  waited = 0;
  waitSumMs = 0;
  talkSumMs = 0;
  maxWaitMs = 0;
  notifications = 0;
  ivrInputs = 0;
  trunkCalls = 0;
  callbackRequests = 0;
  pushes = 0;
  outgoingCalls = 0;
  transfers = 0;
  alerts = 0;

  /**
   * @param thresholdMs service-level threshold
   * @param countFrom calls first queued before this time (warm-up) are left out
   */
  constructor(
    private readonly thresholdMs: number,
    private readonly countFrom = 0,
  ) {}

  observe(n: Notification, at: number): void {
    this.notifications++;
    switch (n.type_notification) {
      case 'queue': {
        if (n.event === 'insert_call') {
          const id = n.msg.id_call;
          if (id > 0 && !this.pending.has(id) && at >= this.countFrom) this.pending.set(id, { queuedAt: at, rangAt: -1, answeredAt: -1, talkEndAt: -1 });
        } else if (n.event === 'connect_call') {
          const p = this.pending.get(n.msg.id_call);
          if (p && p.answeredAt < 0) p.answeredAt = at;
        } else if (n.event === 'delete_call') {
          const p = this.pending.get(n.msg.id_call);
          if (p && p.answeredAt >= 0 && p.talkEndAt < 0) p.talkEndAt = at;
        } else if (n.event === 'alert_op' || n.event === 'alert_file') {
          this.alerts++;
        }
        return;
      }
      case 'operator': {
        const m = n.msg;
        if (m.status === 'ringing' && m.id_call !== undefined) {
          const p = this.pending.get(m.id_call);
          if (p && p.rangAt < 0) p.rangAt = at;
        } else if (m.status === 'calling') this.outgoingCalls++;
        else if (m.status === 'transfert_start') this.transfers++;
        return;
      }
      case 'num':
        if (n.event === 'end') this.finish(n.msg.id_call);
        return;
      case 'trunk':
        if (n.event === 'insert_call') this.trunkCalls++;
        return;
      case 'input':
        this.ivrInputs++;
        return;
      case 'PUSHCALL':
        if (n.msg.id_operator === 0) this.callbackRequests++;
        return;
      case 'UI':
        if (n.event === 'push') this.pushes++;
        return;
    }
  }

  private finish(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.offered++;
    if (p.rangAt < 0 || p.rangAt > p.queuedAt) this.waited++;
    if (p.answeredAt < 0) {
      this.abandoned++;
      return;
    }
    this.answered++;
    if (p.talkEndAt >= 0) this.talkSumMs += p.talkEndAt - p.answeredAt;
    const wait = p.answeredAt - p.queuedAt;
    this.waitSumMs += wait;
    if (wait > this.maxWaitMs) this.maxWaitMs = wait;
    if (wait <= this.thresholdMs) this.withinThreshold++;
  }

  /** The report; `times` are the operators' state times over the measured period. */
  figures(times: Iterable<Record<OperatorState, number>>): TrafficFigures {
    let busy = 0;
    let present = 0;
    for (const t of times) {
      for (const s of BUSY) busy += t[s];
      present += t.available + t.ringing + t.connected + t.calling + t.wrapup + t.reserved;
    }
    const r = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;
    const share = (x: number): number => (this.offered > 0 ? r(x / this.offered) : 0);
    return {
      offered: this.offered,
      answered: this.answered,
      abandoned: this.abandoned,
      service_level: share(this.withinThreshold),
      p_wait: share(this.waited),
      avg_wait: this.answered > 0 ? r(this.waitSumMs / this.answered / 1000, 2) : 0,
      max_wait: r(this.maxWaitMs / 1000, 1),
      avg_talk: this.answered > 0 ? r(this.talkSumMs / this.answered / 1000, 2) : 0,
      occupancy: present > 0 ? r(busy / present) : 0,
    };
  }
}
