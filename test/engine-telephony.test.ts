// The engine's telephony port: the commands each flow sends (answer, play, collect, ring,
// stop_ring, bridge, release, dial, record, hangup), in order, with a recording port on
// virtual time; the ringFailed input (busy phone → next operator, ring-all, retry rest); and
// the engine host building engines with the account's port or an attached driver's.
// Every stream also passes the lawful checker.
import { describe, expect, it } from 'vitest';
import type { AccountDirectory, AccountFile } from '../src/directory/schema.ts';
import { EngineHost } from '../src/engine/host.ts';
import { Engine, VirtualScheduler } from '../src/engine/index.ts';
import type { TelephonyPort } from '../src/engine/telephony.ts';
import type { Notification } from '../src/protocol/index.ts';
import { commandLine, lawfulAfterEach } from './engine-lawful.ts';

const ACCOUNT = 11;

const account = (): AccountFile => ({
  account: { id: ACCOUNT, name: 'Telephony' },
  groups: [
    { id: 1, name: 'Sales', ring_timeout: 10, music: 'sales-music' },
    { id: 2, name: 'Support', strategy: 'ring-all', ring_timeout: 10, ring_retry: 8 },
    { id: 3, name: 'Recorded', rec: true },
  ],
  operators: [
    { id: 1, name: 'Op 1', groups: [1] },
    { id: 2, name: 'Op 2', groups: [1] },
    { id: 3, name: 'Op 3', groups: [2] },
    { id: 4, name: 'Op 4', groups: [2] },
    { id: 5, name: 'Op 5', groups: [3] },
  ],
  trunks: [{ id: 1, name: 'Forward', destination: '33999000111', ring_timeout: 20 }],
  numbers: [
    { id: 1, service: '33100000001', route: { type: 'ivr', id: 1 } },
    { id: 2, service: '33100000002', route: { type: 'group', id: 1 }, announcement: true, announcement_sound: 'hello' },
    { id: 3, service: '33100000003', route: { type: 'trunk', id: 1 }, rec: true },
    { id: 4, service: '33100000004', route: { type: 'group', id: 2 } },
    { id: 5, service: '33100000005', route: { type: 'group', id: 1 } },
    { id: 6, service: '33100000006', route: { type: 'group', id: 3 } },
    { id: 7, service: '33100000007', route: { type: 'hangup' }, announcement: true },
  ],
  ivrs: [
    {
      id: 1,
      name: 'Menu',
      prompt: 'main-menu',
      timeout: 5,
      retries: 1,
      options: [
        { dtmf: '1', route: { type: 'group', id: 1 } },
        { dtmf: '2', route: { type: 'group', id: 2 } },
      ],
    },
  ],
  pauses: [{ id: 1, label: 'Break' }],
  web_callback: { group: 1, type: 'AUTO', auto_timeout: 2 },
});


const lawful = lawfulAfterEach(ACCOUNT);

function setup(file = account()) {
  const sched = new VirtualScheduler();
  const t0 = sched.now();
  const commands: string[] = [];
  const events: Notification[] = [];
  /** Commands and notifications in the order they were produced. */
  const trace: string[] = [];
  const checker = lawful();
  const engine = new Engine(file, {
    scheduler: sched,
    sink: (n) => {
      events.push(n);
      checker.observe(n);
      const m = n.msg as { status?: string; id_operator?: number; id_call?: number };
      trace.push(`${n.type_notification}/${n.event}${m.status ? `/${m.status}` : ''}${m.id_operator ? ` op${m.id_operator}` : ''}`);
    },
    telephony: {
      command: (c) => {
        commands.push(commandLine(c));
        trace.push(`> ${commandLine(c)}`);
      },
    },
  });
  const at = (seconds: number) => sched.runUntil(t0 + seconds * 1000);
  const call = (service: string, caller = '33611111111') => {
    const r = engine.inboundCall({ service, caller });
    if (!r.ok) throw new Error(r.message);
    return r.id_call;
  };
  /** Commands since the last `take()`. */
  let seen = 0;
  const take = () => commands.slice(seen, (seen = commands.length));
  const login = (...ids: number[]) => {
    for (const id of ids) expect(engine.operatorLogin(id)).toEqual({ ok: true });
  };
  return { engine, sched, at, call, commands, events, trace, take, login };
}

