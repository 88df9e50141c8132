// Web callback (PUSHCALL/request, UI/push, push_cancel, the operator's outgoing call,
// retries, expiry) and group alerts (alert_op, alert_file with their validity).
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountFile } from '../src/directory/schema.ts';
import { Engine, VirtualScheduler } from '../src/engine/index.ts';
import type { Notification } from '../src/protocol/index.ts';
import { LawfulChecker } from './engine-lawful.ts';

const ACCOUNT = 5;
const checkers: LawfulChecker[] = [];
afterEach(() => {
  for (const c of checkers.splice(0)) expect(c.finalErrors()).toEqual([]);
});

function setup(extra: Partial<AccountFile>) {
  const sched = new VirtualScheduler();
  const t0 = sched.now();
  const events: { at: number; n: Notification }[] = [];
  const checker = new LawfulChecker(ACCOUNT);
  checkers.push(checker);
  const engine = new Engine(
    {
      account: { id: ACCOUNT, name: 'Callbacks' },
      groups: [{ id: 1, name: 'Sales' }],
      operators: [{ id: 1, name: 'A', groups: [1] }, { id: 2, name: 'B', groups: [1] }],
      numbers: [{ id: 1, service: '33100000001', route: { type: 'group', id: 1 } }],
      forbidden_destinations: ['33899'],
      ...extra,
    },
    {
      scheduler: sched,
      sink: (n, at) => {
        events.push({ at, n });
        checker.observe(n);
      },
    },
  );
  const at = (s: number) => sched.runUntil(t0 + s * 1000);
  const names = () =>
    events.map((e) => {
      const m = e.n.msg as { status?: string; id_operator?: number };
      return `${e.n.type_notification}/${e.n.event}${m.status ? `/${m.status}` : ''}${m.id_operator !== undefined ? `@${m.id_operator}` : ''}`;
    });
  const finish = () => {
    for (const id of engine.activePushes()) engine.callbackCancel(id);
    for (const id of engine.activeCalls()) engine.callHangup(id);
    sched.runUntil(sched.now() + 3_600_000);
  };
  return { engine, sched, events, at, names, finish };
}

const cb = (o: Record<string, unknown> = {}) => ({
  web_callback: { group: 1, ring_timeout: 20, retry_timeout: 60, auto_timeout: 5, unassign_timeout: 30, retries: 1, expire_after: 3600, ...o },
});

