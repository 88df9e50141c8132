// Property-based tests of the engine: random accounts, random traffic and random operator
// and telephony actions in random order; the stream must stay lawful (PROTOCOL §5), and
// the telephony port's commands must pair up and agree with the stream.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountFile } from '../src/directory/schema.ts';
import { ENGINE_ERRORS, Engine, VirtualScheduler, type EngineResult } from '../src/engine/index.ts';
import { RING_FAILURES, type TelephonyCommand } from '../src/engine/telephony.ts';
import type { Notification } from '../src/protocol/index.ts';
import { LawfulChecker } from './engine-lawful.ts';

const ACCOUNT_ID = 42;
const strategy = fc.constantFrom('longest-idle' as const, 'round-robin' as const, 'ring-all' as const);
const route = (groups: number) =>
  fc.oneof(
    fc.integer({ min: 1, max: groups }).map((id) => ({ type: 'group' as const, id })),
    fc.constant({ type: 'trunk' as const, id: 1 }),
    fc.constant({ type: 'hangup' as const }),
  );

const accountArb = fc.integer({ min: 1, max: 3 }).chain((groupCount) =>
  fc.record({
    groups: fc.array(
      fc.record({
        strategy,
        ring_timeout: fc.integer({ min: 2, max: 30 }),
        max_wait: fc.option(fc.integer({ min: 5, max: 120 }), { nil: undefined }),
        overflow: route(groupCount),
        catchup: fc.integer({ min: 0, max: 15 }),
        alertOp: fc.boolean(),
        alertFile: fc.boolean(),
      }),
      { minLength: groupCount, maxLength: groupCount },
    ),
    operators: fc.array(fc.subarray(Array.from({ length: groupCount }, (_, i) => i + 1)), { minLength: 1, maxLength: 6 }),
    ivrRoutes: fc.array(route(groupCount), { minLength: 2, maxLength: 2 }),
    callbackType: fc.constantFrom('AUTO' as const, 'MANUAL' as const),
    closedNumber: fc.boolean(),
    loggedInAtStart: fc.subarray([1, 2, 3, 4, 5, 6]),
  }),
);

type AccountShape = typeof accountArb extends fc.Arbitrary<infer T> ? T : never;

function buildAccount(a: AccountShape): AccountFile {
  return {
    account: { id: ACCOUNT_ID, name: 'Property' },
    groups: a.groups.map((g, i) => ({
      id: i + 1,
      name: `G${i + 1}`,
      strategy: g.strategy,
      ring_timeout: g.ring_timeout,
      ...(g.max_wait !== undefined ? { max_wait: g.max_wait, overflow: g.overflow } : {}),
      catchup: g.catchup,
      alerts: { ...(g.alertOp ? { op: { min_available: 2, validity: 20 } } : {}), ...(g.alertFile ? { file: { wait: 10, validity: 15 } } : {}) },
    })),
    operators: a.operators.map((groups, i) => ({ id: i + 1, name: `Op ${i + 1}`, groups })),
    trunks: [{ id: 1, name: 'Forward', destination: '33999000111', ring_timeout: 20 }],
    pauses: [{ id: 1, label: 'Break' }, { id: 2, label: 'Lunch', max_duration: 40 }],
    dispositions: [{ id: 1, label: 'Sale' }, { id: 2, label: 'No interest' }],
    numbers: [
      { id: 1, service: '33100000001', route: { type: 'group', id: 1 }, rec: true },
      { id: 2, service: '33100000002', route: { type: 'ivr', id: 1 } },
      { id: 3, service: '33100000003', route: { type: 'trunk', id: 1 } },
      {
        id: 4,
        service: '33100000004',
        route: { type: 'group', id: a.groups.length },
        announcement: true,
        // The virtual day starts on a Monday 08:00 UTC: this number is closed then.
        ...(a.closedNumber ? { hours: { slots: [{ days: ['sat' as const], from: '09:00', to: '12:00' }] }, fallback: { type: 'group' as const, id: 1 } } : {}),
      },
    ],
    ivrs: [
      {
        id: 1,
        name: 'Menu',
        timeout: 6,
        retries: 1,
        options: [
          { dtmf: '1', speech: ['sales'], route: a.ivrRoutes[0]! },
          { dtmf: '2', speech: ['support'], route: a.ivrRoutes[1]! },
        ],
        default_route: { type: 'group', id: 1 },
      },
    ],
    forbidden_destinations: ['0899', '33899'],
    web_callback: { group: 1, type: a.callbackType, ring_timeout: 15, retry_timeout: 20, auto_timeout: 3, unassign_timeout: 10, retries: 1, expire_after: 300 },
  };
}

