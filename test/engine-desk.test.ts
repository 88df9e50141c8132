// The operator's desk and the supervisor's actions on an operator, in the engine (issue 11):
// reject a ringing call, hold / unhold, end a wrap-up early, dispositions (down to the call's
// history record), pauses with a `max_duration`, suspension from one group. On virtual time,
// with a recording telephony port; every stream also passes the lawful checker.
import { describe, expect, it } from 'vitest';
import type { AccountFile } from '../src/directory/schema.ts';
import { Engine, VirtualScheduler } from '../src/engine/index.ts';
import type { Notification } from '../src/protocol/index.ts';
import { HistoryRecorder, type Completed } from '../src/stats/history.ts';
import { commandLine, lawfulAfterEach } from './engine-lawful.ts';

const ACCOUNT = 12;

const account = (): AccountFile => ({
  account: { id: ACCOUNT, name: 'Desk' },
  groups: [
    { id: 1, name: 'Sales', ring_timeout: 10, catchup: 30, music: 'sales-music' },
    { id: 2, name: 'Support', ring_timeout: 10, catchup: 0 },
  ],
  operators: [
    { id: 1, name: 'Op 1', groups: [1, 2] },
    { id: 2, name: 'Op 2', groups: [1] },
    { id: 3, name: 'Op 3', groups: [2] },
  ],
  numbers: [
    { id: 1, service: '33100000001', route: { type: 'group', id: 1 } },
    { id: 2, service: '33100000002', route: { type: 'group', id: 2 } },
  ],
  forbidden_destinations: ['3389'],
  pauses: [
    { id: 1, label: 'Break', max_duration: 300 },
    { id: 2, label: 'Training' },
  ],
  dispositions: [
    { id: 7, label: 'Sale' },
    { id: 8, label: 'Call back later' },
  ],
});


const lawful = lawfulAfterEach(ACCOUNT);

function setup(file = account()) {
  const sched = new VirtualScheduler();
  const t0 = sched.now();
  const commands: string[] = [];
  const events: Notification[] = [];
  const checker = lawful();
  const history = new HistoryRecorder(ACCOUNT);
  const done: Completed = { calls: [], intervals: [], dispositions: [] };
  let cpt = 0;
  const engine = new Engine(file, {
    scheduler: sched,
    sink: (n, at) => {
      events.push(n);
      checker.observe(n);
      history.apply({ accountId: ACCOUNT, cpt: ++cpt, at, notification: n }, done);
    },
    telephony: { command: (c) => commands.push(commandLine(c)) },
  });
  const at = (seconds: number) => sched.runUntil(t0 + seconds * 1000);
  const call = (service = '33100000001') => {
    const r = engine.inboundCall({ service, caller: '33611111111' });
    if (!r.ok) throw new Error(r.message);
    return r.id_call;
  };
  let seen = 0;
  const take = () => commands.slice(seen, (seen = commands.length));
  let seenEvents = 0;
  /** `type/event[/status] opN` of the events since the last `news()`. */
  const news = () =>
    events.slice(seenEvents, (seenEvents = events.length)).map((n) => {
      const m = n.msg as { status?: string; id_operator?: number; supp?: unknown };
      return `${n.type_notification}/${n.event}${m.status ? `/${m.status}` : ''}${m.id_operator ? ` op${m.id_operator}` : ''}`;
    });
  const login = (...ids: number[]) => {
    for (const id of ids) expect(engine.operatorLogin(id)).toEqual({ ok: true });
  };
  return { engine, at, call, take, news, login, events, done };
}

describe('reject', () => {
  it('a ringing operator rejects: the next operator rings, the rejecting one rests ring_retry', () => {
    const { engine, call, take, login, at } = setup();
    login(1, 2);
    const id = call();
    const first = engine.call(id)!.id_operator!;
    const other = first === 1 ? 2 : 1;
    take();
    expect(engine.operatorReject(first)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`stop_ring ${id} op${first}`, `ring ${id} op${other}`]);
    expect(engine.operator(first)!.state).toBe('wrapup');
    at(6);
    expect(engine.operator(first)!.state).toBe('available');
    expect(engine.operatorReject(first)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_RINGING' });
  });
});

