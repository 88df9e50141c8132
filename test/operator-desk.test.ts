// The toolbar's desk model (web/operator/src/desk.ts) against the real engine: whatever the
// operator, the callers and the supervisor do, the desk built from the stream alone shows
// the state the engine has (fast-check), the call it has, and whether it is on hold.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { AccountFile } from '../src/directory/schema.ts';
import { Engine, VirtualScheduler } from '../src/engine/index.ts';
import type { Notification } from '../src/protocol/index.ts';
import { applyEvent, clock, deskFromSnapshot, emptyDesk, waitedNow, type Desk } from '../web/operator/src/desk.ts';

const ACCOUNT = 13;
const account: AccountFile = {
  account: { id: ACCOUNT, name: 'Toolbar' },
  groups: [
    { id: 1, name: 'Sales', ring_timeout: 8, catchup: 20 },
    { id: 2, name: 'Support', ring_timeout: 8, catchup: 0, strategy: 'ring-all' },
  ],
  operators: [
    { id: 1, name: 'Ann', groups: [1, 2] },
    { id: 2, name: 'Bob', groups: [1, 2] },
  ],
  numbers: [
    { id: 1, service: '33100000001', route: { type: 'group', id: 1 } },
    { id: 2, service: '33100000002', route: { type: 'group', id: 2 } },
  ],
  pauses: [{ id: 1, label: 'Break', max_duration: 30 }, { id: 2, label: 'Lunch' }],
  dispositions: [{ id: 1, label: 'Sale' }],
  web_callback: { group: 1, type: 'AUTO', auto_timeout: 3 },
};

const ACTIONS = [
  'arrive', 'arrive', 'login', 'logout', 'pause', 'unpause', 'answer', 'answer', 'reject', 'hangup', 'callerHangup', 'hold', 'unhold',
  'endWrapup', 'disposition', 'transfer', 'call', 'farAnswer', 'callback', 'pushAccept', 'suspend', 'unsuspend',
] as const;
const step = fc.record({ action: fc.constantFrom(...ACTIONS), op: fc.constantFrom(1, 2), n: fc.nat(100), dt: fc.integer({ min: 0, max: 40_000 }) });

/** What the desk must show for the engine's state of the operator. */
function expected(state: string): string[] {
  switch (state) {
    // A wrap-up after a call, or the silent rest after a refused ring (shown available).
    case 'wrapup':
      return ['wrapup', 'available'];
    // A callback push reserved for them: they are available, with the push on the desk.
    case 'reserved':
      return ['available'];
    default:
      return [state];
  }
}