describe('telephony commands of each flow', () => {
  it('IVR → answer, prompt, collect → choice → queue music → ring → bridge → hangup', () => {
    const { engine, at, call, take, login, trace } = setup();
    login(1);
    const id = call('33100000001');
    expect(take()).toEqual([`answer ${id}`, `play ${id} main-menu`, `collect ${id} ivr1`]);
    // The answer command goes with num/answer.
    expect(trace.indexOf('num/answer') + 1).toBe(trace.indexOf(`> answer ${id}`));
    at(2);
    expect(engine.ivrInput(id, { dtmf: '1' })).toEqual({ ok: true, matched: true });
    expect(take()).toEqual([`stop_play ${id}`, `play ${id} sales-music loop`, `ring ${id} op1`]);
    at(4);
    expect(engine.operatorAnswer(1)).toMatchObject({ ok: true });
    expect(take()).toEqual([`bridge ${id} op1`]);
    at(30);
    expect(engine.callHangup(id)).toEqual({ ok: true });
    expect(take()).toEqual([`hangup ${id}`]);
  });

  it('an IVR retry plays the prompt again and collects again; then the default route', () => {
    const { at, call, take } = setup();
    const id = call('33100000001');
    take();
    at(5);
    expect(take()).toEqual([`play ${id} main-menu`, `collect ${id} ivr1`]);
    at(10);
    // No default route: hang-up.
    expect(take()).toEqual([`stop_play ${id}`, `hangup ${id}`]);
  });

  it('an announcement answers and plays its sound, then the queue music; a plain queue plays music unanswered', () => {
    const { call, take, events } = setup();
    const a = call('33100000002');
    expect(take()).toEqual([`answer ${a}`, `play ${a} hello`, `play ${a} sales-music loop`]);
    const b = call('33100000004');
    // Early media: no answer command, no num/answer.
    expect(take()).toEqual([`play ${b} default:hold loop`]);
    expect(events.filter((n) => n.type_notification === 'num' && n.event === 'answer')).toHaveLength(1);
    const c = call('33100000007');
    expect(take()).toEqual([`answer ${c}`, `play ${c} default:welcome`, `hangup ${c}`]);
  });

  it('ring timeout: stop_ring, then the next operator rings; the music goes on', () => {
    const { engine, at, call, take, login } = setup();
    login(1);
    at(1);
    login(2);
    const id = call('33100000005');
    expect(take()).toEqual([`play ${id} sales-music loop`, `ring ${id} op1`]);
    at(11);
    expect(take()).toEqual([`stop_ring ${id} op1`, `ring ${id} op2`]);
    expect(engine.operatorAnswer(2)).toMatchObject({ ok: true });
    expect(take()).toEqual([`bridge ${id} op2`]);
  });

  it('the caller abandons while the operator rings: stop_ring and hangup, no bridge', () => {
    const { engine, at, call, take, login } = setup();
    login(1);
    const id = call('33100000005');
    take();
    at(3);
    engine.callHangup(id);
    expect(take()).toEqual([`stop_ring ${id} op1`, `hangup ${id}`]);
    expect(engine.operatorAnswer(1)).toMatchObject({ ok: false, error: 'OPERATOR_NOT_RINGING' });
    expect(take()).toEqual([]);
  });

  it('ring-all rings every available member; the first to answer is bridged, the others stop ringing', () => {
    const { engine, call, take, login } = setup();
    login(3, 4);
    const id = call('33100000004');
    expect(take()).toEqual([`play ${id} default:hold loop`, `ring ${id} op3`, `ring ${id} op4`]);
    engine.operatorAnswer(4);
    expect(take()).toEqual([`stop_ring ${id} op3`, `bridge ${id} op4`]);
  });

  it('transfer to a group: release, then the group music and its ring', () => {
    const { engine, call, take, login } = setup();
    login(1, 3);
    const id = call('33100000005');
    engine.operatorAnswer(1);
    take();
    expect(engine.operatorTransfer(1, { type: 'group', id: 2 })).toMatchObject({ ok: true });
    expect(take()).toEqual([`release ${id} op1`, `play ${id} default:hold loop`, `ring ${id} op3`]);
  });

  it('transfer to an operator: release, then ring; unanswered, back to the last group with its music', () => {
    const { engine, at, call, take, login } = setup();
    login(1, 3);
    const id = call('33100000005');
    engine.operatorAnswer(1);
    take();
    expect(engine.operatorTransfer(1, { type: 'operator', id: 3 })).toMatchObject({ ok: true });
    expect(take()).toEqual([`release ${id} op1`, `ring ${id} op3`]);
    at(10);
    expect(take()).toEqual([`stop_ring ${id} op3`, `play ${id} sales-music loop`, `ring ${id} op1`]);
  });

  it('transfer to a number: a trunk destination is dialled as the trunk, any other number as a transfer', () => {
    const { engine, call, take, login } = setup();
    login(1, 2);
    const a = call('33100000005');
    engine.operatorAnswer(1);
    const b = call('33100000005');
    engine.operatorAnswer(2);
    take();
    engine.operatorTransfer(1, { type: 'number', e164: '33999000111' });
    expect(take()).toEqual([`release ${a} op1`, `dial ${a} 33999000111 trunk`]);
    engine.operatorTransfer(2, { type: 'number', e164: '33612345678' });
    expect(take()).toEqual([`release ${b} op2`, `dial ${b} 33612345678 transfer`]);
    expect(engine.callAnswer(b)).toMatchObject({ ok: false, error: 'CALL_NOT_RINGING' });
    engine.callHangup(b);
    expect(take()).toEqual([`hangup ${b}`]);
  });

  it('trunk: dial; answered, no bridge (the port connects it) and recording starts for a rec number', () => {
    const { engine, at, call, take } = setup();
    const id = call('33100000003');
    expect(take()).toEqual([`dial ${id} 33999000111 trunk`]);
    at(5);
    expect(engine.callAnswer(id)).toEqual({ ok: true });
    expect(take()).toEqual([`record ${id} on`]);
    engine.callHangup(id);
    expect(take()).toEqual([`hangup ${id}`]);
    // Unanswered: the trunk's ring timeout hangs up.
    const other = call('33100000003');
    take();
    at(30);
    expect(take()).toEqual([`hangup ${other}`]);
  });

  it('a recorded group: record on at the bridge, once, even across a transfer', () => {
    const { engine, call, take, login } = setup();
    login(5, 1);
    const id = call('33100000006');
    engine.operatorAnswer(5);
    expect(take()).toEqual([`play ${id} default:hold loop`, `ring ${id} op5`, `bridge ${id} op5`, `record ${id} on`]);
    engine.operatorTransfer(5, { type: 'group', id: 1 });
    engine.operatorAnswer(1);
    expect(take()).toEqual([`release ${id} op5`, `play ${id} sales-music loop`, `ring ${id} op1`, `bridge ${id} op1`]);
  });

  it('outgoing call and callback attempts dial with the operator', () => {
    const { engine, at, take, login } = setup();
    login(1);
    const out = engine.operatorCall(1, '33612345678');
    if (!out.ok) throw new Error(out.message);
    expect(take()).toEqual([`dial ${out.id_call} 33612345678 outgoing op1`]);
    expect(engine.callAnswer(out.id_call)).toEqual({ ok: true });
    expect(take()).toEqual([]);
    engine.operatorHangup(1);
    expect(take()).toEqual([`hangup ${out.id_call}`]);
    at(1);
    expect(engine.callbackRequest({ e164: '33687654321' })).toMatchObject({ ok: true });
    at(4); // AUTO: the attempt starts after auto_timeout
    const [cmd] = take();
    expect(cmd).toMatch(/^dial -\d+ 33687654321 callback op1$/);
  });
});

