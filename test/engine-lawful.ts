// Test helper: checks a notification stream against PROTOCOL §5 — catalogue validity,
// lawful per-call order, one delete_call per insert_call, no operator on two calls,
// operators ringing only when logged in and not paused, every call ended.
import { afterEach, expect } from 'vitest';
import type { TelephonyCommand } from '../src/engine/telephony.ts';
import { validateNotification, type Notification } from '../src/protocol/index.ts';

interface CallTrack {
  started: boolean;
  ended: boolean;
  answeredByIvr: boolean;
  /** Open leg: "queue:3" / "trunk:2", or null. */
  leg: string | null;
  legConnected: boolean;
  legs: number;
  /** Operators ringing for or talking on the call. */
  operators: Set<number>;
  outgoing: boolean;
  /** The consultation on the call (UI/consult … UI/consult_end): who consults whom (null: a number). */
  consult: { by: number; with: number | null; answered: boolean } | null;
}

interface OperatorTrack {
  loggedIn: boolean;
  paused: boolean;
  call: number | null;
  /** ringing | connected | calling */
  status: string | null;
  /** Their call is on hold (UI/hold … UI/unhold). */
  held: boolean;
}

export class LawfulChecker {
  readonly errors: string[] = [];
  readonly calls = new Map<number, CallTrack>();
  readonly ops = new Map<number, OperatorTrack>();
  count = 0;
  private last: Notification | undefined;

  constructor(private readonly accountId: number) {}

  private fail(message: string): void {
    if (this.errors.length < 20) this.errors.push(`#${this.count} ${message} :: ${JSON.stringify(this.last)}`);
  }

  private call(id: number, outgoing = false): CallTrack {
    let c = this.calls.get(id);
    if (!c) {
      c = { started: false, ended: false, answeredByIvr: false, leg: null, legConnected: false, legs: 0, operators: new Set(), outgoing, consult: null };
      this.calls.set(id, c);
    }
    return c;
  }

  private op(id: number): OperatorTrack {
    let o = this.ops.get(id);
    if (!o) {
      o = { loggedIn: false, paused: false, call: null, status: null, held: false };
      this.ops.set(id, o);
    }
    return o;
  }