describe('hold', () => {
  it('hold plays the group music to the caller, unhold bridges again; the hold time reaches the history', () => {
    const { engine, call, take, login, at, news, done } = setup();
    login(2);
    const id = call();
    at(2);
    engine.operatorAnswer(2);
    take();
    news();
    at(10);
    expect(engine.operatorHold(2)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`hold ${id} op2 sales-music`]);
    expect(news()).toEqual(['UI/hold op2']);
    expect(engine.operator(2)!.on_hold).toBe(true);
    expect(engine.operatorHold(2)).toMatchObject({ ok: false, error: 'CALL_ALREADY_HELD' });
    at(25);
    expect(engine.operatorUnhold(2)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`unhold ${id} op2`]);
    expect(engine.operatorUnhold(2)).toMatchObject({ ok: false, error: 'CALL_NOT_HELD' });
    at(40);
    engine.operatorHangup(2);
    expect(done.calls).toHaveLength(1);
    expect(done.calls[0]!.durations.hold).toBe(15);
  });

  it('a call that ends on hold closes the hold in the stream (UI/unhold, no unhold command)', () => {
    const { engine, call, take, login, at, news, done } = setup();
    login(2);
    const id = call();
    engine.operatorAnswer(2);
    at(5);
    engine.operatorHold(2);
    at(12);
    take();
    news();
    engine.callHangup(id);
    expect(take()).toEqual([`hangup ${id}`]);
    expect(news()).toEqual(['UI/unhold op2', 'queue/delete_call', 'operator/status/available op2', 'num/end']);
    expect(done.calls[0]!.durations.hold).toBe(7);
  });

  it('a transfer of a held call closes the hold first', () => {
    const { engine, call, login, news } = setup();
    login(2, 3);
    call();
    engine.operatorAnswer(2);
    engine.operatorHold(2);
    news();
    expect(engine.operatorTransfer(2, { type: 'group', id: 2 })).toMatchObject({ ok: true });
    expect(news().slice(0, 3)).toEqual(['UI/unhold op2', 'operator/status/transfert_start op2', 'operator/status/transfert_end op2']);
  });

  it('only the connected operator can hold', () => {
    const { engine, call, login } = setup();
    login(2);
    call();
    expect(engine.operatorHold(2)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_ON_CALL' });
    expect(engine.operatorHold(3)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_ON_CALL' });
    expect(engine.operatorHold(99)).toMatchObject({ ok: false, error: 'OPERATOR_UNKNOWN' });
  });
});

