// What an account's log leaves open, and the lawful events that close it. After a crash
// (or when an engine had to be discarded), the calls the log shows in progress did end:
// the process that carried them is gone. They get what PROTOCOL §5 makes lawful, in the
// order the engine itself would emit: the end of a consultation, delete_call of the open
// leg, `available` (catchup 0) for every operator on the call, num/end; then a pending push
// is cancelled, suspensions are lifted and every logged-in operator logs out. Only what the
// engine opened is closed: a telephony system publishing over the admin API carries its
// calls itself, and they survive our restart.
// Pure: fed notifications, asked for closing notifications.
import type { Notification } from '../protocol/index.ts';

interface OpenCall {
  id: number;
  startedAt: number;
  num?: { id_num: number; service: string; caller_id_num: string; type_dest: 'GROUPE' | 'TRUNK' | 'NO'; srv?: number };
  caller: string;
  leg?: { kind: 'queue' | 'trunk'; id: number; at: number };
  /** The operator consulting another one on the call (UI/consult without its UI/consult_end). */
  consultBy?: number;
}

interface OpenOperator {
  loggedIn: boolean;
  call: { id: number; status: 'ringing' | 'calling' | 'connected' } | null;
  /** The last UI/push not cancelled nor taken (its msg, to cancel it alike). */
  push: Record<string, unknown> | null;
  /** The call they hold (UI/hold without its UI/unhold), else null. */
  held: number | null;
  /** Groups a supervisor suspended them in (UI/suspend without its UI/unsuspend). */
  suspended: Set<number>;
}

const secs = (ms: number): number => (ms > 0 ? Math.round(ms / 1000) : 0);

export class OpenState {
  private readonly calls = new Map<number, OpenCall>();
  private readonly ops = new Map<number, OpenOperator>();

  constructor(readonly accountId: number) {}

  private call(id: number, at: number, caller = ''): OpenCall {
    let c = this.calls.get(id);
    if (!c) this.calls.set(id, (c = { id, startedAt: at, caller }));
    return c;
  }

  private op(id: number): OpenOperator {
    let o = this.ops.get(id);
    if (!o) this.ops.set(id, (o = { loggedIn: false, call: null, push: null, held: null, suspended: new Set() }));
    return o;
  }

  /** The call's num or leg is over: forgets the call once nothing keeps it open. */
  private release(id: number, part?: 'num' | 'leg'): void {
    const c = this.calls.get(id);
    if (!c) return;
    if (part) delete c[part];
    if (c.num || c.leg) return;
    for (const o of this.ops.values()) if (o.call?.id === c.id) return;
    this.calls.delete(c.id);
  }

  apply(n: Notification, at: number): void {
    switch (n.type_notification) {
      case 'num': {
        const m = n.msg;
        if (n.event === 'start') {
          const c = this.call(m.id_call, at, m.caller_id_num);
          c.num = { id_num: m.id_num, service: m.service, caller_id_num: m.caller_id_num, type_dest: m.type_dest, ...(n.srv !== undefined ? { srv: n.srv } : {}) };
        } else if (n.event === 'end') this.release(m.id_call, 'num');
        return;
      }
      case 'queue':
      case 'trunk': {
        if (n.event === 'alert_op' || n.event === 'alert_file') return;
        const m = n.msg as { id_call: number; id_queue?: number; id_trunk?: number; caller_id_num?: string };
        if (n.event === 'insert_call') {
          const c = this.call(m.id_call, at, m.caller_id_num ?? '');
          const kind = n.type_notification;
          c.leg = { kind, id: (kind === 'queue' ? m.id_queue : m.id_trunk) ?? 0, at };
        } else if (n.event === 'delete_call') this.release(m.id_call, 'leg');
        return;
      }
      case 'operator': {
        const m = n.msg;
        const o = this.op(m.id_operator);
        if (m.id_call === undefined) return;
        switch (m.status) {
          case 'ringing':
          case 'calling':
            this.call(m.id_call, at, m.caller_id_num ?? '');
            o.call = { id: m.id_call, status: m.status };
            if (m.status === 'calling') o.push = null;
            return;
          case 'connected':
            if (o.call?.id === m.id_call) o.call.status = 'connected';
            return;
          case 'available': {
            if (o.call?.id !== m.id_call) return;
            o.call = null;
            this.release(m.id_call);
            return;
          }
          default:
            return;
        }
      }
      case 'UI': {
        const o = this.op(n.msg.id_operator);
        if (n.event === 'login') o.loggedIn = true;
        else if (n.event === 'logout') {
          o.loggedIn = false;
          o.push = null;
        } else if (n.event === 'push') o.push = { ...n.msg };
        else if (n.event === 'push_cancel') o.push = null;
        else if (n.event === 'hold') o.held = n.msg.id_call;
        else if (n.event === 'unhold') o.held = null;
        else if (n.event === 'consult') this.call(n.msg.id_call, at).consultBy = n.msg.id_operator;
        else if (n.event === 'consult_end') delete this.call(n.msg.id_call, at).consultBy;
        else if (n.event === 'suspend') o.suspended.add(n.msg.id_queue);
        else if (n.event === 'unsuspend') o.suspended.delete(n.msg.id_queue);
        return;
      }
      default:
        return;
    }
  }

