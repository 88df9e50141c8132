// Routing features, one scenario each: distribution strategies, ring timeout, overflow,
// priorities, wrap-up, opening hours, IVR (speech → input/asr), transfers and the
// forbidden-destination list, operator rules. Every stream also passes the lawful checker.
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountFile } from '../src/directory/schema.ts';
import { Engine, VirtualScheduler } from '../src/engine/index.ts';
import type { Notification } from '../src/protocol/index.ts';
import { LawfulChecker } from './engine-lawful.ts';

const ACCOUNT = 9;
type Ev = { at: number; n: Notification };

function setup(extra: Partial<AccountFile> = {}, operators = 3) {
  const file: AccountFile = {
    account: { id: ACCOUNT, name: 'Routing' },
    groups: [{ id: 1, name: 'Sales' }],
    operators: Array.from({ length: operators }, (_, i) => ({ id: i + 1, name: `Op ${i + 1}`, groups: [1] })),
    numbers: [{ id: 1, service: '33100000001', route: { type: 'group', id: 1 } }],
    pauses: [{ id: 1, label: 'Lunch' }],
    ...extra,
  };
  const sched = new VirtualScheduler();
  const t0 = sched.now();
  const events: Ev[] = [];
  const checker = new LawfulChecker(ACCOUNT);
  const engine = new Engine(file, {
    scheduler: sched,
    sink: (n, at) => {
      events.push({ at, n });
      checker.observe(n);
    },
  });
  const at = (seconds: number) => sched.runUntil(t0 + seconds * 1000);
  const of = (type: string, event: string, status?: string) =>
    events.filter((e) => e.n.type_notification === type && e.n.event === event && (status === undefined || (e.n.msg as { status?: string }).status === status));
  const call = (caller = '33611111111', service = '33100000001') => {
    const r = engine.inboundCall({ service, caller });
    if (!r.ok) throw new Error(r.message);
    return r.id_call;
  };
  checkers.push(checker);
  return { engine, sched, t0, events, at, of, call, checker };
}

const checkers: LawfulChecker[] = [];
afterEach(() => {
  for (const c of checkers.splice(0)) expect(c.errors).toEqual([]);
});

const ringingOps = (evs: Ev[]) => evs.map((e) => (e.n.msg as { id_operator: number }).id_operator);