const ACTIONS = [
  'arrive', 'arrive', 'arrive', 'callback', 'login', 'login', 'logout', 'pause', 'unpause', 'answer', 'answer', 'answer',
  'hangup', 'transfer', 'call', 'pushAccept', 'pushRefuse', 'callHangup', 'callAnswer', 'ivr', 'cancelCallback', 'ringFailed',
  'reject', 'hold', 'unhold', 'endWrapup', 'disposition', 'suspend', 'unsuspend', 'consult', 'consult', 'consultComplete', 'consultCancel',
  'consultAnswer', 'consultAnswer', 'consultHangup', 'consultComplete',
] as const;
const stepArb = fc.record({
  action: fc.constantFrom(...ACTIONS),
  a: fc.nat(1000),
  b: fc.nat(1000),
  dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 60_000 })),
});

type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

function runScenario(shape: AccountShape, steps: Step[]) {
  const account = buildAccount(shape);
  const sched = new VirtualScheduler();
  const checker = new LawfulChecker(ACCOUNT_ID);
  const seen: Notification[] = [];
  /** Notifications and telephony commands in the order the engine produced them. */
  const trace: ({ n: Notification } | { c: TelephonyCommand })[] = [];
  /** Calls with a consulted number dialled and not yet dropped or joined. */
  const dialled = new Set<number>();
  const engine = new Engine(account, {
    scheduler: sched,
    sink: (n) => {
      seen.push(n);
      trace.push({ n });
      checker.observe(n);
    },
    telephony: {
      command: (c) => {
        trace.push({ c });
        if (c.op === 'dial' && c.purpose === 'consult') dialled.add(c.id_call);
        if (c.op === 'consult_drop' || c.op === 'consult_join' || c.op === 'hangup') dialled.delete(c.id_call);
      },
    },
  });
  const results: EngineResult<object>[] = [];
  const ops = account.operators!.map((o) => o.id);
  const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length ? list[i % list.length] : undefined);
  const lastPush = new Map<number, number>();
  const record = (r: EngineResult<object>) => results.push(r);
  for (const id of shape.loggedInAtStart) if (ops.includes(id)) record(engine.operatorLogin(id));
  for (const s of steps) {
    sched.runUntil(sched.now() + s.dt);
    const snaps = engine.operators();
    for (const snap of snaps) if (snap.id_push !== null) lastPush.set(snap.id_operator, snap.id_push);
    // Mostly an operator in a state where the action makes sense; one time in five, anyone
    // (so refusals are exercised too).
    const inState = (...states: string[]): number =>
      s.b % 5 === 0 ? pick(ops, s.a)! : (pick(snaps.filter((o) => states.includes(o.state)), s.a)?.id_operator ?? pick(ops, s.a)!);
    const active = engine.activeCalls();
    const inIvr = s.action === 'ivr' && s.b % 5 !== 0 ? active.filter((id) => engine.call(id)?.phase === 'ivr') : [];
    const call = pick(inIvr.length > 0 ? inIvr : active, s.a);
    let op = pick(ops, s.a)!;
    if (s.action === 'login') op = inState('logged_out');
    else if (s.action === 'logout' || s.action === 'pause') op = inState('available', 'wrapup', 'paused', 'reserved');
    else if (s.action === 'unpause') op = inState('paused');
    else if (s.action === 'answer' || s.action === 'ringFailed' || s.action === 'reject') op = inState('ringing');
    else if (s.action === 'hangup' || s.action === 'transfer' || s.action === 'hold' || s.action === 'unhold') op = inState('connected', 'calling');
    else if (s.action === 'consult' || s.action === 'consultComplete' || s.action === 'consultCancel') op = inState('connected');
    else if (s.action === 'endWrapup' || s.action === 'disposition') op = inState('wrapup', 'connected');
    else if (s.action === 'call') op = inState('available');
    else if (s.action === 'pushAccept' || s.action === 'pushRefuse') op = inState('reserved');
    switch (s.action) {
      case 'arrive':
        record(engine.inboundCall({ numberId: (s.a % 4) + 1, caller: `336${String(s.b).padStart(8, '0')}` }));
        break;
      case 'callback':
        record(engine.callbackRequest({ e164: s.b % 7 === 0 ? '33899123456' : `336${String(s.b).padStart(8, '0')}` }));
        break;
      case 'login':
        record(engine.operatorLogin(op));
        break;
      case 'logout':
        record(engine.operatorLogout(op));
        break;
      case 'pause':
        record(engine.operatorPause(op, (s.b % 3) + 1));
        break;
      case 'unpause':
        record(engine.operatorUnpause(op));
        break;
      case 'answer':
        record(engine.operatorAnswer(op));
        break;
      case 'hangup':
        record(engine.operatorHangup(op));
        break;
      case 'transfer': {
        const kind = s.b % 4;
        const target =
          kind === 0 ? { type: 'operator' as const, id: pick(ops, s.b)! }
          : kind === 1 ? { type: 'group' as const, id: (s.b % account.groups!.length) + 1 }
          : kind === 2 ? { type: 'number' as const, e164: '33999000111' }
          : { type: 'number' as const, e164: '33899000000' };
        record(engine.operatorTransfer(op, target));
        break;
      }
      case 'call':
        record(engine.operatorCall(op, s.b % 5 === 0 ? '0899000000' : `331${String(s.b).padStart(8, '0')}`));
        break;
      case 'pushAccept':
        record(engine.pushAccept(op, lastPush.get(op) ?? s.b));
        break;
      case 'pushRefuse':
        record(engine.pushRefuse(op, lastPush.get(op) ?? s.b));
        break;
      case 'callHangup':
        if (call !== undefined) record(engine.callHangup(call));
        break;
      case 'callAnswer':
        if (call !== undefined) record(engine.callAnswer(call));
        break;
      case 'ivr':
        if (call !== undefined) {
          record(
            s.b % 3 === 0
              ? engine.ivrInput(call, { dtmf: String(s.b % 4) })
              : engine.ivrInput(call, { speech: s.b % 2 ? 'I want sales' : 'need support now', score: s.b % 101 }),
          );
        }
        break;
      case 'ringFailed': {
        // Mostly the call the operator rings for; sometimes another (refused).
        const ringingFor = engine.operator(op)?.id_call ?? null;
        const target = ringingFor !== null && s.b % 5 !== 0 ? ringingFor : call;
        if (target !== undefined) record(engine.ringFailed(target, op, RING_FAILURES[s.b % RING_FAILURES.length]!));
        break;
      }
      case 'reject':
        record(engine.operatorReject(op));
        break;
      case 'hold':
        record(engine.operatorHold(op));
        break;
      case 'unhold':
        record(engine.operatorUnhold(op));
        break;
      case 'endWrapup':
        record(engine.operatorEndWrapup(op));
        break;
      case 'disposition':
        record(engine.operatorDisposition(op, (s.b % 3) + 1));
        break;
      case 'suspend':
      case 'unsuspend':
        record(engine.operatorSuspend(op, (s.b % account.groups!.length) + 1, s.action === 'suspend'));
        break;
      case 'consult':
        record(
          engine.operatorConsult(
            op,
            s.b % 3 === 0
              ? { type: 'group', id: (s.b % account.groups!.length) + 1 }
              : s.b % 3 === 1
                ? { type: 'number', e164: s.b % 7 === 0 ? '33899123456' : `336${String(s.b).padStart(8, '0')}` }
                : { type: 'operator', id: pick(ops, s.b)! },
          ),
        );
        break;
      case 'consultAnswer':
      case 'consultHangup': {
        // Mostly a call with a number being consulted; sometimes any call (refused).
        const target = s.b % 5 !== 0 ? (pick([...dialled], s.a) ?? call) : call;
        if (target !== undefined) record(s.action === 'consultAnswer' ? engine.consultAnswer(target) : engine.consultHangup(target));
        break;
      }
      case 'consultComplete':
        record(engine.operatorConsultComplete(op));
        break;
      case 'consultCancel':
        record(engine.operatorConsultCancel(op));
        break;
      case 'cancelCallback': {
        const id = pick(engine.activePushes(), s.b);
        if (id !== undefined) record(engine.callbackCancel(id));
        break;
      }
    }
  }
  // Everyone hangs up; timers run out; the engine must end up empty.
  for (let round = 0; round < 5 && (engine.callCount > 0 || engine.activePushes().length > 0); round++) {
    for (const id of engine.activePushes()) record(engine.callbackCancel(id));
    for (const id of engine.activeCalls()) record(engine.callHangup(id));
    sched.runUntil(sched.now() + 3_600_000);
  }
  return { engine, checker, results, seen, trace };
}

