// What the operator's toolbar shows, from the stream: their state with its start time, the
// call they ring for, talk on or wrap up (caller, group, time waited, hold, disposition),
// their pause and the callbacks pushed to them. Pure: a snapshot entry to start from, then
// one event at a time, in cpt order, as the SDK delivers them. A consultation (the caller on
// hold while the operator talks with another one) is kept on the call.
import type { Notification, OperatorSnapshot } from '@voice-management/client';

export type DeskStatus = 'logged_out' | 'available' | 'ringing' | 'connected' | 'calling' | 'wrapup' | 'paused';

export interface DeskCall {
  id: number;
  /** The caller (inbound) or the called number (outgoing). */
  number: string;
  /** The group of the call (0: none, e.g. an outgoing call or a direct transfer). */
  queue: number;
  /** The service number called, when ringing for an inbound call. */
  service: string | undefined;
  /**
   * When the caller entered the queue (ms, from the ringing event's `duration_in_queue`), or
   * null when not known (an outgoing call, a page opened during the call).
   */
  queuedAt: number | null;
  /** Seconds the caller waited in the queue before being answered (set at the answer). */
  waited: number;
  /** The caller's choice in the IVR (the DTMF key or the speech recognised, and the option's label), when they came through one. */
  ivr: { input: string; label: string | undefined } | undefined;
  outgoing: boolean;
  held: boolean;
  disposition: number | undefined;
  /**
   * Who is consulted while the caller is on hold (UI/consult … UI/consult_end): an operator, or
   * an external number (operator null), and whether they answered.
   */
  consult?: { operator: number | null; number: string | null; answered: boolean } | undefined;
}

export interface DeskPush {
  id: number;
  e164: string;
  type: 'AUTO' | 'MANUAL';
  priority: number;
  /** Seconds before an AUTO push dials by itself (from when it arrived). */
  autoTimeout: number;
  /** When it arrived (ms). */
  at: number;
}

export interface Desk {
  operator: number;
  status: DeskStatus;
  /** When the operator entered `status` (ms). */
  since: number;
  pauseId: number | null;
  /** The call rung for, talked on, or wrapped up (kept through the wrap-up for its disposition). */
  call: DeskCall | null;
  /** When a wrap-up ends by itself (ms), else null. */
  wrapUntil: number | null;
  pushes: DeskPush[];
  /** Calls answered or placed since the page opened, newest first (at most 50). */
  recent: { id: number; number: string; at: number; outgoing: boolean }[];
}

const LIVE_TO_DESK: Record<OperatorSnapshot['state'], DeskStatus> = {
  logged_out: 'logged_out',
  available: 'available',
  paused: 'paused',
  ringing: 'ringing',
  on_call: 'connected',
  calling: 'calling',
  wrapup: 'wrapup',
  unavailable: 'logged_out',
};

/** The desk of an operator as the realtime snapshot shows them (`GET /api/v1/realtime`). */
export function deskFromSnapshot(op: OperatorSnapshot, now: number): Desk {
  const status = LIVE_TO_DESK[op.state];
  const since = Date.parse(op.since);
  const call: DeskCall | null = op.call
    ? {
        id: op.call.id_call,
        number: op.call.caller_id_num ?? '',
        queue: op.call.id_queue,
        service: undefined,
        queuedAt: null,
        waited: 0,
        ivr: undefined,
        outgoing: op.call.id_call < 0,
        held: false,
        disposition: undefined,
      }
    : null;
  // An operator never logged in since the server started has the epoch as `since`: no timer from 1970.
  return { operator: op.id, status, since: Number.isFinite(since) && since > 0 ? since : now, pauseId: op.pause_id, call, wrapUntil: null, pushes: [], recent: [] };
}

/** A desk with nothing known yet (logged out). */
export function emptyDesk(operator: number, now: number): Desk {
  return { operator, status: 'logged_out', since: now, pauseId: null, call: null, wrapUntil: null, pushes: [], recent: [] };
}

const MAX_RECENT = 50;

const ivrOf = (m: { ivr?: string; ivr_label?: string }): DeskCall['ivr'] => (m.ivr !== undefined ? { input: m.ivr, label: m.ivr_label } : undefined);