  observe = (n: Notification): void => {
    this.count++;
    this.last = n;
    const v = validateNotification(JSON.parse(JSON.stringify(n)));
    if (!v.ok) this.fail(`invalid notification: ${v.message}`);
    if ((n.msg as { id_client?: number }).id_client !== this.accountId) this.fail('wrong id_client');
    switch (n.type_notification) {
      case 'num': {
        const c = this.call(n.msg.id_call);
        if (c.ended) this.fail('num event after num/end');
        if (n.event === 'start') {
          if (c.started) this.fail('second num/start');
          c.started = true;
        } else if (!c.started) this.fail(`num/${n.event} before num/start`);
        if (n.event === 'answer') c.answeredByIvr = true;
        if (n.event === 'end') {
          if (c.leg) this.fail(`num/end with leg ${c.leg} still open`);
          if (c.operators.size > 0) this.fail(`num/end while operators ${[...c.operators]} are on the call`);
          c.ended = true;
        }
        return;
      }
      case 'input': {
        const c = this.call(n.msg.id_call);
        if (!c.started || c.ended || c.leg !== null || !c.answeredByIvr) this.fail('input/asr outside an IVR');
        return;
      }
      case 'queue':
      case 'trunk': {
        if (n.event === 'alert_op') return;
        const m = n.msg as { id_call: number; id_queue?: number; id_trunk?: number; id_operator?: number };
        const key = n.type_notification === 'queue' ? `queue:${m.id_queue}` : `trunk:${m.id_trunk}`;
        const c = this.call(m.id_call, m.id_call < 0);
        if (c.ended) this.fail(`${key} ${n.event} after num/end`);
        if (!c.outgoing && !c.started) this.fail(`${key} ${n.event} before num/start`);
        if (n.event === 'insert_call') {
          if (c.leg) this.fail(`insert_call into ${key} while ${c.leg} is open`);
          c.leg = key;
          c.legConnected = false;
          c.legs++;
        } else if (n.event === 'delete_call') {
          if (c.leg !== key) this.fail(`delete_call of ${key} but open leg is ${c.leg}`);
          c.leg = null;
        } else if (n.event === 'connect_call') {
          if (c.leg !== key) this.fail(`connect_call on ${key} but open leg is ${c.leg}`);
          if (c.legConnected) this.fail(`second connect_call on ${key}`);
          c.legConnected = true;
          if (n.type_notification === 'queue') {
            const o = this.op(m.id_operator!);
            if (o.call !== m.id_call || o.status !== 'ringing') this.fail(`connect_call to operator ${m.id_operator} who is not ringing for it`);
          }
        } else if (n.event === 'alert_file') {
          if (c.leg !== key || c.legConnected) this.fail('alert_file for a call not waiting in that queue');
        }
        return;
      }
      case 'operator': {
        const m = n.msg;
        const o = this.op(m.id_operator);
        const id = m.id_call;
        if (id === undefined) {
          if (m.status !== 'available') this.fail(`operator ${m.status} without id_call`);
          if (o.call !== null) this.fail(`operator ${m.id_operator} available while on call ${o.call}`);
          return;
        }
        const c = this.call(id, id < 0);
        if (c.ended) this.fail(`operator ${m.status} after num/end`);
        switch (m.status) {
          case 'ringing':
          case 'calling':
            if (!o.loggedIn || o.paused) this.fail(`operator ${m.id_operator} ${m.status} while logged out or paused`);
            if (m.status === 'ringing' && [...c.operators].some((x) => this.op(x).status === 'connected') && c.consult?.with !== m.id_operator) this.fail(`operator ${m.id_operator} rings for ${id}, on which an operator talks, outside a consultation`);
            if (o.call !== null) this.fail(`operator ${m.id_operator} ${m.status} for ${id} while on call ${o.call}`);
            if (m.status === 'ringing' && !c.outgoing && c.leg === null && c.legs > 0 && !c.started) this.fail('ringing without a call');
            o.call = id;
            o.status = m.status;
            c.operators.add(m.id_operator);
            return;
          case 'connected':
            if (o.call !== id || (o.status !== 'ringing' && o.status !== 'calling')) this.fail(`operator ${m.id_operator} connected on ${id} without ringing/calling it`);
            if (o.status === 'ringing' && c.leg?.startsWith('queue') && !c.legConnected) this.fail('operator connected before connect_call');
            o.status = 'connected';
            return;
          case 'transfert_start':
          case 'transfert_end':
            if (o.call !== id || o.status !== 'connected') this.fail(`${m.status} by operator ${m.id_operator} not connected on ${id}`);
            if (o.held) this.fail(`${m.status} by operator ${m.id_operator} with call ${id} on hold`);
            return;
          case 'available':
            if (o.call !== id) this.fail(`operator ${m.id_operator} available for ${id} but on ${o.call}`);
            if (o.status === 'connected' && m.catchup === undefined) this.fail('end of a conversation without catchup');
            // A consulted operator leaves a call that stays in its queue with the consulting one.
            if (o.status === 'connected' && c.leg !== null && !c.outgoing && c.leg.startsWith('queue') && c.consult?.with !== m.id_operator) this.fail('operator freed before delete_call');
            if (c.consult?.by === m.id_operator) this.fail(`operator ${m.id_operator} freed from ${id} during their consultation`);
            if (o.held) this.fail(`operator ${m.id_operator} freed from call ${id} still on hold`);
            o.call = null;
            o.status = null;
            c.operators.delete(m.id_operator);
            return;
          default:
            this.fail(`unexpected status ${m.status}`);
        }
        return;
      }
      case 'UI': {
        const o = this.op(n.msg.id_operator);
        if (n.event === 'login') {
          if (o.loggedIn) this.fail('login twice');
          o.loggedIn = true;
        } else if (n.event === 'logout') {
          if (!o.loggedIn || o.call !== null) this.fail('logout while logged out or on a call');
          o.loggedIn = false;
          o.paused = false;
        } else if (n.event === 'pause') {
          if (!o.loggedIn || o.paused || o.call !== null) this.fail('pause while logged out, paused or on a call');
          o.paused = true;
        } else if (n.event === 'unpause') {
          if (!o.paused) this.fail('unpause while not paused');
          o.paused = false;
        } else if (n.event === 'push') {
          if (!o.loggedIn || o.paused || o.call !== null) this.fail('push to an operator not free');
        } else if (n.event === 'hold') {
          if (o.call !== n.msg.id_call || o.status !== 'connected' || o.held) this.fail(`hold of ${n.msg.id_call} by operator ${n.msg.id_operator} not connected on it, or already holding`);
          o.held = true;
        } else if (n.event === 'unhold') {
          if (o.call !== n.msg.id_call || !o.held) this.fail(`unhold of ${n.msg.id_call} by operator ${n.msg.id_operator} not holding it`);
          if (this.call(n.msg.id_call).consult) this.fail(`unhold of ${n.msg.id_call} during its consultation`);
          o.held = false;
        } else if (n.event === 'consult') {
          const c = this.call(n.msg.id_call);
          const target = /^(operator|number):([0-9]+)$/.exec(String(n.msg.supp));
          if (o.call !== n.msg.id_call || o.status !== 'connected' || !o.held) this.fail(`consult on ${n.msg.id_call} by operator ${n.msg.id_operator} not connected on it with the caller on hold`);
          if (c.consult) this.fail(`second consultation on ${n.msg.id_call}`);
          if (!target) this.fail(`consult with supp ${JSON.stringify(n.msg.supp)}`);
          c.consult = { by: n.msg.id_operator, with: target?.[1] === 'operator' ? Number(target[2]) : null, answered: false };
        } else if (n.event === 'consult_answer') {
          const c = this.call(n.msg.id_call);
          if (c.consult?.by !== n.msg.id_operator) this.fail(`consult_answer on ${n.msg.id_call} without its consultation`);
          else if (c.consult.answered) this.fail(`second consult_answer on ${n.msg.id_call}`);
          else if (c.consult.with !== null && (this.op(c.consult.with).status !== 'connected' || this.op(c.consult.with).call !== n.msg.id_call)) this.fail(`consult_answer before operator ${c.consult.with} is connected on ${n.msg.id_call}`);
          if (c.consult) c.consult.answered = true;
        } else if (n.event === 'consult_end') {
          const c = this.call(n.msg.id_call);
          if (c.consult?.by !== n.msg.id_operator) this.fail(`consult_end on ${n.msg.id_call} without its consultation`);
          if (!['complete', 'cancel', 'failed', 'ended'].includes(String(n.msg.supp))) this.fail(`consult_end with supp ${JSON.stringify(n.msg.supp)}`);
          if (n.msg.supp === 'complete' && !c.consult?.answered) this.fail(`consultation on ${n.msg.id_call} completed before it was answered`);
          c.consult = null;
        }
        return;
      }
      default:
        return;
    }
  };

