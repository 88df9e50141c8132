// History from the event stream: one record per call (every phase's times) and one per
// operator state interval, produced when the call or the interval ends. Pure: fed events,
// it returns the records each event completes.
import type { Notification } from '../protocol/index.ts';
import type { LoggedEvent } from '../store/types.ts';
import type { CallRecord, CallStatus, DispositionPatch, Leg, StateInterval } from './records.ts';

interface OpenCall {
  rec: CallRecord;
  /** Saw num/start: the call ends at num/end. */
  viaNumber: boolean;
  leg: Leg | undefined;
  ringAt: number | undefined;
  holdAt: number | undefined;
  connected: boolean;
  everQueued: boolean;
  /** Waiting for the operator's end-of-call `available` (for post_appel). */
  awaitingWrapup: number | undefined;
}

interface OpenOp {
  loginAt?: number;
  pause?: { at: number; id: number };
  call?: { at: number; id: number; out: boolean };
}

export interface Completed {
  calls: CallRecord[];
  intervals: StateInterval[];
  /** Dispositions of calls already completed (given in their wrap-up): applied to the stored record. */
  dispositions: DispositionPatch[];
}

const s = (ms: number) => Math.max(0, Math.round(ms / 1000));

export class HistoryRecorder {
  private readonly calls = new Map<number, OpenCall>();
  private readonly ops = new Map<number, OpenOp>();

  constructor(readonly accountId: number) {}

  /** Applies one event; returns the records it completes (usually none). */
  apply(e: LoggedEvent, out: Completed): void {
    const n = e.notification;
    const at = e.at;
    switch (n.type_notification) {
      case 'num':
        return this.onNum(n, at, out);
      case 'queue':
      case 'trunk':
        return this.onLeg(n, at, out);
      case 'operator':
        this.onOperatorCall(n, at, out);
        return this.onOperatorState(n, at, out);
      case 'UI':
        this.onUiCall(n, at, out);
        return this.onOperatorState(n, at, out);
      default:
        return;
    }
  }

  /** Hold and disposition (our UI extensions): the call's hold time, its disposition. */
  private onUiCall(n: Extract<Notification, { type_notification: 'UI' }>, at: number, out: Completed): void {
    if (n.event !== 'hold' && n.event !== 'unhold' && n.event !== 'disposition') return;
    const c = this.calls.get(n.msg.id_call);
    if (n.event === 'disposition') {
      const disposition = Number(n.msg.supp);
      if (c) c.rec.disposition = disposition;
      else out.dispositions.push({ idCall: n.msg.id_call, disposition });
      return;
    }
    if (!c) return;
    if (n.event === 'hold') c.holdAt ??= at;
    else if (c.holdAt !== undefined) {
      c.rec.durations.hold += s(at - c.holdAt);
      c.holdAt = undefined;
    }
  }

  private open(id: number, at: number, direction: 'in' | 'out'): OpenCall {
    let c = this.calls.get(id);
    if (!c) {
      c = {
        rec: {
          accountId: this.accountId, idCall: id, direction, start: at, end: at, status: 'NOANSWER',
          service: '', caller: '', called: '', firstGroupId: null, groupId: null, trunkId: null, operatorId: null,
          durations: { total: 0, ivr: 0, wait: 0, ring: 0, comm: 0, hold: 0, wrapup: 0 }, legs: [],
        },
        viaNumber: false, leg: undefined, ringAt: undefined, holdAt: undefined, connected: false, everQueued: false, awaitingWrapup: undefined,
      };
      this.calls.set(id, c);
    }
    return c;
  }

  private finish(c: OpenCall, at: number, out: Completed): void {
    const r = c.rec;
    r.end = Math.max(r.end, at);
    r.durations.total = s(r.end - r.start);
    r.status = this.statusOf(c);
    this.calls.delete(r.idCall);
    out.calls.push(r);
  }