describe('web callback', () => {
  it('AUTO: request, push to the longest-idle operator, automatic call after auto_timeout, answered, done', () => {
    const { engine, at, events, names, finish } = setup(cb({ type: 'AUTO' }));
    engine.operatorLogin(2);
    at(10);
    engine.operatorLogin(1);
    const r = engine.callbackRequest({ e164: '33612345678', vars: { name: 'Zoé' } });
    expect(r).toEqual({ ok: true, id_push: 1 });
    expect(names().slice(2)).toEqual(['PUSHCALL/request@0', 'PUSHCALL/request@2', 'UI/push@2']);
    expect(events[4]!.n.msg).toMatchObject({
      id_push: 1, type: 'AUTO', priority: 50, e164: '33612345678', ring_timeout: 20, retry_timeout: 60, auto_timeout: 5,
      unassign_timeout: 30, retries: 1, vars: { name: 'Zoé' },
    });
    expect(engine.operator(2)).toMatchObject({ state: 'reserved', id_push: 1 });
    at(14.9);
    expect(engine.operator(2)?.state).toBe('reserved');
    at(15);
    const call = engine.operator(2)!.id_call!;
    expect(call).toBeLessThan(0);
    expect(engine.callAnswer(call)).toEqual({ ok: true });
    at(100);
    engine.operatorHangup(2);
    expect(names().slice(5)).toEqual(['operator/status/calling@2', 'operator/status/connected@2', 'operator/status/available@2']);
    expect(engine.activePushes()).toEqual([]);
    finish();
  });

  it('MANUAL: not accepted within unassign_timeout → push_cancel and the push goes to another operator', () => {
    const { engine, at, names, finish } = setup(cb({ type: 'MANUAL' }));
    engine.operatorLogin(1);
    engine.operatorLogin(2);
    engine.callbackRequest({ e164: '33612345678' });
    at(30);
    expect(names().filter((n) => n.startsWith('UI/push'))).toEqual(['UI/push@1', 'UI/push_cancel@1', 'UI/push@2']);
    expect(engine.pushAccept(1, 1)).toMatchObject({ ok: false, error: 'PUSH_NOT_ASSIGNED' });
    expect(engine.pushAccept(2, 1)).toMatchObject({ ok: true });
    expect(engine.operator(2)?.state).toBe('calling');
    finish();
  });

  it('refused: push_cancel to that operator, pushed to the other one', () => {
    const { engine, names, finish } = setup(cb({ type: 'MANUAL' }));
    engine.operatorLogin(1);
    engine.operatorLogin(2);
    engine.callbackRequest({ e164: '33612345678' });
    expect(engine.pushRefuse(1, 1)).toEqual({ ok: true });
    expect(names().filter((n) => n.startsWith('UI/push'))).toEqual(['UI/push@1', 'UI/push_cancel@1', 'UI/push@2']);
    expect(engine.operator(1)?.state).toBe('available');
    finish();
  });

  it('no answer: the attempt fails (push_cancel), is retried after retry_timeout with one retry less, then given up', () => {
    const { engine, at, events, names, finish } = setup(cb({ type: 'AUTO', retries: 1 }));
    engine.operatorLogin(1);
    engine.callbackRequest({ e164: '33612345678' });
    at(5 + 20); // auto call at 5, rings 20 s unanswered
    expect(names().slice(-2)).toEqual(['operator/status/available@1', 'UI/push_cancel@1']);
    at(25 + 59);
    expect(names().filter((n) => n === 'UI/push@1')).toHaveLength(1);
    at(25 + 60);
    const pushes = events.filter((e) => e.n.type_notification === 'UI' && e.n.event === 'push');
    expect(pushes.map((e) => (e.n.msg as { retries: number }).retries)).toEqual([1, 0]);
    at(85 + 5 + 20);
    expect(engine.activePushes()).toEqual([]);
    expect(names().filter((n) => n.includes('calling'))).toHaveLength(2);
    finish();
  });

  it('waits for an operator while none is available; cancel sends push_cancel to the assigned one', () => {
    const { engine, names, finish } = setup(cb({ type: 'MANUAL' }));
    const r = engine.callbackRequest({ e164: '33612345678', priority: 90 });
    expect(r).toEqual({ ok: true, id_push: 1 });
    expect(names()).toEqual(['PUSHCALL/request@0']);
    engine.operatorLogin(1);
    expect(names().slice(-1)).toEqual(['UI/push@1']);
    expect(engine.callbackCancel(1)).toEqual({ ok: true });
    expect(names().slice(-1)).toEqual(['UI/push_cancel@1']);
    expect(engine.callbackCancel(1)).toMatchObject({ ok: false, error: 'PUSH_UNKNOWN' });
    expect(engine.operator(1)?.state).toBe('available');
    finish();
  });

  it('expires: a push still assigned at its expiry is cancelled', () => {
    const { engine, at, names, finish } = setup(cb({ type: 'MANUAL', unassign_timeout: 600, expire_after: 120 }));
    engine.operatorLogin(1);
    engine.callbackRequest({ e164: '33612345678' });
    at(119);
    expect(engine.activePushes()).toEqual([1]);
    at(120);
    expect(names().slice(-1)).toEqual(['UI/push_cancel@1']);
    expect(engine.activePushes()).toEqual([]);
    finish();
  });

  it('refusals: disabled, forbidden or invalid number, unknown group, bad priority', () => {
    const off = setup({});
    expect(off.engine.callbackRequest({ e164: '33612345678' })).toMatchObject({ ok: false, error: 'CALLBACK_DISABLED' });
    const { engine } = setup(cb());
    expect(engine.callbackRequest({ e164: '33899000000' })).toMatchObject({ ok: false, error: 'DESTINATION_FORBIDDEN' });
    expect(engine.callbackRequest({ e164: '+33 6' })).toMatchObject({ ok: false, error: 'DESTINATION_INVALID' });
    expect(engine.callbackRequest({ e164: '33612345678', groupId: 9 })).toMatchObject({ ok: false, error: 'GROUP_UNKNOWN' });
    expect(engine.callbackRequest({ e164: '33612345678', priority: 0 })).toMatchObject({ ok: false, error: 'CALLBACK_INVALID' });
  });

  it('inbound calls waiting go before pushes', () => {
    const { engine, names, finish } = setup(cb({ type: 'MANUAL' }));
    engine.callbackRequest({ e164: '33612345678' });
    engine.inboundCall({ service: '33100000001', caller: '33600000000' });
    engine.operatorLogin(1);
    expect(names().slice(-1)).toEqual(['operator/status/ringing@1']);
    engine.operatorAnswer(1);
    engine.operatorHangup(1);
    expect(names().slice(-1)).toEqual(['UI/push@1']);
    finish();
  });
});