  /** Problems left at the end: calls or legs not ended, operators still on calls. */
  finalErrors(): string[] {
    const out = [...this.errors];
    for (const [id, c] of this.calls) {
      if (!c.outgoing && !c.ended) out.push(`call ${id} never got num/end`);
      if (c.leg) out.push(`call ${id}: ${c.leg} never got delete_call`);
      if (c.operators.size > 0) out.push(`call ${id}: operators ${[...c.operators]} never released`);
      if (c.consult) out.push(`call ${id}: consultation never ended`);
    }
    for (const [id, o] of this.ops) if (o.call !== null) out.push(`operator ${id} still on call ${o.call}`);
    return out;
  }
}

/**
 * A fresh checker per stream, each checked after its test: `const lawful = lawfulAfterEach(ID)`
 * at the top of a file, then `lawful()` in each setup.
 */
export function lawfulAfterEach(accountId: number): () => LawfulChecker {
  const checkers: LawfulChecker[] = [];
  afterEach(() => {
    for (const c of checkers.splice(0)) expect(c.errors).toEqual([]);
  });
  return () => {
    const c = new LawfulChecker(accountId);
    checkers.push(c);
    return c;
  };
}

/** One line per telephony command: `ring 5 op1`, `play 5 hello loop`, `dial -2 33612345678 outgoing op1`, `hold 5 op1 music`… */
export function commandLine(c: TelephonyCommand): string {
  switch (c.op) {
    case 'play':
      return `play ${c.id_call} ${c.sound}${c.loop ? ' loop' : ''}`;
    case 'collect':
      return `collect ${c.id_call} ivr${c.id_ivr}`;
    case 'hold':
      return `hold ${c.id_call} op${c.id_operator} ${c.sound}`;
    case 'consult':
      return `consult ${c.id_call} op${c.id_operator} op${c.id_target}`;
    case 'ring':
    case 'stop_ring':
    case 'bridge':
    case 'release':
    case 'unhold':
      return `${c.op} ${c.id_call} op${c.id_operator}`;
    case 'dial':
      return `dial ${c.id_call} ${c.e164} ${c.purpose}${c.id_operator === null ? '' : ` op${c.id_operator}`}`;
    case 'record':
      return `record ${c.id_call} ${c.on ? 'on' : 'off'}`;
    default:
      return `${c.op} ${c.id_call}`;
  }
}