/** The desk after one event at `at` (ms); the same object when the event is not this operator's. */
export function applyEvent(d: Desk, n: Notification, at: number): Desk {
  const m = n.msg as { id_operator?: number };
  if (m.id_operator !== d.operator) return d;
  const to = (status: DeskStatus, patch: Partial<Desk> = {}): Desk => ({ ...d, status, since: status === d.status ? d.since : at, ...patch });
  if (n.type_notification === 'UI') {
    switch (n.event) {
      case 'login':
        return to('available', { pauseId: null, call: null, wrapUntil: null });
      case 'logout':
        return to('logged_out', { pauseId: null, call: null, wrapUntil: null, pushes: [] });
      case 'pause':
        return to('paused', { pauseId: Number(n.msg.supp) || null, wrapUntil: null, call: null });
      case 'unpause':
        return to('available', { pauseId: null });
      case 'hold':
      case 'unhold':
        return d.call && d.call.id === n.msg.id_call ? { ...d, call: { ...d.call, held: n.event === 'hold' } } : d;
      case 'disposition':
        return d.call && d.call.id === n.msg.id_call ? { ...d, call: { ...d.call, disposition: Number(n.msg.supp) } } : d;
      case 'consult':
      case 'consult_answer': {
        const with_ = /^(operator|number):([0-9]+)$/.exec(String(n.msg.supp));
        if (!d.call || d.call.id !== n.msg.id_call || !with_) return d;
        const isOp = with_[1] === 'operator';
        return { ...d, call: { ...d.call, consult: { operator: isOp ? Number(with_[2]) : null, number: isOp ? null : with_[2]!, answered: n.event === 'consult_answer' } } };
      }
      case 'consult_end':
        return d.call && d.call.id === n.msg.id_call ? { ...d, call: { ...d.call, consult: undefined } } : d;
      case 'push': {
        const p = n.msg as unknown as { id_push?: number; e164: string; type: 'AUTO' | 'MANUAL'; priority: number; auto_timeout?: number };
        if (p.id_push === undefined) return d;
        const push: DeskPush = { id: p.id_push, e164: p.e164, type: p.type, priority: p.priority, autoTimeout: p.auto_timeout ?? 0, at };
        return { ...d, pushes: [...d.pushes.filter((x) => x.id !== push.id), push] };
      }
      case 'push_cancel': {
        const id = (n.msg as unknown as { id_push?: number }).id_push;
        return { ...d, pushes: id === undefined ? [] : d.pushes.filter((x) => x.id !== id) };
      }
      default:
        return d;
    }
  }
  if (n.type_notification !== 'operator') return d;
  const s = n.msg;
  const id = s.id_call;
  switch (s.status) {
    case 'ringing':
      if (id === undefined) return d;
      return to('ringing', {
        call: {
          id,
          number: s.caller_id_num ?? '',
          queue: s.id_queue ?? 0,
          service: s.service,
          queuedAt: s.duration_in_queue !== undefined ? at - s.duration_in_queue * 1000 : null,
          waited: 0,
          ivr: ivrOf(s),
          outgoing: false,
          held: false,
          disposition: undefined,
        },
        wrapUntil: null,
      });
    case 'calling':
      if (id === undefined) return d;
      return to('calling', {
        call: { id, number: s.caller_id_num ?? '', queue: 0, service: undefined, queuedAt: null, waited: 0, ivr: undefined, outgoing: true, held: false, disposition: undefined },
        pushes: [],
        wrapUntil: null,
      });
    case 'connected': {
      // The wait ends at the answer: kept from then on (through the wrap-up).
      const call: DeskCall | null = d.call && d.call.id === id
        ? { ...d.call, waited: d.call.queuedAt !== null && d.status === 'ringing' ? elapsed(d.call.queuedAt, at) : d.call.waited }
        : id !== undefined ? { id, number: s.caller_id_num ?? '', queue: s.id_queue ?? 0, service: undefined, queuedAt: null, waited: 0, ivr: ivrOf(s), outgoing: id < 0, held: false, disposition: undefined } : null;
      const recent = call ? [{ id: call.id, number: call.number, at, outgoing: call.outgoing }, ...d.recent.filter((r) => r.id !== call.id)].slice(0, MAX_RECENT) : d.recent;
      return to('connected', { call, recent });
    }
    case 'available': {
      // End of a ring not answered: available again, nothing to wrap up.
      if (d.status === 'ringing') return to('available', { call: null, wrapUntil: null });
      // End of a conversation: wrap-up for `catchup` seconds (kept with its call for a disposition).
      if (id !== undefined && (s.catchup ?? 0) > 0) return to('wrapup', { wrapUntil: at + s.catchup! * 1000, call: d.call ? { ...d.call, held: false } : null });
      return to('available', { call: null, wrapUntil: null });
    }
    default:
      return d;
  }
}

/** Seconds the caller has waited in the queue: counting while the call rings, then the wait until the answer. */
export function waitedNow(call: DeskCall, status: DeskStatus, now: number): number {
  return status === 'ringing' && call.queuedAt !== null ? elapsed(call.queuedAt, now) : call.waited;
}

/** A group's colour, the same on every toolbar (the account file has none): a hue from its id. */
export function groupColour(id: number): string {
  return `hsl(${Math.round((id * 137.508) % 360)} 62% 40%)`;
}

/** Whole seconds from `since` to `now`, as the state timer shows them. */
export function elapsed(since: number, now: number): number {
  return Math.max(0, Math.floor((now - since) / 1000));
}

/** `m:ss`, or `h:mm:ss` from an hour. */
export function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}