describe('ringFailed', () => {
  it('busy → the next operator, with the same events as a ring timeout; the busy one rests ring_retry', () => {
    const failed = setup();
    failed.login(1);
    failed.at(1);
    failed.login(2);
    const id = failed.call('33100000005');
    failed.at(2);
    expect(failed.engine.ringFailed(id, 1, 'busy')).toEqual({ ok: true });
    expect(failed.take()).toEqual([`play ${id} sales-music loop`, `ring ${id} op1`, `stop_ring ${id} op1`, `ring ${id} op2`]);

    const timedOut = setup();
    timedOut.login(1);
    timedOut.at(1);
    timedOut.login(2);
    timedOut.call('33100000005');
    timedOut.at(11);
    const shape = (n: Notification) => {
      const m = n.msg as { status?: string; id_operator?: number; id_call?: number };
      return `${n.type_notification}/${n.event}/${m.status ?? ''} op${m.id_operator ?? ''} call${m.id_call ?? ''}`;
    };
    expect(failed.events.map(shape)).toEqual(timedOut.events.map(shape));

    // Operator 2 does not answer either: both rest, so the call waits instead of ringing
    // a refusing phone again, and rings operator 1 once its 5 s (the default) are over.
    failed.at(3);
    expect(failed.engine.ringFailed(id, 2, 'no_answer')).toEqual({ ok: true });
    expect(failed.take()).toEqual([`stop_ring ${id} op2`]);
    expect(failed.engine.call(id)?.phase).toBe('queued');
    expect(failed.engine.operator(1)?.state).toBe('wrapup');
    failed.at(6.9);
    expect(failed.take()).toEqual([]);
    failed.at(7);
    expect(failed.take()).toEqual([`ring ${id} op1`]);
    expect(failed.engine.operator(1)?.state).toBe('ringing');
  });

  it('a single operator whose phone is busy is not rung in a loop: once per ring_retry', () => {
    const { engine, at, call, take, login } = setup();
    login(1);
    const id = call('33100000005');
    take();
    for (let i = 1; i <= 3; i++) {
      expect(engine.ringFailed(id, 1, 'busy')).toEqual({ ok: true });
      at(i * 5 - 0.001);
      expect(engine.operator(1)?.state).toBe('wrapup');
      at(i * 5);
    }
    expect(take()).toEqual([`stop_ring ${id} op1`, `ring ${id} op1`, `stop_ring ${id} op1`, `ring ${id} op1`, `stop_ring ${id} op1`, `ring ${id} op1`]);
  });

  it('under ring-all only the failing operator drops out; when none is left, as a ring timeout', () => {
    const { engine, at, call, take, login, events } = setup();
    login(3, 4);
    const id = call('33100000004');
    take();
    at(1);
    expect(engine.ringFailed(id, 3, 'declined')).toEqual({ ok: true });
    expect(take()).toEqual([`stop_ring ${id} op3`]);
    expect(engine.call(id)?.phase).toBe('ringing');
    expect(engine.operator(4)?.state).toBe('ringing');
    const available = events.filter((n) => n.type_notification === 'operator' && (n.msg as { status: string }).status === 'available');
    expect(available.map((n) => (n.msg as { id_operator: number }).id_operator)).toEqual([3]);
    at(2);
    expect(engine.ringFailed(id, 4, 'unreachable')).toEqual({ ok: true });
    expect(take()).toEqual([`stop_ring ${id} op4`]);
    expect(engine.call(id)?.phase).toBe('queued');
    // Group 2's ring_retry is 8 s: both come back and ring again.
    // Group 2's ring_retry is 8 s: operator 3 is back first and rings alone; at that ring's
    // timeout the others are tried first, as after any ring timeout.
    at(9.5);
    expect(take()).toEqual([`ring ${id} op3`]);
    at(19.5);
    expect(take()).toEqual([`stop_ring ${id} op3`, `ring ${id} op4`]);
  });

  it('refusals name the rule', () => {
    const { engine, call, login } = setup();
    login(1, 2);
    const id = call('33100000005');
    expect(engine.ringFailed(999, 1, 'busy')).toMatchObject({ ok: false, error: 'CALL_UNKNOWN' });
    expect(engine.ringFailed(id, 99, 'busy')).toMatchObject({ ok: false, error: 'OPERATOR_UNKNOWN' });
    expect(engine.ringFailed(id, 2, 'busy')).toMatchObject({ ok: false, error: 'OPERATOR_NOT_RINGING_CALL' });
    expect(engine.ringFailed(id, 1, 'gone' as never)).toMatchObject({ ok: false, error: 'RING_FAILURE_INVALID' });
    engine.operatorAnswer(1);
    expect(engine.ringFailed(id, 1, 'busy')).toMatchObject({ ok: false, error: 'OPERATOR_NOT_RINGING_CALL' });
  });
});

