// One operator's state, as told by UI and operator/status events, with today's time in
// each state. Wrap-up is the `catchup` seconds announced with the end-of-call `available`.
import type { Notification, OperatorLiveState, OperatorSnapshot } from '../protocol/index.ts';



type OpNotification = Extract<Notification, { type_notification: 'UI' | 'operator' }>;

export class OperatorTracker {
  state: OperatorLiveState = 'logged_out';
  since = 0;
  pauseId: number | null = null;
  call: { id_call: number; id_queue: number; caller_id_num?: string } | null = null;
  private wrapupUntil = 0;
  /** Time before this is already booked (or belongs to an earlier day). */
  private accountFrom = 0;
  private lastCall: number | undefined;
  handled = 0;
  /** Groups a supervisor suspended the operator in. */
  private readonly suspended = new Set<number>();
  private readonly ms = new Map<OperatorLiveState, number>();
  private readonly pauseMs = new Map<number, number>();

  constructor(
    readonly id: number,
    public name: string,
    public groups: number[],
  ) {}

  setProfile(name: string, groups: number[]): void {
    this.name = name;
    this.groups = groups;
  }

  /** Starts today's counters at `at` (midnight); the current state carries over. */
  newDay(at: number): void {
    this.settle(at);
    this.ms.clear();
    this.pauseMs.clear();
    this.handled = 0;
    this.accountFrom = at;
  }

  /** Books time spent in the current state up to `at`. */
  private book(at: number): void {
    const from = Math.max(this.since, this.accountFrom);
    const d = at - from;
    if (d <= 0) return;
    this.ms.set(this.state, (this.ms.get(this.state) ?? 0) + d);
    if (this.state === 'paused' && this.pauseId !== null) this.pauseMs.set(this.pauseId, (this.pauseMs.get(this.pauseId) ?? 0) + d);
    this.accountFrom = at;
  }

  private to(state: OperatorLiveState, at: number): void {
    this.book(at);
    if (state !== this.state) this.since = at;
    this.state = state;
    if (state !== 'paused') this.pauseId = null;
  }

  /** Ends a wrap-up whose time is up. */
  private settle(at: number): void {
    if (this.state === 'wrapup' && at >= this.wrapupUntil) this.to('available', this.wrapupUntil);
  }

  apply(n: OpNotification, at: number): void {
    this.settle(at);
    if (n.type_notification === 'UI') {
      switch (n.event) {
        case 'login':
          if (this.state === 'logged_out') this.to('available', at);
          return;
        case 'logout':
          this.call = null;
          return this.to('logged_out', at);
        case 'pause': {
          this.to('paused', at);
          const id = Number(n.msg.supp);
          this.pauseId = Number.isFinite(id) ? id : 0;
          return;
        }
        case 'unpause':
          if (this.state === 'paused') this.to('available', at);
          return;
        case 'suspend':
          this.suspended.add(n.msg.id_queue);
          return;
        case 'unsuspend':
          this.suspended.delete(n.msg.id_queue);
          return;
        default:
          return; // push / push_cancel do not change the state
      }
    }
    const m = n.msg;
    switch (m.status) {
      case 'ringing':
        this.call = { id_call: m.id_call ?? 0, id_queue: m.id_queue ?? 0, ...(m.caller_id_num ? { caller_id_num: m.caller_id_num } : {}) };
        return this.to('ringing', at);
      case 'connected':
      case 'transfert_start':
      case 'transfert_end':
        if (m.id_call !== undefined && m.id_call !== this.lastCall) {
          this.lastCall = m.id_call;
          this.handled++;
        }
        this.call = { id_call: m.id_call ?? 0, id_queue: m.id_queue ?? this.call?.id_queue ?? 0, ...(m.caller_id_num ? { caller_id_num: m.caller_id_num } : {}) };
        return this.to('on_call', at);
      case 'calling':
        this.call = { id_call: m.id_call ?? 0, id_queue: 0, ...(m.caller_id_num ? { caller_id_num: m.caller_id_num } : {}) };
        return this.to('calling', at);
      case 'available': {
        this.call = null;
        const catchup = (m.catchup ?? 0) * 1000;
        if (catchup > 0) {
          this.wrapupUntil = at + catchup;
          return this.to('wrapup', at);
        }
        return this.to('available', at);
      }
      case 'unavailable':
        return this.to('unavailable', at);
    }
  }

  snapshot(now: number): OperatorSnapshot {
    this.settle(now);
    this.book(now);
    const s = (k: OperatorLiveState) => (this.ms.get(k) ?? 0) / 1000;
    const logged = [...this.ms.entries()].filter(([k]) => k !== 'logged_out').reduce((a, [, v]) => a + v, 0) / 1000;
    const busy = s('on_call') + s('calling') + s('wrapup');
    const staffed = logged - s('paused') - s('unavailable');
    return {
      id: this.id,
      name: this.name,
      groups: this.groups,
      // A suspension ends with the membership (a re-import that removes it).
      suspended: this.groups.filter((g) => this.suspended.has(g)),
      state: this.state,
      since: new Date(this.since).toISOString(),
      time_in_state: Math.max(0, Math.floor((now - this.since) / 1000)),
      pause_id: this.pauseId,
      call: this.call,
      today: {
        handled: this.handled,
        talk_time: Math.round(s('on_call') + s('calling')),
        wrapup_time: Math.round(s('wrapup')),
        pause_time: Object.fromEntries([...this.pauseMs].map(([k, v]) => [String(k), Math.round(v / 1000)])),
        logged_time: Math.round(logged),
        occupancy: staffed > 0 ? Math.round((busy / staffed) * 1000) / 1000 : 0,
      },
    };
  }
}