type Trace = ReturnType<typeof runScenario>['trace'];

/** What the commands must satisfy, and how they must agree with the notifications; [] when all hold. */
function commandProblems(trace: Trace): string[] {
  const problems: string[] = [];
  const ringing = new Set<string>(); // open `ring`s, "call:op"
  const hungUp = new Set<number>();
  const ended = new Set<number>(); // num/end seen
  const started = new Set<number>(); // num/start seen, or an outgoing call's first command
  const ringEvents: string[] = [];
  const ringCommands: string[] = [];
  const connectedEvents: string[] = [];
  const bridgeCommands: string[] = [];
  /** The call an operator rings for, according to the notifications. */
  const ringsFor = new Map<number, number>();
  const stopEvents: string[] = [];
  const stopCommands: string[] = [];
  const holdEvents: string[] = [];
  const holdCommands: string[] = [];
  const held = new Map<number, number>(); // call → operator, from a `hold` command until `unhold`, `release` or `hangup`
  const consulted = new Set<string>(); // "call:op" rung for a consultation and answered (`consult`): closed by `bridge` or `release`
  const dialledConsult = new Map<number, number>(); // call → consulting operator, from `dial … consult` until `consult_drop` / `consult_join`
  const released = new Set<string>(); // "call:op" released (a consulting operator before `consult_join`)
  for (const item of trace) {
    if ('n' in item) {
      const n = item.n;
      if (n.type_notification === 'UI' && n.event === 'hold') holdEvents.push(`hold ${n.msg.id_call}:${n.msg.id_operator}`);
      if (n.type_notification === 'UI' && n.event === 'unhold') holdEvents.push(`unhold ${n.msg.id_call}:${n.msg.id_operator}`);
      if (n.type_notification === 'num' && n.event === 'start') started.add(n.msg.id_call);
      if (n.type_notification === 'num' && n.event === 'end') ended.add(n.msg.id_call);
      if (n.type_notification === 'operator' && n.event === 'status') {
        const m = n.msg as { status: string; id_operator: number; id_call?: number };
        if (m.status === 'ringing' && m.id_call !== undefined) {
          ringEvents.push(`${m.id_call}:${m.id_operator}`);
          ringsFor.set(m.id_operator, m.id_call);
          continue;
        }
        const was = ringsFor.get(m.id_operator);
        ringsFor.delete(m.id_operator);
        if (m.status === 'available' && was !== undefined && was === m.id_call) stopEvents.push(`${was}:${m.id_operator}`);
        // Connected after ringing is an answer (a bridge); after calling, a dialled leg answered.
        if (m.status === 'connected' && was !== undefined && was === m.id_call) connectedEvents.push(`${was}:${m.id_operator}`);
      }
      continue;
    }
    const c = item.c;
    const id = c.id_call;
    if (hungUp.has(id)) problems.push(`${c.op} for call ${id} after its hangup`);
    if (id < 0) started.add(id);
    else if (!started.has(id)) problems.push(`${c.op} for call ${id} before its num/start`);
    if (c.op === 'ring' || c.op === 'stop_ring' || c.op === 'bridge') {
      const key = `${id}:${c.id_operator}`;
      if (c.op === 'ring') {
        if (ringing.has(key)) problems.push(`ring ${key} while it rings`);
        ringing.add(key);
        ringCommands.push(key);
      } else if (c.op === 'bridge' && consulted.delete(key)) {
        // A consultation completed: the consulted operator's ring ends in the caller's bridge.
        if (!ringing.delete(key)) problems.push(`bridge ${key} of a consultation that does not ring`);
      } else {
        if (!ringing.delete(key)) problems.push(`${c.op} ${key} that does not ring`);
        if (consulted.has(key)) problems.push(`stop_ring ${key} of an answered consultation`);
        (c.op === 'bridge' ? bridgeCommands : stopCommands).push(key);
      }
    } else if (c.op === 'consult') {
      // The consulted operator answered: their `connected` is this command, not a bridge.
      const key = `${id}:${c.id_target}`;
      if (!ringing.has(key)) problems.push(`consult ${key} that does not ring`);
      if (held.get(id) !== c.id_operator) problems.push(`consult ${key} while the caller is not held by op ${c.id_operator}`);
      consulted.add(key);
      bridgeCommands.push(key);
    } else if (c.op === 'dial' && c.purpose === 'consult') {
      if (dialledConsult.has(id)) problems.push(`second consultation dial for call ${id}`);
      if (c.id_operator === null || held.get(id) !== c.id_operator) problems.push(`dial consult ${id} while the caller is not held by op ${c.id_operator}`);
      dialledConsult.set(id, c.id_operator ?? 0);
    } else if (c.op === 'consult_drop' || c.op === 'consult_join') {
      const by = dialledConsult.get(id);
      if (by === undefined) problems.push(`${c.op} ${id} without a consultation dial`);
      if (c.op === 'consult_join' && !released.has(`${id}:${by}`)) problems.push(`consult_join ${id} before the release of operator ${by}`);
      dialledConsult.delete(id);
    } else if (c.op === 'release' && consulted.delete(`${id}:${c.id_operator}`)) {
      // The consulted operator leaves after answering (cancel, hang-up).
      ringing.delete(`${id}:${c.id_operator}`);
    } else if (c.op === 'hold' || c.op === 'unhold') {
      holdCommands.push(`${c.op} ${id}:${c.id_operator}`);
      if (c.op === 'hold' ? held.has(id) : !held.has(id)) problems.push(`${c.op} ${id} while it is ${held.has(id) ? '' : 'not '}held`);
      if (c.op === 'hold') held.set(id, c.id_operator);
      else held.delete(id);
    } else if ((c.op === 'hangup' || (c.op === 'release' && c.id_operator === held.get(id))) && held.has(id)) {
      // A call transferred or ended on hold: its UI/unhold has no command, the release or
      // hangup ends the music.
      holdCommands.push(`unhold ${id}:${held.get(id)}`);
      held.delete(id);
    }
    if (c.op === 'release') released.add(`${id}:${c.id_operator}`);
    if (c.op === 'hangup') {
      if (dialledConsult.has(id)) problems.push(`hangup ${id} with its consultation dial still open`);
      for (const key of consulted) if (key.startsWith(`${id}:`)) problems.push(`hangup ${id} with consultation ${key} still open`);
      for (const key of ringing) if (key.startsWith(`${id}:`)) problems.push(`hangup ${id} with ${key} still ringing`);
      if (id > 0 && !ended.has(id)) problems.push(`hangup ${id} before its num/end`);
      hungUp.add(id);
    }
  }
  for (const id of started) if (!hungUp.has(id)) problems.push(`call ${id} never hung up`);
  for (const id of ended) if (!hungUp.has(id)) problems.push(`call ${id} ended without hangup`);
  if (ringing.size > 0) problems.push(`still ringing at the end: ${[...ringing].join(' ')}`);
  const same = (what: string, a: string[], b: string[]) => {
    if (a.join(' ') !== b.join(' ')) problems.push(`${what}: events ${a.join(' ')} / commands ${b.join(' ')}`);
  };
  same('ringing ⇔ ring', ringEvents, ringCommands);
  same('connected ⇔ bridge', connectedEvents, bridgeCommands);
  same('available after ringing ⇔ stop_ring', stopEvents, stopCommands);
  same('UI/hold, UI/unhold ⇔ hold, unhold', holdEvents, holdCommands);
  return problems;
}