  private statusOf(c: OpenCall): CallStatus {
    if (c.connected) return 'ANSWER';
    if (c.rec.direction === 'out') return 'NOANSWER';
    const last = c.rec.legs[c.rec.legs.length - 1];
    if (last && last.kind === 'queue' && last.connectedAt === undefined) return 'ABORT';
    if (!c.everQueued) return 'CANCEL';
    return 'NOANSWER';
  }

  private onNum(n: Extract<Notification, { type_notification: 'num' }>, at: number, out: Completed): void {
    const c = this.open(n.msg.id_call, at, 'in');
    if (n.event === 'start') {
      c.viaNumber = true;
      c.rec.start = at;
      c.rec.service = n.msg.service;
      c.rec.caller = n.msg.caller_id_num;
      return;
    }
    if (n.event === 'end') this.finish(c, at, out);
  }

  private onLeg(n: Extract<Notification, { type_notification: 'queue' | 'trunk' }>, at: number, out: Completed): void {
    if (n.event === 'alert_op' || n.event === 'alert_file') return;
    const m = n.msg as { id_call: number; id_queue?: number; id_trunk?: number; caller_id_num?: string; id_operator?: number };
    const kind = n.type_notification === 'queue' ? 'queue' : 'trunk';
    const id = (kind === 'queue' ? m.id_queue : m.id_trunk) ?? 0;
    const c = this.open(m.id_call, at, 'in');
    const r = c.rec;
    if (n.event === 'insert_call') {
      if (!r.caller && m.caller_id_num) r.caller = m.caller_id_num;
      // A call may enter the stream already waiting (duration_in_queue), as live metrics count it.
      const insertedAt = at - ((n.msg as { duration_in_queue?: number }).duration_in_queue ?? 0) * 1000;
      if (r.legs.length === 0) r.durations.ivr = s(insertedAt - r.start);
      c.leg = { kind, id, insertedAt };
      r.legs.push(c.leg);
      if (kind === 'queue') {
        c.everQueued = true;
        r.firstGroupId ??= id;
        r.groupId = id;
      } else r.trunkId = id;
      return;
    }
    const leg = c.leg;
    if (!leg) return;
    if (n.event === 'connect_call') {
      leg.connectedAt = at;
      if (m.id_operator !== undefined) leg.operatorId = r.operatorId = m.id_operator;
      r.durations.wait += s(at - leg.insertedAt);
      if (c.ringAt !== undefined) r.durations.ring += s(at - c.ringAt);
      c.ringAt = undefined;
      c.connected = true;
      return;
    }
    // delete_call
    leg.leftAt = at;
    if (leg.connectedAt === undefined) r.durations.wait += s(at - leg.insertedAt);
    else r.durations.comm += s(at - leg.connectedAt);
    c.leg = undefined;
    if (!c.viaNumber) {
      if (leg.connectedAt !== undefined && kind === 'queue') c.awaitingWrapup = at;
      else this.finish(c, at, out);
    }
  }

