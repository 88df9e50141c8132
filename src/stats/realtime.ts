// Real-time state and today's metrics of one account, kept from its event stream alone:
// per group (waiting calls, operators by state, offered/answered/abandoned, service level,
// average wait and handle time) and per operator (state, time in state, current call,
// today's calls, talk and pause time, occupancy). Pure: fed events, asked for snapshots.
import type { Notification } from '../protocol/index.ts';
import type { LoggedEvent } from '../store/types.ts';
import type { AccountDirectory } from '../directory/schema.ts';
import { dayOf, startOfDay } from './day.ts';
import { OperatorTracker } from './operator.ts';
import type { Alert, GroupSnapshot, RealtimeSnapshot } from '../protocol/index.ts';

export const DEFAULT_SL_THRESHOLD_S = 20;

/** A group's service-level threshold in seconds: its `sl_threshold`, or the default. */
export function slThresholdOf(group: object): number {
  const sl = (group as { sl_threshold?: unknown }).sl_threshold;
  return typeof sl === 'number' && sl > 0 ? sl : DEFAULT_SL_THRESHOLD_S;
}

interface GroupDay {
  offered: number;
  answered: number;
  abandoned: number;
  overflowed: number;
  answeredInSl: number;
  waitAnsweredMs: number;
  waitAbandonedMs: number;
  handled: number;
  handleMs: number;
}
const emptyDay = (): GroupDay => ({ offered: 0, answered: 0, abandoned: 0, overflowed: 0, answeredInSl: 0, waitAnsweredMs: 0, waitAbandonedMs: 0, handled: 0, handleMs: 0 });

interface GroupState {
  id: number;
  name: string;
  slThresholdMs: number;
  /** id_call → when it entered the queue. */
  waiting: Map<number, number>;
  day: GroupDay;
}