describe('alerts', () => {
  it('alert_op: calls wait and fewer operators than the minimum are available; raised again after its validity', () => {
    const { engine, at, events, finish } = setup({ groups: [{ id: 1, name: 'Sales', alerts: { op: { min_available: 1, validity: 30 } } }] });
    engine.inboundCall({ service: '33100000001', caller: '33600000000' });
    at(29);
    const alerts = () => events.filter((e) => e.n.event === 'alert_op');
    expect(alerts().map((e) => e.n.msg)).toEqual([{ id_queue: 1, id_client: ACCOUNT, duration_in_queue: 0, validity: 30 }]);
    at(30);
    expect(alerts().map((e) => (e.n.msg as { duration_in_queue: number }).duration_in_queue)).toEqual([0, 30]);
    engine.operatorLogin(1); // takes the call: no more waiting
    at(120);
    expect(alerts()).toHaveLength(2);
    finish();
  });

  it('alert_file: a call waiting past the threshold, repeated each validity while it still waits', () => {
    const { engine, at, events, finish } = setup({ groups: [{ id: 1, name: 'Sales', alerts: { file: { wait: 45, validity: 20 } } }] });
    const r = engine.inboundCall({ service: '33100000001', caller: '33600000000' });
    const id = r.ok ? r.id_call : 0;
    at(44);
    const alerts = () => events.filter((e) => e.n.event === 'alert_file').map((e) => e.n.msg);
    expect(alerts()).toEqual([]);
    at(70);
    expect(alerts()).toEqual([
      { id_queue: 1, id_client: ACCOUNT, id_call: id, duration_in_queue: 45, validity: 20 },
      { id_queue: 1, id_client: ACCOUNT, id_call: id, duration_in_queue: 65, validity: 20 },
    ]);
    engine.operatorLogin(1);
    engine.operatorAnswer(1);
    at(300);
    expect(alerts()).toHaveLength(2);
    finish();
  });
});

describe('web callback, declined pushes', () => {
  it('a push the only operator refused is not pushed back to them; it expires unassigned', () => {
    const { engine, at, names, finish } = setup(cb({ type: 'MANUAL', expire_after: 300 }));
    engine.operatorLogin(1);
    engine.callbackRequest({ e164: '33612345678' });
    expect(engine.pushRefuse(1, 1)).toEqual({ ok: true });
    at(299);
    expect(names().filter((n) => n.startsWith('UI/push'))).toEqual(['UI/push@1', 'UI/push_cancel@1']);
    expect(engine.activePushes()).toEqual([1]);
    engine.operatorLogin(2);
    expect(names().slice(-1)).toEqual(['UI/push@2']);
    at(300);
    expect(names().slice(-1)).toEqual(['UI/push_cancel@2']);
    expect(engine.activePushes()).toEqual([]);
    finish();
  });
});