  /** Whether anything is open. */
  get isSettled(): boolean {
    if (this.calls.size > 0) return false;
    for (const o of this.ops.values()) if (o.loggedIn || o.call || o.suspended.size > 0) return false;
    return true;
  }

  /** The notifications that close everything open, in a lawful order, as at `at` (ms). */
  closingEvents(at: number): Notification[] {
    const id_client = this.accountId;
    const out: Notification[] = [];
    for (const c of this.calls.values()) {
      const leg = c.leg;
      // A consultation ends first: the consulting operator then leaves as from any call.
      if (c.consultBy !== undefined) out.push({ type_notification: 'UI', event: 'consult_end', msg: { id_operator: c.consultBy, id_client, id_call: c.id, supp: 'ended' } });
      if (leg?.kind === 'queue') {
        out.push({ type_notification: 'queue', event: 'delete_call', msg: { id_call: c.id, id_queue: leg.id, id_client, duration_in_queue: secs(at - leg.at) } });
      } else if (leg?.kind === 'trunk') {
        out.push({
          type_notification: 'trunk',
          event: 'delete_call',
          msg: { id_call: c.id, id_trunk: leg.id, id_client, call_duration: secs(at - c.startedAt), duration_in_queue: secs(at - leg.at) },
        });
      }
      for (const [id_operator, o] of this.ops) {
        if (o.call?.id !== c.id) continue;
        if (o.held === c.id) out.push({ type_notification: 'UI', event: 'unhold', msg: { id_operator, id_client, id_call: c.id, supp: '' } });
        o.held = null;
        out.push({
          type_notification: 'operator',
          event: 'status',
          msg: {
            status: 'available', id_operator, id_client, id_call: c.id, id_queue: leg?.kind === 'queue' ? leg.id : 0,
            caller_id_num: c.num?.caller_id_num ?? c.caller, call_duration: secs(at - c.startedAt), catchup: 0,
          },
        });
        o.call = null;
      }
      if (c.num) {
        const { srv, ...num } = c.num;
        out.push({ type_notification: 'num', event: 'end', ...(srv !== undefined ? { srv } : {}), msg: { id_call: c.id, id_client, ...num } });
      }
    }
    this.calls.clear();
    for (const [id_operator, o] of this.ops) {
      if (o.push) out.push({ type_notification: 'UI', event: 'push_cancel', msg: { ...o.push, id_operator, id_client } } as Notification);
      o.push = null;
      // A new engine knows no suspension: lifted, so the live state says what it will do.
      for (const id_queue of o.suspended) out.push({ type_notification: 'UI', event: 'unsuspend', msg: { id_operator, id_client, id_queue, supp: '' } });
      o.suspended.clear();
      if (o.loggedIn) out.push({ type_notification: 'UI', event: 'logout', msg: { id_operator, id_client, supp: '' } });
      o.loggedIn = false;
    }
    return out;
  }
}

export interface SettleDeps {
  /** The account's logged events with cpt > after, in order, at most `limit`. */
  readAfter(accountId: number, after: number, limit: number): Promise<{ cpt: number; at: number; notification: Notification; fromEngine?: boolean }[]>;
  settledCpt(accountId: number): Promise<number>;
  setSettledCpt(accountId: number, cpt: number): Promise<void>;
  /** Publishes a closing event; resolves with its cpt once durable. */
  publish(accountId: number, n: Notification, at: number): Promise<number>;
  /** The account's last durable cpt. */
  lastCpt(accountId: number): number;
}

/**
 * Closes what the account's log shows open (reading from where it was last settled) and
 * records the account settled. No engine of the account may publish meanwhile. Resolves
 * with the number of closing events published.
 */
export async function settleAccount(accountId: number, deps: SettleDeps): Promise<number> {
  const open = new OpenState(accountId);
  let after = await deps.settledCpt(accountId);
  const end = deps.lastCpt(accountId);
  let at = 0;
  while (after < end) {
    const page = await deps.readAfter(accountId, after, 5000);
    if (page.length === 0) break;
    for (const e of page) if (e.fromEngine) open.apply(e.notification, e.at);
    after = page[page.length - 1]!.cpt;
    at = Math.max(at, page[page.length - 1]!.at);
  }
  // The process that held them died after the last event it logged: they ended then (and
  // event times keep growing with cpt).
  const closing = open.closingEvents(at);
  await Promise.all(closing.map((n) => deps.publish(accountId, n, at)));
  await deps.setSettledCpt(accountId, deps.lastCpt(accountId));
  return closing.length;
}