interface CallLink {
  queue: number;
  /** The operator who answered: the handle time ends with their wrap-up. */
  operator: number | undefined;
  /** When the passage entered the queue: its handle time counts on that day. */
  insertedAt: number;
  connectedAt: number;
  /** Set when the call leaves the queue (hang-up): talk time, before wrap-up. */
  talkMs?: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export class RealtimeState {
  cpt = 0;
  private day = '';
  /** Start of `day` (ms): a queue passage counts in today's figures when it entered the queue since then, as the history counts it. */
  private dayStart = 0;
  private readonly groups = new Map<number, GroupState>();
  private readonly operators = new Map<number, OperatorTracker>();
  private readonly trunkCalls = new Map<number, Set<number>>();
  private readonly trunkNames = new Map<number, string>();
  private pauses: { id: number; value: string }[] = [];
  /** Connected queue calls, for attributing handle time to a group at call end. */
  private readonly connected = new Map<number, CallLink>();
  private alerts: (Alert & { untilMs: number })[] = [];
  /**
   * Calls that left a queue unanswered, by id_call → group: abandoned, unless the call
   * then enters another queue or a trunk (overflow).
   */
  private readonly leftUnanswered = new Map<number, GroupState>();
  /** Operators of the directory last applied (a removed one leaves at its logout). */
  private directoryOps: Set<number> | undefined;

  constructor(
    readonly accountId: number,
    directory: AccountDirectory | undefined,
  ) {
    this.setDirectory(directory);
  }

  /** Applies a new directory (after an import), keeping live state. */
  setDirectory(dir: AccountDirectory | undefined): void {
    for (const g of dir?.groups ?? []) {
      const existing = this.groups.get(g.id);
      const slThresholdMs = slThresholdOf(g) * 1000;
      if (existing) Object.assign(existing, { name: g.name, slThresholdMs });
      else this.groups.set(g.id, { id: g.id, name: g.name, slThresholdMs, waiting: new Map(), day: emptyDay() });
    }
    for (const o of dir?.operators ?? []) {
      const t = this.operators.get(o.id);
      if (t) t.setProfile(o.name, o.groups ?? []);
      else this.operators.set(o.id, new OperatorTracker(o.id, o.name, o.groups ?? []));
    }
    // An operator a re-import removed leaves the live state once logged out (the engine
    // logs them out when their last call is over).
    if (dir) {
      this.directoryOps = new Set((dir.operators ?? []).map((o) => o.id));
      for (const [id, t] of this.operators) if (!this.directoryOps.has(id) && t.state === 'logged_out') this.operators.delete(id);
    }
    for (const t of dir?.trunks ?? []) this.trunkNames.set(t.id, t.name);
    if (dir) this.pauses = (dir.pauses ?? []).map((p) => ({ id: p.id, value: p.label }));
  }

  private group(id: number): GroupState {
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { id, name: `Group ${id}`, slThresholdMs: DEFAULT_SL_THRESHOLD_S * 1000, waiting: new Map(), day: emptyDay() }));
    return g;
  }

  private operator(id: number): OperatorTracker {
    let o = this.operators.get(id);
    if (!o) this.operators.set(id, (o = new OperatorTracker(id, `Operator ${id}`, [])));
    return o;
  }

  private rollDay(at: number): void {
    const d = dayOf(at);
    if (d === this.day) return;
    this.day = d;
    this.dayStart = startOfDay(at);
    for (const g of this.groups.values()) g.day = emptyDay();
    for (const o of this.operators.values()) o.newDay(at);
  }

  apply(e: LoggedEvent): void {
    this.cpt = e.cpt;
    this.rollDay(e.at);
    this.applyNotification(e.notification, e.at);
  }

  private applyNotification(n: Notification, at: number): void {
    switch (n.type_notification) {
      case 'UI':
      case 'operator':
        this.operator(n.msg.id_operator).apply(n, at);
        if (n.type_notification === 'UI' && n.event === 'logout' && this.directoryOps && !this.directoryOps.has(n.msg.id_operator)) {
          this.operators.delete(n.msg.id_operator);
          return;
        }
        if (n.type_notification === 'operator' && n.msg.status === 'available' && n.msg.id_call !== undefined) {
          const link = this.connected.get(n.msg.id_call);
          if (link && (link.operator === undefined || link.operator === n.msg.id_operator)) {
            this.connected.delete(n.msg.id_call);
            if (link.insertedAt < this.dayStart) return;
            const g = this.group(link.queue);
            g.day.handled++;
            g.day.handleMs += (link.talkMs ?? at - link.connectedAt) + (n.msg.catchup ?? 0) * 1000;
          }
        }
        return;
      case 'queue':
        return this.applyQueue(n, at);
      case 'num':
        if (n.event === 'end') this.leftUnanswered.delete(n.msg.id_call);
        return;
      case 'trunk': {
        if (n.event === 'insert_call') this.overflowed(n.msg.id_call);
        let calls = this.trunkCalls.get(n.msg.id_trunk);
        if (!calls) this.trunkCalls.set(n.msg.id_trunk, (calls = new Set()));
        if (n.event === 'insert_call') calls.add(n.msg.id_call);
        else if (n.event === 'delete_call') calls.delete(n.msg.id_call);
        return;
      }
      default:
        return;
    }
  }

  private applyQueue(n: Extract<Notification, { type_notification: 'queue' }>, at: number): void {
    const g = this.group(n.msg.id_queue);
    switch (n.event) {
      case 'insert_call': {
        this.overflowed(n.msg.id_call);
        const since = at - (n.msg.duration_in_queue ?? 0) * 1000;
        g.waiting.set(n.msg.id_call, since);
        if (since >= this.dayStart) g.day.offered++;
        return;
      }
      case 'connect_call': {
        const since = g.waiting.get(n.msg.id_call);
        if (since === undefined) return;
        g.waiting.delete(n.msg.id_call);
        // A passage that entered the queue before today counts in that day's figures.
        if (since < this.dayStart) return;
        const wait = at - since;
        g.day.answered++;
        g.day.waitAnsweredMs += wait;
        if (wait <= g.slThresholdMs) g.day.answeredInSl++;
        this.connected.set(n.msg.id_call, { queue: g.id, operator: n.msg.id_operator, insertedAt: since, connectedAt: at });
        return;
      }
      case 'delete_call': {
        const since = g.waiting.get(n.msg.id_call);
        if (since === undefined) {
          // Answered earlier: the handle time is counted at the operator's end of call.
          const link = this.connected.get(n.msg.id_call);
          if (link && link.queue === g.id) link.talkMs = at - link.connectedAt;
          return;
        }
        g.waiting.delete(n.msg.id_call);
        if (since < this.dayStart) return;
        g.day.abandoned++;
        g.day.waitAbandonedMs += at - since;
        if (this.leftUnanswered.size >= 100_000) this.leftUnanswered.delete(this.leftUnanswered.keys().next().value!);
        this.leftUnanswered.set(n.msg.id_call, g);
        return;
      }
      case 'alert_op':
      case 'alert_file': {
        const untilMs = at + n.msg.validity * 1000;
        const alert: Alert & { untilMs: number } = {
          type: n.event,
          id_queue: n.msg.id_queue,
          ...(n.event === 'alert_file' ? { id_call: n.msg.id_call } : {}),
          ...(n.msg.duration_in_queue !== undefined ? { duration_in_queue: n.msg.duration_in_queue } : {}),
          at: new Date(at).toISOString(),
          until: new Date(untilMs).toISOString(),
          untilMs,
        };
        // A newer alert of the same kind for the same queue (and call) replaces the old one.
        this.alerts = this.alerts.filter((a) => !(a.type === alert.type && a.id_queue === alert.id_queue && a.id_call === alert.id_call));
        this.alerts.push(alert);
        return;
      }
    }
  }

  /** A call that left a queue unanswered went on to another queue or trunk: an overflow. */
  private overflowed(idCall: number): void {
    const from = this.leftUnanswered.get(idCall);
    if (!from) return;
    this.leftUnanswered.delete(idCall);
    from.day.abandoned--;
    from.day.overflowed++;
  }

  snapshot(now: number): RealtimeSnapshot {
    this.rollDay(Math.max(now, 0));
    const ops = [...this.operators.values()].map((o) => o.snapshot(now));
    const groups: GroupSnapshot[] = [...this.groups.values()].map((g) => {
      // An operator suspended in the group takes none of its calls meanwhile: not counted in it.
      const members = ops.filter((o) => o.groups.includes(g.id) && !o.suspended.includes(g.id));
      const count = (s: string) => members.filter((o) => o.state === s).length;
      const pausedBy: Record<string, number> = {};
      for (const o of members) if (o.state === 'paused') pausedBy[String(o.pause_id ?? 0)] = (pausedBy[String(o.pause_id ?? 0)] ?? 0) + 1;
      let oldest = Infinity;
      for (const t of g.waiting.values()) oldest = Math.min(oldest, t);
      const d = g.day;
      // Calls still waiting have no outcome yet: the service level counts the others.
      const decided = d.answered + d.abandoned + d.overflowed;
      return {
        id: g.id,
        name: g.name,
        waiting: g.waiting.size,
        longest_wait: oldest === Infinity ? 0 : Math.max(0, Math.floor((now - oldest) / 1000)),
        operators: {
          logged_in: members.filter((o) => o.state !== 'logged_out').length,
          available: count('available'),
          on_call: count('on_call') + count('calling'),
          ringing: count('ringing'),
          wrapup: count('wrapup'),
          paused: count('paused'),
          paused_by: pausedBy,
        },
        today: {
          offered: d.offered,
          answered: d.answered,
          abandoned: d.abandoned,
          overflowed: d.overflowed,
          service_level: decided === 0 ? 1 : Math.round((d.answeredInSl / decided) * 1000) / 1000,
          sl_threshold: g.slThresholdMs / 1000,
          avg_wait: d.answered === 0 ? 0 : round1(d.waitAnsweredMs / d.answered / 1000),
          aht: d.handled === 0 ? 0 : round1(d.handleMs / d.handled / 1000),
        },
      };
    });
    this.alerts = this.alerts.filter((a) => a.untilMs > now);
    return {
      id_client: this.accountId,
      cpt: this.cpt,
      at: new Date(now).toISOString(),
      day: this.day,
      groups,
      operators: ops,
      trunks: [...new Set([...this.trunkNames.keys(), ...this.trunkCalls.keys()])].map((id) => ({
        id,
        name: this.trunkNames.get(id) ?? `Trunk ${id}`,
        calls: this.trunkCalls.get(id)?.size ?? 0,
      })),
      pauses: this.pauses,
      alerts: this.alerts.map(({ untilMs: _u, ...a }) => a),
    };
  }
}