describe('the engine host and the port', () => {
  it("builds every engine with the account's port; a discarded engine's calls are hung up on it", async () => {
    const sched = new VirtualScheduler();
    const commands: string[] = [];
    let failing = false;
    const host = new EngineHost({
      directory: async (id) => (id === ACCOUNT ? (account() as AccountDirectory) : undefined),
      publish: async () => {
        if (failing) throw new Error('disk full');
      },
      scheduler: () => sched,
      telephony: (id) => ({ command: (c) => commands.push(`${id}: ${commandLine(c)}`) }),
    });
    await host.run(ACCOUNT, (e) => e.operatorLogin(1));
    const placed = await host.run(ACCOUNT, (e) => e.inboundCall({ service: '33100000005', caller: '33611111111' }));
    if (!placed?.ok) throw new Error('no call');
    const id = placed.id_call;
    expect(commands).toEqual([`${ACCOUNT}: play ${id} sales-music loop`, `${ACCOUNT}: ring ${id} op1`]);
    // An event that cannot be stored discards the engine: its call is hung up on the port.
    failing = true;
    expect(await host.run(ACCOUNT, (e) => e.operatorLogin(2))).toMatchObject({ ok: false, error: 'EVENTS_NOT_DURABLE' });
    expect(commands.slice(2)).toEqual([`${ACCOUNT}: hangup ${id}`]);
    failing = false;
    const fresh = await host.get(ACCOUNT);
    expect(fresh?.activeCalls()).toEqual([]);
    host.stop();
  });

  it('an attached driver is the engine port and sees the notifications', async () => {
    const sched = new VirtualScheduler();
    const seen: string[] = [];
    let given: TelephonyPort | undefined;
    const host = new EngineHost({
      directory: async () => account() as AccountDirectory,
      publish: async () => undefined,
      scheduler: () => sched,
      // The host's port (SIP) is given the driver's; undefined leaves the driver's port in place.
      telephony: (_id, driverPort) => {
        given = driverPort;
        return undefined;
      },
    });
    let started = false;
    await host.attach(ACCOUNT, () => ({
      telephony: { command: (c) => seen.push(commandLine(c)) },
      observe: (n) => seen.push(`${n.type_notification}/${n.event}`),
      start: (engine) => {
        started = true;
        engine.operatorLogin(1);
      },
      stop: () => seen.push('stopped'),
    }));
    expect(started).toBe(true);
    await host.run(ACCOUNT, (e) => e.inboundCall({ service: '33100000005', caller: '33611111111' }));
    expect(seen).toEqual(['UI/login', 'num/start', 'queue/insert_call', 'play 1 sales-music loop', 'operator/status', 'ring 1 op1']);
    expect(given).toBeDefined();
    host.stop();
    expect(seen.at(-1)).toBe('stopped');
  });
});