  private onOperatorCall(n: Extract<Notification, { type_notification: 'operator' }>, at: number, out: Completed): void {
    const m = n.msg;
    if (m.id_call === undefined) return;
    if (m.status === 'calling') {
      const c = this.open(m.id_call, at, 'out');
      c.rec.operatorId = m.id_operator;
      c.rec.called = m.caller_id_num ?? '';
      return;
    }
    const c = this.calls.get(m.id_call);
    if (!c) return;
    switch (m.status) {
      case 'ringing':
        c.ringAt ??= at;
        return;
      case 'connected':
        if (c.rec.direction === 'out' && !c.connected) {
          c.connected = true;
          c.leg = { kind: 'direct', id: 0, insertedAt: at, connectedAt: at, operatorId: m.id_operator };
          c.rec.legs.push(c.leg);
        }
        return;
      case 'transfert_start':
        c.holdAt = at;
        return;
      case 'transfert_end':
        if (c.holdAt !== undefined) c.rec.durations.hold += s(at - c.holdAt);
        c.holdAt = undefined;
        return;
      case 'available':
        if (m.catchup !== undefined && c.rec.operatorId === m.id_operator) c.rec.durations.wrapup = m.catchup;
        // The end of the wrap-up of the operator who answered a leg: the leg's handle time is known.
        for (const leg of c.rec.legs) if (leg.operatorId === m.id_operator && leg.connectedAt !== undefined && leg.wrapup === undefined) leg.wrapup = m.catchup ?? 0;
        if (c.rec.direction === 'out') {
          if (c.leg?.connectedAt !== undefined) c.rec.durations.comm += s(at - c.leg.connectedAt);
          this.finish(c, at, out);
        } else if (c.awaitingWrapup !== undefined) this.finish(c, c.awaitingWrapup, out);
        else if (!c.connected) c.ringAt = undefined; // a ring that was not answered
        return;
    }
  }

  /** Calls still open, as recorded so far (copies): statistics that include now count them as live metrics do. */
  openCalls(): CallRecord[] {
    return [...this.calls.values()].map((c) => ({ ...c.rec, durations: { ...c.rec.durations }, legs: c.rec.legs.map((l) => ({ ...l })) }));
  }

  /** Intervals still open (logged in, on a pause, on a call), as if they ended at `now`. */
  openIntervals(now: number): StateInterval[] {
    const out: Completed = { calls: [], intervals: [], dispositions: [] };
    for (const [id, o] of this.ops) {
      if (o.loginAt !== undefined) this.interval(out, id, 'login', o.loginAt, now);
      if (o.pause) this.interval(out, id, 'break', o.pause.at, now, 0, String(o.pause.id));
      if (o.call) this.interval(out, id, o.call.out ? 'call_out' : 'call_in', o.call.at, now, o.call.id);
    }
    return out.intervals;
  }

  private op(id: number): OpenOp {
    let o = this.ops.get(id);
    if (!o) this.ops.set(id, (o = {}));
    return o;
  }

  private interval(out: Completed, id_op: number, type: StateInterval['type'], start: number, end: number, idCall = 0, infos = ''): void {
    out.intervals.push({ accountId: this.accountId, operatorId: id_op, type, start, duration: s(end - start), idCall, infos });
  }

  private onOperatorState(n: Extract<Notification, { type_notification: 'UI' | 'operator' }>, at: number, out: Completed): void {
    const id = n.msg.id_operator;
    const o = this.op(id);
    const endPause = () => {
      if (o.pause) this.interval(out, id, 'break', o.pause.at, at, 0, String(o.pause.id));
      o.pause = undefined;
    };
    const endCall = () => {
      if (o.call) this.interval(out, id, o.call.out ? 'call_out' : 'call_in', o.call.at, at, o.call.id);
      o.call = undefined;
    };
    if (n.type_notification === 'UI') {
      switch (n.event) {
        case 'login':
          o.loginAt ??= at;
          return;
        case 'logout':
          endPause();
          endCall();
          if (o.loginAt !== undefined) this.interval(out, id, 'login', o.loginAt, at);
          o.loginAt = undefined;
          return;
        case 'pause':
          endPause();
          o.pause = { at, id: Number(n.msg.supp) || 0 };
          return;
        case 'unpause':
          return endPause();
        default:
          return;
      }
    }
    const m = n.msg;
    if (m.status === 'connected' || m.status === 'calling') {
      if (!o.call || o.call.id !== m.id_call) {
        endCall();
        o.call = { at, id: m.id_call ?? 0, out: m.status === 'calling' || (m.id_call ?? 0) < 0 };
      }
    } else if (m.status === 'available') {
      endCall();
      if (m.catchup) this.interval(out, id, 'catchup', at, at + m.catchup * 1000, m.id_call ?? 0);
    }
  }
}