describe('engine invariants (property-based)', () => {
  it('every stream is lawful: valid events, one delete per insert, no operator on two calls, every call ends', () => {
    fc.assert(
      fc.property(accountArb, fc.array(stepArb, { minLength: 1, maxLength: 150, size: 'max' }), (shape, steps) => {
        const { engine, checker, results } = runScenario(shape, steps);
        for (const r of results) {
          if (!r.ok) {
            expect(Object.keys(ENGINE_ERRORS)).toContain(r.error);
            expect(r.message.length).toBeGreaterThan(0);
          }
        }
        expect(checker.finalErrors()).toEqual([]);
        expect(engine.callCount).toBe(0);
        expect(engine.activePushes()).toEqual([]);
        for (const op of engine.operators()) expect(op.id_call).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('telephony commands: each ring closed once by stop_ring or bridge before the hangup, one hangup per call, nothing after it, agreeing with the stream', () => {
    fc.assert(
      fc.property(accountArb, fc.array(stepArb, { minLength: 1, maxLength: 150, size: 'max' }), (shape, steps) => {
        const { trace } = runScenario(shape, steps);
        expect(commandProblems(trace)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('consultations are exercised: answered, completed, cancelled and failed ones, of operators and numbers, occur across random runs', () => {
    const seenEnds = new Set<string>();
    let answered = 0;
    for (const [shape, steps] of fc.sample(fc.tuple(accountArb, fc.array(stepArb, { minLength: 50, maxLength: 150, size: 'max' })), { numRuns: 300, seed: 11 })) {
      const kind = new Map<number, string>(); // call → "operator" | "number", from UI/consult
      for (const n of runScenario(shape, steps).seen) {
        if (n.type_notification !== 'UI') continue;
        if (n.event === 'consult') kind.set(n.msg.id_call, String(n.msg.supp).split(':')[0]!);
        if (n.event === 'consult_answer') answered++;
        if (n.event === 'consult_end') seenEnds.add(`${kind.get(n.msg.id_call)} ${String(n.msg.supp)}`);
      }
    }
    expect(answered).toBeGreaterThan(0);
    expect([...seenEnds].sort()).toEqual(['number cancel', 'number complete', 'number ended', 'number failed', 'operator cancel', 'operator complete', 'operator ended', 'operator failed']);
  });

  it('the same inputs give the same stream (determinism)', () => {
    fc.assert(
      fc.property(accountArb, fc.array(stepArb, { minLength: 1, maxLength: 80, size: 'max' }), (shape, steps) => {
        const a = runScenario(shape, steps).seen;
        const b = runScenario(shape, steps).seen;
        expect(b).toEqual(a);
      }),
      { numRuns: 50 },
    );
  });

  it('each queue leg of a call gets exactly one insert_call and one delete_call', () => {
    fc.assert(
      fc.property(accountArb, fc.array(stepArb, { minLength: 20, maxLength: 150, size: 'max' }), (shape, steps) => {
        const { seen } = runScenario(shape, steps);
        const inserts = new Map<string, number>();
        const deletes = new Map<string, number>();
        for (const n of seen) {
          if ((n.type_notification !== 'queue' && n.type_notification !== 'trunk') || (n.event !== 'insert_call' && n.event !== 'delete_call')) continue;
          const m = n.msg as { id_call: number; id_queue?: number; id_trunk?: number };
          const key = `${n.type_notification}:${m.id_call}`;
          const map = n.event === 'insert_call' ? inserts : deletes;
          map.set(key, (map.get(key) ?? 0) + 1);
        }
        expect(deletes).toEqual(inserts);
      }),
      { numRuns: 100 },
    );
  });
});