describe('wrap-up and dispositions', () => {
  it('a disposition given on the call is in its history record; wrap-up ends early on request', () => {
    const { engine, call, login, at, news, done } = setup();
    login(2);
    const id = call();
    engine.operatorAnswer(2);
    expect(engine.operatorDisposition(2, 7)).toEqual({ ok: true, id_call: id });
    expect(engine.operatorDisposition(2, 99)).toMatchObject({ ok: false, error: 'DISPOSITION_UNKNOWN' });
    at(20);
    engine.operatorHangup(2);
    expect(done.calls[0]).toMatchObject({ idCall: id, disposition: 7 });
    expect(engine.operator(2)!.state).toBe('wrapup');
    at(25);
    news();
    expect(engine.operatorEndWrapup(2)).toEqual({ ok: true });
    expect(news()).toEqual(['operator/status/available op2']);
    expect(engine.operator(2)!.state).toBe('available');
    expect(engine.operatorEndWrapup(2)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_IN_WRAPUP' });
    // The wrap-up timer that was cancelled does not fire later.
    at(60);
    expect(news()).toEqual([]);
  });

  it('a disposition given during the wrap-up patches the completed record; none after it', () => {
    const { engine, call, login, at, done } = setup();
    login(2);
    const id = call();
    engine.operatorAnswer(2);
    at(10);
    engine.operatorHangup(2);
    expect(done.calls.map((c) => c.idCall)).toEqual([id]);
    expect(done.calls[0]!.disposition).toBeUndefined();
    expect(engine.operatorDisposition(2, 8)).toEqual({ ok: true, id_call: id });
    expect(done.dispositions).toEqual([{ idCall: id, disposition: 8 }]);
    at(50);
    expect(engine.operator(2)!.state).toBe('available');
    expect(engine.operatorDisposition(2, 7)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_ON_CALL' });
  });

  it('the rest after a refused ring is not a wrap-up the operator can end', () => {
    const { engine, call, login } = setup();
    login(1, 2);
    const id = call();
    const first = engine.call(id)!.id_operator!;
    engine.operatorReject(first);
    expect(engine.operatorEndWrapup(first)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_IN_WRAPUP' });
  });
});

describe('pauses with a max_duration', () => {
  it('end by themselves (UI/unpause) and the operator takes the waiting call', () => {
    const { engine, call, login, at, news } = setup();
    login(2);
    at(1);
    expect(engine.operatorPause(2, 1)).toEqual({ ok: true });
    const id = call();
    news();
    at(300);
    expect(news()).toEqual([]);
    at(302);
    expect(news()).toEqual(['UI/unpause op2', 'operator/status/ringing op2']);
    expect(engine.operator(2)).toMatchObject({ state: 'ringing', id_call: id });
  });

  it('a pause ended earlier, or one without a limit, is not ended by a stale timer', () => {
    const { engine, login, at, news } = setup();
    login(2);
    engine.operatorPause(2, 1);
    at(100);
    engine.operatorUnpause(2);
    engine.operatorPause(2, 2);
    news();
    at(1000);
    expect(news()).toEqual([]);
    expect(engine.operator(2)).toMatchObject({ state: 'paused', pause_id: 2 });
  });
});

describe('suspension from one group', () => {
  it("a suspended operator gets no call of that group, still gets their other groups'; lifting it dispatches", () => {
    const { engine, call, login, news } = setup();
    login(1);
    news();
    expect(engine.operatorSuspend(1, 1, true)).toEqual({ ok: true });
    expect(news()).toEqual(['UI/suspend op1']);
    expect(engine.operator(1)!.suspended).toEqual([1]);
    const sales = call('33100000001');
    expect(engine.call(sales)!.phase).toBe('queued');
    expect(engine.operatorSuspend(1, 1, true)).toMatchObject({ ok: false, error: 'OPERATOR_ALREADY_SUSPENDED' });
    expect(engine.operatorSuspend(1, 1, false)).toEqual({ ok: true });
    expect(news()).toEqual(['num/start', 'queue/insert_call', 'UI/unsuspend op1', 'operator/status/ringing op1']);
    expect(engine.call(sales)).toMatchObject({ phase: 'ringing', id_operator: 1 });
  });

  it('support calls still reach an operator suspended in sales', () => {
    const { engine, call, login } = setup();
    login(1);
    engine.operatorSuspend(1, 1, true);
    const support = call('33100000002');
    expect(engine.call(support)).toMatchObject({ phase: 'ringing', id_operator: 1 });
  });

  it('refuses a group the operator is not in, an unknown group, lifting what is not suspended', () => {
    const { engine } = setup();
    expect(engine.operatorSuspend(2, 2, true)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_IN_GROUP' });
    expect(engine.operatorSuspend(2, 9, true)).toMatchObject({ ok: false, error: 'GROUP_UNKNOWN' });
    expect(engine.operatorSuspend(2, 1, false)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_SUSPENDED' });
  });

  it('survives a re-import that keeps the membership, ends with one that removes it', () => {
    const { engine, call, login } = setup();
    login(1);
    engine.operatorSuspend(1, 1, true);
    engine.applyDirectory(account());
    expect(engine.operator(1)!.suspended).toEqual([1]);
    expect(engine.call(call('33100000001'))!.phase).toBe('queued');
    const file = account();
    file.operators![0]!.groups = [2];
    engine.applyDirectory(file);
    expect(engine.operator(1)!.suspended).toEqual([]);
  });
});

describe('consultation (attended transfer)', () => {
  /** Op 2 talks with a caller of Sales; ops 1 and 3 are logged in afterwards. */
  const onCall = () => {
    const t = setup();
    t.login(2);
    const id = t.call();
    t.engine.operatorAnswer(2);
    t.login(1, 3);
    t.at(5);
    t.take();
    t.news();
    return { ...t, id };
  };

  it('holds the caller, rings the consulted operator, connects the two, then completes: the caller is theirs, the consulting operator wraps up', () => {
    const { engine, take, news, at, id, done } = onCall();
    expect(engine.operatorConsult(2, { type: 'operator', id: 1 })).toEqual({ ok: true, id_call: id, id_operator: 1 });
    expect(take()).toEqual([`hold ${id} op2 sales-music`, `ring ${id} op1`]);
    expect(news()).toEqual(['UI/hold op2', 'UI/consult op2', 'operator/status/ringing op1']);
    expect(engine.operatorConsultComplete(2)).toMatchObject({ ok: false, error: 'CONSULT_NOT_ANSWERED' });
    at(8);
    expect(engine.operatorAnswer(1)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`consult ${id} op2 op1`]);
    expect(news()).toEqual(['operator/status/connected op1', 'UI/consult_answer op2']);
    // The caller stays held while the two talk; neither can take them back or transfer them now.
    expect(engine.operatorUnhold(2)).toMatchObject({ ok: false, error: 'CONSULT_IN_PROGRESS' });
    expect(engine.operatorTransfer(2, { type: 'group', id: 2 })).toMatchObject({ ok: false, error: 'CONSULT_IN_PROGRESS' });
    expect(engine.operatorTransfer(1, { type: 'group', id: 2 })).toMatchObject({ ok: false, error: 'OPERATOR_NOT_ON_CALL' });
    expect(engine.operatorHold(1)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_ON_CALL' });
    expect(engine.operatorConsult(2, { type: 'operator', id: 3 })).toMatchObject({ ok: false, error: 'CONSULT_IN_PROGRESS' });
    at(20);
    expect(engine.operatorConsultComplete(2)).toEqual({ ok: true, id_call: id, id_operator: 1 });
    expect(take()).toEqual([`release ${id} op2`, `bridge ${id} op1`]);
    expect(news()).toEqual([
      'UI/consult_end op2', 'UI/unhold op2', 'operator/status/transfert_start op2', 'operator/status/transfert_end op2',
      'queue/delete_call', 'operator/status/available op2',
    ]);
    expect(engine.operator(2)!.state).toBe('wrapup');
    expect(engine.call(id)).toMatchObject({ id_operator: 1 });
    at(45);
    expect(engine.operatorHangup(1)).toEqual({ ok: true, id_call: id });
    expect(news()).toEqual(['operator/status/available op1', 'num/end']);
    expect(done.calls[0]!.durations.hold).toBe(15);
  });

  it('cancel frees the consulted operator and leaves the caller on hold until resumed', () => {
    const { engine, take, news, id } = onCall();
    engine.operatorConsult(2, { type: 'operator', id: 1 });
    engine.operatorAnswer(1);
    take();
    news();
    expect(engine.operatorConsultCancel(2)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`release ${id} op1`]);
    expect(news()).toEqual(['operator/status/available op1', 'UI/consult_end op2']);
    expect(engine.operator(1)!.state).toBe('available');
    expect(engine.operator(2)!.on_hold).toBe(true);
    expect(engine.operatorConsultCancel(2)).toMatchObject({ ok: false, error: 'NOT_CONSULTING' });
    expect(engine.operatorUnhold(2)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`unhold ${id} op2`]);
  });

  it('a group target rings its longest-idle available member; nobody free is refused', () => {
    const { engine, take, id, events } = onCall();
    expect(engine.operatorConsult(2, { type: 'group', id: 2 })).toEqual({ ok: true, id_call: id, id_operator: 1 });
    expect(take()).toEqual([`hold ${id} op2 sales-music`, `ring ${id} op1`]);
    const consult = events.findLast((n) => n.type_notification === 'UI' && n.event === 'consult')!;
    expect(consult.msg).toMatchObject({ id_operator: 2, id_call: id, supp: 'operator:1' });
    engine.operatorConsultCancel(2);
    engine.operatorPause(1, 2);
    engine.operatorPause(3, 2);
    expect(engine.operatorConsult(2, { type: 'group', id: 2 })).toMatchObject({ ok: false, error: 'CONSULT_TARGET_BUSY' });
    expect(engine.operatorConsult(2, { type: 'operator', id: 3 })).toMatchObject({ ok: false, error: 'OPERATOR_NOT_AVAILABLE' });
    expect(engine.operatorConsult(2, { type: 'operator', id: 2 })).toMatchObject({ ok: false, error: 'TRANSFER_TO_SELF' });
    expect(engine.operatorConsult(2, { type: 'group', id: 99 })).toMatchObject({ ok: false, error: 'TRANSFER_TARGET_UNKNOWN' });
  });

  it('unanswered (timeout or reject) it fails; the consulted operator hanging up ends it; the caller hanging up frees both', () => {
    const { engine, take, news, at, id } = onCall();
    engine.operatorConsult(2, { type: 'operator', id: 1 });
    news();
    at(5 + 11);
    expect(news()).toEqual(['operator/status/available op1', 'UI/consult_end op2']);
    expect(take().at(-1)).toBe(`stop_ring ${id} op1`);
    engine.operatorConsult(2, { type: 'operator', id: 3 });
    news();
    expect(engine.operatorReject(3)).toEqual({ ok: true, id_call: id });
    expect(news()).toEqual(['operator/status/available op3', 'UI/consult_end op2']);
    engine.operatorConsult(2, { type: 'operator', id: 1 });
    engine.operatorAnswer(1);
    news();
    expect(engine.operatorHangup(1)).toEqual({ ok: true, id_call: id });
    expect(news()).toEqual(['operator/status/available op1', 'UI/consult_end op2']);
    expect(engine.call(id)).toMatchObject({ id_operator: 2 });
    engine.operatorConsult(2, { type: 'operator', id: 1 });
    engine.operatorAnswer(1);
    take();
    news();
    engine.callHangup(id);
    expect(take()).toEqual([`release ${id} op1`, `hangup ${id}`]);
    expect(news()).toEqual(['operator/status/available op1', 'UI/consult_end op2', 'UI/unhold op2', 'queue/delete_call', 'operator/status/available op2', 'num/end']);
    expect(engine.operator(1)!.state).toBe('available');
  });

  it('an external number: checked as a blind transfer, dialled with the caller on hold, answered, then completed as a transfer to a number', () => {
    const { engine, take, news, at, id, events } = onCall();
    expect(engine.operatorConsult(2, { type: 'number', e164: '33899000000' })).toMatchObject({ ok: false, error: 'TRANSFER_FORBIDDEN' });
    expect(engine.operatorConsult(2, { type: 'number', e164: '12' })).toMatchObject({ ok: false, error: 'DESTINATION_INVALID' });
    expect(engine.operatorConsult(1, { type: 'number', e164: '33612345678' })).toMatchObject({ ok: false, error: 'OPERATOR_NOT_ON_CALL' });
    expect(engine.consultAnswer(id)).toMatchObject({ ok: false, error: 'CONSULT_NOT_DIALLED' });
    expect(take()).toEqual([]);
    expect(news()).toEqual([]);
    expect(engine.operatorConsult(2, { type: 'number', e164: '33612345678' })).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`hold ${id} op2 sales-music`, `dial ${id} 33612345678 consult op2`]);
    expect(news()).toEqual(['UI/hold op2', 'UI/consult op2']);
    expect(events.at(-1)!.msg).toMatchObject({ id_operator: 2, id_call: id, supp: 'number:33612345678' });
    expect(engine.operatorConsultComplete(2)).toMatchObject({ ok: false, error: 'CONSULT_NOT_ANSWERED' });
    expect(engine.operatorConsult(2, { type: 'operator', id: 1 })).toMatchObject({ ok: false, error: 'CONSULT_IN_PROGRESS', message: expect.stringContaining('number:33612345678') });
    at(10);
    expect(engine.consultAnswer(id)).toEqual({ ok: true });
    expect(engine.consultAnswer(id)).toMatchObject({ ok: false, error: 'CONSULT_NOT_DIALLED' });
    expect(take()).toEqual([]);
    expect(news()).toEqual(['UI/consult_answer op2']);
    expect(events.at(-1)!.msg).toMatchObject({ supp: 'number:33612345678' });
    at(40); // past any ring timeout: an answered consultation stays
    expect(news()).toEqual([]);
    expect(engine.operatorConsultComplete(2)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`release ${id} op2`, `consult_join ${id}`]);
    expect(news()).toEqual([
      'UI/consult_end op2', 'UI/unhold op2', 'operator/status/transfert_start op2', 'operator/status/transfert_end op2',
      'queue/delete_call', 'operator/status/available op2',
    ]);
    expect(engine.operator(2)!.state).toBe('wrapup');
    expect(engine.call(id)).toMatchObject({ phase: 'external' });
    expect(engine.consultHangup(id)).toMatchObject({ ok: false, error: 'CONSULT_NOT_DIALLED' });
    engine.callHangup(id);
    expect(take()).toEqual([`hangup ${id}`]);
    expect(news()).toEqual(['num/end']);
  });

  it('an external number: cancel hangs it up; unanswered, failing or hanging up it ends the consultation; the caller hanging up drops it', () => {
    const { engine, take, news, at, id, events } = onCall();
    const supp = () => (events.findLast((n) => n.type_notification === 'UI' && n.event === 'consult_end')!.msg as { supp: string }).supp;
    engine.operatorConsult(2, { type: 'number', e164: '33612345678' });
    engine.consultAnswer(id);
    take();
    news();
    expect(engine.operatorConsultCancel(2)).toEqual({ ok: true, id_call: id });
    expect(take()).toEqual([`consult_drop ${id}`]);
    expect(news()).toEqual(['UI/consult_end op2']);
    expect(supp()).toBe('cancel');
    expect(engine.operator(2)!.on_hold).toBe(true);
    expect(engine.consultHangup(id)).toMatchObject({ ok: false, error: 'CONSULT_NOT_DIALLED' });
    // Not answered within 20 s: failed.
    engine.operatorConsult(2, { type: 'number', e164: '33612345678' });
    take();
    news();
    at(5 + 19);
    expect(news()).toEqual([]);
    at(5 + 21);
    expect(take()).toEqual([`consult_drop ${id}`]);
    expect(news()).toEqual(['UI/consult_end op2']);
    expect(supp()).toBe('failed');
    // Busy / unreachable (reported before an answer): failed; the far party hanging up: ended.
    for (const answered of [false, true]) {
      engine.operatorConsult(2, { type: 'number', e164: '33612345678' });
      if (answered) engine.consultAnswer(id);
      take();
      news();
      expect(engine.consultHangup(id)).toEqual({ ok: true });
      expect(take()).toEqual([`consult_drop ${id}`]);
      expect(news()).toEqual(['UI/consult_end op2']);
      expect(supp()).toBe(answered ? 'ended' : 'failed');
    }
    // The caller hangs up during the consultation.
    engine.operatorConsult(2, { type: 'number', e164: '33612345678' });
    engine.consultAnswer(id);
    take();
    news();
    engine.callHangup(id);
    expect(take()).toEqual([`consult_drop ${id}`, `hangup ${id}`]);
    expect(news()).toEqual(['UI/consult_end op2', 'UI/unhold op2', 'queue/delete_call', 'operator/status/available op2', 'num/end']);
    expect(supp()).toBe('ended');
  });
});