describe('the toolbar desk, from the stream alone', () => {
  it('shows the engine’s state, call and hold for every operator, whatever happens (property)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
        const sched = new VirtualScheduler();
        const desks = new Map<number, Desk>([1, 2].map((id) => [id, emptyDesk(id, sched.now())]));
        const engine = new Engine(account, {
          scheduler: sched,
          sink: (n: Notification, at: number) => {
            for (const [id, d] of desks) desks.set(id, applyEvent(d, n, at));
          },
        });
        const check = () => {
          for (const [id, d] of desks) {
            const op = engine.operator(id)!;
            expect(expected(op.state), `operator ${id}: engine ${op.state}, desk ${d.status}`).toContain(d.status);
            if (['ringing', 'connected', 'calling'].includes(op.state)) expect(d.call?.id).toBe(op.id_call);
            if (op.state === 'connected') expect(d.call!.held).toBe(op.on_hold);
            if (op.state === 'paused') expect(d.pauseId).toBe(op.pause_id);
          }
        };
        for (const s of steps) {
          sched.runUntil(sched.now() + s.dt);
          check();
          const other = s.op === 1 ? 2 : 1;
          const calls = engine.activeCalls();
          switch (s.action) {
            case 'arrive':
              engine.inboundCall({ numberId: (s.n % 2) + 1, caller: `3361000${String(s.n).padStart(4, '0')}` });
              break;
            case 'login':
              engine.operatorLogin(s.op);
              break;
            case 'logout':
              engine.operatorLogout(s.op);
              break;
            case 'pause':
              engine.operatorPause(s.op, (s.n % 2) + 1);
              break;
            case 'unpause':
              engine.operatorUnpause(s.op);
              break;
            case 'answer':
              engine.operatorAnswer(s.op);
              break;
            case 'reject':
              engine.operatorReject(s.op);
              break;
            case 'hangup':
              engine.operatorHangup(s.op);
              break;
            case 'callerHangup':
              if (calls.length) engine.callHangup(calls[s.n % calls.length]!);
              break;
            case 'hold':
              engine.operatorHold(s.op);
              break;
            case 'unhold':
              engine.operatorUnhold(s.op);
              break;
            case 'endWrapup':
              engine.operatorEndWrapup(s.op);
              break;
            case 'disposition':
              engine.operatorDisposition(s.op, 1);
              break;
            case 'transfer':
              engine.operatorTransfer(s.op, s.n % 2 ? { type: 'operator', id: other } : { type: 'group', id: 2 });
              break;
            case 'call':
              engine.operatorCall(s.op, `3360000${String(s.n).padStart(4, '0')}`);
              break;
            case 'farAnswer':
              for (const id of calls) if (engine.call(id)?.phase === 'far_ringing') engine.callAnswer(id);
              break;
            case 'callback':
              engine.callbackRequest({ e164: `3362000${String(s.n).padStart(4, '0')}` });
              break;
            case 'pushAccept': {
              const push = engine.operator(s.op)!.id_push;
              if (push !== null) engine.pushAccept(s.op, push);
              break;
            }
            case 'suspend':
            case 'unsuspend':
              engine.operatorSuspend(s.op, (s.n % 2) + 1, s.action === 'suspend');
              break;
          }
          check();
        }
        sched.runUntil(sched.now() + 3_600_000);
        check();
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the call through the wrap-up (for its disposition), with the time it ends', () => {
    const sched = new VirtualScheduler();
    let desk = emptyDesk(1, sched.now());
    const engine = new Engine(account, { scheduler: sched, sink: (n, at) => (desk = applyEvent(desk, n, at)) });
    engine.operatorLogin(1);
    const t0 = sched.now();
    const r = engine.inboundCall({ service: '33100000001', caller: '33612345678' });
    expect(desk).toMatchObject({ status: 'ringing', call: { number: '33612345678', queue: 1, service: '33100000001', outgoing: false } });
    sched.runUntil(t0 + 2000);
    engine.operatorAnswer(1);
    engine.operatorHold(1);
    expect(desk.call).toMatchObject({ held: true });
    sched.runUntil(t0 + 12_000);
    engine.operatorUnhold(1);
    engine.operatorHangup(1);
    expect(desk).toMatchObject({ status: 'wrapup', since: t0 + 12_000, wrapUntil: t0 + 32_000, call: { id: r.ok ? r.id_call : 0, held: false } });
    engine.operatorDisposition(1, 1);
    expect(desk.call?.disposition).toBe(1);
    expect(desk.recent.map((c) => c.number)).toEqual(['33612345678']);
    sched.runUntil(t0 + 40_000);
    expect(desk).toMatchObject({ status: 'available', call: null, wrapUntil: null });
  });

  it('counts the caller’s wait from their entry in the queue (not from the ring), frozen at the answer; tells the IVR choice', () => {
    const sched = new VirtualScheduler();
    let desk = emptyDesk(1, sched.now());
    const withIvr: AccountFile = {
      ...account,
      numbers: [...account.numbers!, { id: 3, service: '33100000003', route: { type: 'ivr', id: 1 } }],
      ivrs: [{ id: 1, name: 'Menu', options: [{ dtmf: '1', speech: ['sales'], label: 'Sales', route: { type: 'group', id: 1 } }] }],
    };
    const engine = new Engine(withIvr, { scheduler: sched, sink: (n, at) => (desk = applyEvent(desk, n, at)) });
    const t0 = sched.now();
    const r = engine.inboundCall({ service: '33100000003', caller: '33612345678' });
    if (!r.ok) throw new Error('call refused');
    // Two seconds in the menu (not counted as queue wait), then "1": the call waits in Sales.
    sched.runUntil(t0 + 2000);
    expect(engine.ivrInput(r.id_call, { dtmf: '1' })).toMatchObject({ ok: true, matched: true });
    sched.runUntil(t0 + 9000);
    engine.operatorLogin(1);
    expect(desk.status).toBe('ringing');
    expect(waitedNow(desk.call!, desk.status, sched.now())).toBe(7);
    expect(desk.call!.ivr).toEqual({ input: '1', label: 'Sales' });
    sched.runUntil(t0 + 12_000);
    expect(waitedNow(desk.call!, desk.status, sched.now())).toBe(10);
    engine.operatorAnswer(1);
    sched.runUntil(t0 + 30_000);
    expect(desk.status).toBe('connected');
    expect(waitedNow(desk.call!, desk.status, sched.now())).toBe(10);
    expect(desk.call!.ivr).toEqual({ input: '1', label: 'Sales' });
  });

  it('starts the timer of an operator never logged in from the page’s opening, not from 1970', () => {
    const op = { id: 1, name: 'Ann', groups: [1], suspended: [], state: 'logged_out' as const, since: new Date(0).toISOString(), time_in_state: 0, pause_id: null, call: null,
      today: { handled: 0, talk_time: 0, wrapup_time: 0, pause_time: {}, logged_time: 0, occupancy: 0 } };
    expect(deskFromSnapshot(op, 1_800_000_000_000).since).toBe(1_800_000_000_000);
    expect(deskFromSnapshot({ ...op, since: '2027-01-01T00:00:00.000Z' }, 1_800_000_000_000).since).toBe(Date.parse('2027-01-01T00:00:00.000Z'));
  });

  it('formats the state timer', () => {
    expect([0, 9, 61, 3599, 3600, 7322].map(clock)).toEqual(['0:00', '0:09', '1:01', '59:59', '1:00:00', '2:02:02']);
  });
});