describe('distribution strategies', () => {
  it('longest-idle: the operator available the longest gets the call', () => {
    const { engine, at, of, call } = setup();
    engine.operatorLogin(2);
    at(10);
    engine.operatorLogin(3);
    at(20);
    engine.operatorLogin(1);
    call();
    expect(ringingOps(of('operator', 'status', 'ringing'))).toEqual([2]);
    engine.operatorAnswer(2);
    at(30);
    engine.operatorHangup(2); // 2 is now the most recently available
    call();
    call();
    expect(ringingOps(of('operator', 'status', 'ringing'))).toEqual([2, 3, 1]);
  });

  it('round-robin: calls go around the members in order', () => {
    const { engine, at, of, call } = setup({ groups: [{ id: 1, name: 'Sales', strategy: 'round-robin' }] });
    for (const id of [3, 1, 2]) engine.operatorLogin(id);
    for (let i = 0; i < 3; i++) {
      call();
      const ringing = engine.operators().find((o) => o.state === 'ringing')!;
      engine.operatorAnswer(ringing.id_operator);
      at(i + 1);
      engine.operatorHangup(ringing.id_operator);
    }
    expect(ringingOps(of('operator', 'status', 'ringing'))).toEqual([1, 2, 3]);
  });

  it('ring-all: every available operator rings; the first to answer takes it, the others are freed', () => {
    const { engine, at, of, call } = setup({ groups: [{ id: 1, name: 'Sales', strategy: 'ring-all' }] });
    for (const id of [1, 2, 3]) engine.operatorLogin(id);
    const id = call();
    expect(ringingOps(of('operator', 'status', 'ringing'))).toEqual([1, 2, 3]);
    at(3);
    expect(engine.operatorAnswer(2)).toEqual({ ok: true, id_call: id });
    expect(of('queue', 'connect_call').map((e) => e.n.msg)).toMatchObject([{ id_call: id, id_operator: 2 }]);
    const freed = of('operator', 'status', 'available').map((e) => e.n.msg as { id_operator: number; id_call?: number });
    expect(freed.map((m) => [m.id_operator, m.id_call])).toEqual([[1, id], [3, id]]);
    expect(engine.operatorAnswer(1)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_RINGING' });
  });

  it('ring timeout: an unanswered operator is freed and the next one rings', () => {
    const { engine, at, of, call } = setup({ groups: [{ id: 1, name: 'Sales', ring_timeout: 15 }] });
    engine.operatorLogin(1);
    engine.operatorLogin(2);
    const id = call();
    at(14.9);
    expect(ringingOps(of('operator', 'status', 'ringing'))).toEqual([1]);
    at(15);
    expect(ringingOps(of('operator', 'status', 'ringing'))).toEqual([1, 2]);
    expect(engine.operator(1)).toMatchObject({ state: 'available', id_call: null });
    expect(engine.call(id)).toMatchObject({ phase: 'ringing', id_operator: 2 });
  });
});

describe('queues', () => {
  it('max_wait sends a waiting call to the overflow group: delete_call from the first, insert_call into the second', () => {
    const { engine, at, of, call } = setup({
      groups: [
        { id: 1, name: 'Sales', max_wait: 30, overflow: { type: 'group', id: 2 } },
        { id: 2, name: 'Backup' },
      ],
      operators: [{ id: 1, name: 'Backup op', groups: [2] }],
    });
    engine.operatorLogin(1);
    const id = call();
    at(29);
    expect(of('queue', 'insert_call').map((e) => (e.n.msg as { id_queue: number }).id_queue)).toEqual([1]);
    at(30);
    expect(of('queue', 'delete_call').map((e) => e.n.msg)).toEqual([{ id_call: id, id_queue: 1, id_client: ACCOUNT, duration_in_queue: 30 }]);
    expect(of('queue', 'insert_call').map((e) => (e.n.msg as { id_queue: number }).id_queue)).toEqual([1, 2]);
    expect(engine.call(id)).toMatchObject({ phase: 'ringing', id_queue: 2, id_operator: 1, step: 2 });
  });

  it('overflow to a trunk: trunk insert, connect when the destination answers, delete at hang-up', () => {
    const { engine, at, of, call } = setup({
      groups: [{ id: 1, name: 'Sales', max_wait: 10, overflow: { type: 'trunk', id: 4 } }],
      trunks: [{ id: 4, name: 'Partner', destination: '33970000000' }],
    });
    const id = call();
    at(10);
    expect(of('trunk', 'insert_call')).toHaveLength(1);
    at(14);
    expect(engine.callAnswer(id)).toEqual({ ok: true });
    at(100);
    engine.callHangup(id);
    expect(of('trunk', 'connect_call').map((e) => e.n.msg)).toMatchObject([{ id_call: id, id_trunk: 4, status: 'connected', duration_in_queue: 4 }]);
    expect(of('trunk', 'delete_call')).toHaveLength(1);
    expect(of('num', 'end').map((e) => (e.n.msg as { type_dest: string }).type_dest)).toEqual(['TRUNK']);
  });

  it('an operator in two groups takes the call of the higher-priority group first', () => {
    const { engine, of, call } = setup({
      groups: [
        { id: 1, name: 'Low', priority: 10 },
        { id: 2, name: 'High', priority: 90 },
      ],
      operators: [{ id: 1, name: 'Both', groups: [1, 2] }],
      numbers: [
        { id: 1, service: '33100000001', route: { type: 'group', id: 1 } },
        { id: 2, service: '33100000002', route: { type: 'group', id: 2 } },
      ],
    });
    const low = call('33600000001', '33100000001');
    const high = call('33600000002', '33100000002');
    engine.operatorLogin(1);
    expect(of('operator', 'status', 'ringing').map((e) => (e.n.msg as { id_call: number }).id_call)).toEqual([high]);
    expect(of('queue', 'insert_call').map((e) => (e.n.msg as { priority: number }).priority)).toEqual([10, 90]);
    expect(engine.call(low)?.phase).toBe('queued');
  });

  it('wrap-up: available with catchup at call end, then no call until the catchup is over', () => {
    const { engine, at, of, call } = setup({ groups: [{ id: 1, name: 'Sales', catchup: 20 }] }, 1);
    engine.operatorLogin(1);
    const first = call();
    engine.operatorAnswer(1);
    at(60);
    engine.operatorHangup(1);
    const second = call();
    expect(of('operator', 'status', 'available').map((e) => e.n.msg)).toMatchObject([{ id_call: first, catchup: 20 }]);
    at(79);
    expect(engine.call(second)?.phase).toBe('queued');
    at(80);
    expect(engine.call(second)?.phase).toBe('ringing');
    const order = of('operator', 'status').map((e) => `${(e.n.msg as { status: string }).status}@${(e.at - of('operator', 'status')[0]!.at) / 1000}`);
    expect(order).toEqual(['ringing@0', 'connected@0', 'available@60', 'available@80', 'ringing@80']);
  });

  it('an abandoned call gets delete_call without connect_call, and the lawful end order', () => {
    const { engine, at, events, call } = setup({}, 0);
    const id = call();
    at(42);
    engine.callHangup(id);
    expect(events.map((e) => `${e.n.type_notification}/${e.n.event}`)).toEqual(['num/start', 'queue/insert_call', 'queue/delete_call', 'num/end']);
    expect(events[2]!.n.msg).toMatchObject({ duration_in_queue: 42 });
  });

  it('a connected call ends in the order delete_call → operator available (catchup) → num/end', () => {
    const { engine, at, events, call } = setup({ numbers: [{ id: 1, service: '33100000001', route: { type: 'group', id: 1 }, rec: true }] }, 1);
    engine.operatorLogin(1);
    call();
    at(5);
    engine.operatorAnswer(1);
    at(65);
    engine.operatorHangup(1);
    const seq = events.map((e) => `${e.n.type_notification}/${e.n.event}${e.n.type_notification === 'operator' ? `/${(e.n.msg as { status: string }).status}` : ''}`);
    expect(seq).toEqual([
      'UI/login', 'num/start', 'queue/insert_call', 'operator/status/ringing', 'queue/connect_call', 'operator/status/connected',
      'queue/delete_call', 'operator/status/available', 'num/end',
    ]);
    expect(events[3]!.n.msg).toMatchObject({ service: '33100000001', rec: 1, id_queue: 1 });
    expect(events[5]!.n.msg).toMatchObject({ call_duration: 5, step: 1 });
    expect(events[6]!.n.msg).toMatchObject({ duration_in_queue: 5 });
  });
});

describe('opening hours', () => {
  const hours = { timezone: 'Europe/Paris', slots: [{ days: ['mon' as const], from: '09:00', to: '18:00' }] };
  it('outside the hours the fallback route is taken; inside, the normal one', () => {
    // The virtual clock starts Monday 2026-01-05 08:00 UTC = 09:00 in Paris (open).
    const { engine, at, of, call } = setup({
      trunks: [{ id: 7, name: 'Night', destination: '33970000000' }],
      numbers: [{ id: 1, service: '33100000001', route: { type: 'group', id: 1 }, hours, fallback: { type: 'trunk', id: 7 } }],
    });
    call();
    at(9 * 3600); // 18:00 Paris: closed
    call();
    expect(of('num', 'start').map((e) => (e.n.msg as { type_dest: string }).type_dest)).toEqual(['GROUPE', 'TRUNK']);
    expect(of('trunk', 'insert_call')).toHaveLength(1);
    expect(engine.activeCalls()).toHaveLength(2);
  });
});

describe('IVR', () => {
  const ivrAccount: Partial<AccountFile> = {
    groups: [{ id: 1, name: 'Sales' }, { id: 2, name: 'Support' }],
    operators: [{ id: 1, name: 'S', groups: [1] }, { id: 2, name: 'T', groups: [2] }],
    numbers: [{ id: 1, service: '33100000001', route: { type: 'ivr', id: 5 } }],
    ivrs: [
      {
        id: 5,
        name: 'Menu',
        timeout: 10,
        retries: 1,
        min_score: 60,
        options: [
          { dtmf: '1', speech: ['sales', 'buy'], route: { type: 'group', id: 1 } },
          { dtmf: '2', speech: ['technical support'], route: { type: 'group', id: 2 } },
        ],
        default_route: { type: 'hangup' },
      },
    ],
  };

  it('speech gives input/asr with its score and routes to the matching option', () => {
    const { engine, at, events, call } = setup(ivrAccount);
    const id = call();
    at(4);
    expect(engine.ivrInput(id, { speech: 'I need Technical Support, please', score: 88 })).toEqual({ ok: true, matched: true });
    const seq = events.map((e) => `${e.n.type_notification}/${e.n.event}`);
    expect(seq).toEqual(['num/start', 'num/answer', 'input/asr', 'queue/insert_call']);
    expect(events[2]!.n.msg).toEqual({ id_call: id, id_client: ACCOUNT, id: 1, input: 'I need Technical Support, please', score: 88 });
    expect(events[3]!.n.msg).toMatchObject({ id_queue: 2, call_duration: 4 });
  });

  it('speech below min_score is reported but not trusted; after the retries the default route is taken', () => {
    const { engine, of, call } = setup(ivrAccount);
    const id = call();
    expect(engine.ivrInput(id, { speech: 'sales', score: 40 })).toEqual({ ok: true, matched: false });
    expect(engine.ivrInput(id, { speech: 'weather forecast', score: 99 })).toEqual({ ok: true, matched: false });
    expect(of('input', 'asr')).toHaveLength(2);
    expect(of('num', 'end')).toHaveLength(1);
    expect(engine.ivrInput(id, { dtmf: '1' })).toMatchObject({ ok: false, error: 'CALL_UNKNOWN' });
  });

  it('DTMF routes; no input at all times out to the default route', () => {
    const { engine, at, of, call } = setup(ivrAccount);
    const a = call();
    expect(engine.ivrInput(a, { dtmf: '1' })).toEqual({ ok: true, matched: true });
    expect(engine.call(a)?.id_queue).toBe(1);
    expect(engine.ivrInput(a, { dtmf: '2' })).toMatchObject({ ok: false, error: 'CALL_NOT_IN_IVR' });
    const b = call();
    expect(engine.ivrInput(b, { dtmf: 'x' })).toMatchObject({ ok: false, error: 'IVR_INPUT_INVALID' });
    at(19);
    expect(engine.call(b)?.phase).toBe('ivr');
    at(20); // timeout, one retry, timeout again
    expect(engine.call(b)).toBeUndefined();
    expect(of('num', 'end').map((e) => (e.n.msg as { id_call: number }).id_call)).toEqual([b]);
  });
});

describe('transfers', () => {
  const transferAccount: Partial<AccountFile> = {
    groups: [{ id: 1, name: 'Sales', catchup: 5 }, { id: 2, name: 'Support' }],
    operators: [{ id: 1, name: 'A', groups: [1] }, { id: 2, name: 'B', groups: [2] }, { id: 3, name: 'C', groups: [1] }],
    trunks: [{ id: 3, name: 'Partner', destination: '33970000000' }],
    forbidden_destinations: ['0899', '33899'],
  };

  function connected() {
    const s = setup(transferAccount);
    s.engine.operatorLogin(1);
    const id = s.call();
    s.engine.operatorAnswer(1);
    s.at(30);
    return { ...s, id };
  }

  it('to a forbidden number is refused, naming the rule, and nothing is emitted', () => {
    const { engine, events, id } = connected();
    const before = events.length;
    expect(engine.operatorTransfer(1, { type: 'number', e164: '33899123456' })).toMatchObject({ ok: false, error: 'TRANSFER_FORBIDDEN' });
    expect(engine.operatorTransfer(1, { type: 'number', e164: '12' })).toMatchObject({ ok: false, error: 'DESTINATION_INVALID' });
    expect(engine.operatorTransfer(1, { type: 'operator', id: 1 })).toMatchObject({ ok: false, error: 'TRANSFER_TO_SELF' });
    expect(engine.operatorTransfer(1, { type: 'operator', id: 2 })).toMatchObject({ ok: false, error: 'OPERATOR_NOT_AVAILABLE' });
    expect(engine.operatorTransfer(1, { type: 'group', id: 99 })).toMatchObject({ ok: false, error: 'TRANSFER_TARGET_UNKNOWN' });
    expect(engine.operatorCall(3, '0899000000')).toMatchObject({ ok: false, error: 'OPERATOR_LOGGED_OUT' });
    expect(events.length).toBe(before);
    expect(engine.call(id)).toMatchObject({ phase: 'connected', id_operator: 1 });
  });

  it('to a group: transfert_start → transfert_end → delete_call → available (catchup) → new leg', () => {
    const { engine, events, id } = connected();
    engine.operatorLogin(2);
    const from = events.length;
    expect(engine.operatorTransfer(1, { type: 'group', id: 2 })).toEqual({ ok: true, id_call: id });
    const seq = events.slice(from).map((e) => `${e.n.type_notification}/${e.n.event}/${(e.n.msg as { status?: string; id_operator?: number }).status ?? ''}${(e.n.msg as { id_operator?: number }).id_operator ?? ''}`);
    expect(seq).toEqual([
      'operator/status/transfert_start1', 'operator/status/transfert_end1', 'queue/delete_call/', 'operator/status/available1',
      'queue/insert_call/', 'operator/status/ringing2',
    ]);
    expect(engine.operatorAnswer(2)).toEqual({ ok: true, id_call: id });
    expect(engine.call(id)).toMatchObject({ id_queue: 2, step: 2, id_operator: 2 });
    expect(engine.operator(1)?.state).toBe('wrapup');
  });

  it('to an operator who does not answer: the call goes back to the last group', () => {
    const { engine, at, of, id } = connected();
    engine.operatorLogin(3);
    expect(engine.operatorTransfer(1, { type: 'operator', id: 3 })).toEqual({ ok: true, id_call: id });
    expect(engine.call(id)).toMatchObject({ phase: 'ringing', id_operator: 3, id_queue: null });
    at(30 + 19);
    expect(of('queue', 'insert_call')).toHaveLength(1);
    at(30 + 20);
    // Back in Sales (a new leg, step 3). Operator 1's wrap-up ended at 35 and operator 3
    // just failed to answer, so operator 1 rings.
    expect(of('queue', 'insert_call').map((e) => (e.n.msg as { id_queue: number }).id_queue)).toEqual([1, 1]);
    expect(engine.call(id)).toMatchObject({ phase: 'ringing', id_queue: 1, id_operator: 1, step: 3 });
    expect(engine.operator(3)?.state).toBe('available');
  });

  it("to a number that is a trunk's destination: the trunk's events follow", () => {
    const { engine, of, id } = connected();
    expect(engine.callTransfer(id, { type: 'number', e164: '33970000000' })).toEqual({ ok: true, id_call: id });
    expect(of('trunk', 'insert_call').map((e) => e.n.msg)).toMatchObject([{ id_call: id, id_trunk: 3 }]);
  });
});

describe('operator rules', () => {
  it('refusals name the rule', () => {
    const { engine, call } = setup();
    expect(engine.operatorLogin(99)).toMatchObject({ ok: false, error: 'OPERATOR_UNKNOWN' });
    expect(engine.operatorPause(1, 1)).toMatchObject({ ok: false, error: 'OPERATOR_LOGGED_OUT' });
    engine.operatorLogin(1);
    expect(engine.operatorLogin(1)).toMatchObject({ ok: false, error: 'OPERATOR_ALREADY_LOGGED_IN' });
    expect(engine.operatorPause(1, 7)).toMatchObject({ ok: false, error: 'PAUSE_UNKNOWN' });
    expect(engine.operatorUnpause(1)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_PAUSED' });
    expect(engine.operatorHangup(1)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_ON_CALL' });
    call();
    expect(engine.operatorLogout(1)).toMatchObject({ ok: false, error: 'OPERATOR_BUSY' });
    expect(engine.operatorPause(1, 1)).toMatchObject({ ok: false, error: 'OPERATOR_BUSY' });
    engine.operatorAnswer(1);
    expect(engine.operatorCall(1, '33612345678')).toMatchObject({ ok: false, error: 'OPERATOR_NOT_AVAILABLE' });
    expect(engine.inboundCall({ service: '999', caller: '33611111111' })).toMatchObject({ ok: false, error: 'NUMBER_UNKNOWN' });
    expect(engine.inboundCall({ service: '33100000001', caller: 'anonymous' })).toMatchObject({ ok: false, error: 'CALLER_INVALID' });
    expect(engine.callAnswer(12345)).toMatchObject({ ok: false, error: 'CALL_UNKNOWN' });
  });

  it('a paused operator gets no call; unpause makes them take the waiting one', () => {
    const { engine, of, call } = setup({}, 1);
    engine.operatorLogin(1);
    expect(engine.operatorPause(1, 1)).toEqual({ ok: true });
    expect(of('UI', 'pause').map((e) => e.n.msg)).toEqual([{ id_operator: 1, id_client: ACCOUNT, supp: 1 }]);
    const id = call();
    expect(engine.call(id)?.phase).toBe('queued');
    expect(engine.operator(1)).toMatchObject({ state: 'paused', pause_id: 1 });
    engine.operatorUnpause(1);
    expect(engine.call(id)).toMatchObject({ phase: 'ringing', id_operator: 1 });
  });

  it('an outgoing call: calling, connected when answered, available with catchup, negative id', () => {
    const { engine, at, of } = setup({ groups: [{ id: 1, name: 'Sales', catchup: 7 }] });
    engine.operatorLogin(1);
    const r = engine.operatorCall(1, '33612345678');
    expect(r).toMatchObject({ ok: true });
    const id = r.ok ? r.id_call : 0;
    expect(id).toBeLessThan(0);
    at(5);
    expect(engine.callAnswer(id)).toEqual({ ok: true });
    at(65);
    engine.operatorHangup(1);
    expect(of('operator', 'status').map((e) => (e.n.msg as { status: string }).status)).toEqual(['calling', 'connected', 'available']);
    expect(of('operator', 'status', 'available')[0]!.n.msg).toMatchObject({ catchup: 7, call_duration: 65 });
  });
});

describe('plain directory files', () => {
  it('an account file without any routing field runs with the defaults', () => {
    const sched = new VirtualScheduler();
    const out: Notification[] = [];
    const engine = new Engine(
      {
        account: { id: 3, name: 'Plain' },
        groups: [{ id: 1, name: 'G' }],
        operators: [{ id: 1, name: 'O', groups: [1] }],
        numbers: [{ id: 1, service: '33100000001', route: { type: 'group', id: 1 } }],
      },
      { scheduler: sched, sink: (n) => out.push(n) },
    );
    engine.operatorLogin(1);
    engine.inboundCall({ service: '33100000001', caller: '3361' });
    sched.runUntil(sched.now() + 20_000);
    // Default ring timeout 20 s: the only operator rings again.
    expect(out.filter((n) => n.type_notification === 'operator').map((n) => (n.msg as { status: string }).status)).toEqual(['ringing', 'available', 'ringing']);
  });
});
