// Re-imports applied to a running engine (Engine.applyDirectory), property-based: random
// traffic and operator actions interleaved with random re-imports that add and remove
// operators, groups and numbers. The stream stays lawful (PROTOCOL §5), no call is dropped
// by a re-import, a removed operator can no longer log in and is gone once free, a new one
// can log in at once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountFile } from '../src/directory/schema.ts';
import { ENGINE_ERRORS, Engine, VirtualScheduler, type EngineResult } from '../src/engine/index.ts';
import type { Notification } from '../src/protocol/index.ts';
import { LawfulChecker } from './engine-lawful.ts';

const ACCOUNT_ID = 77;
const ALL_GROUPS = [1, 2, 3];
const ALL_OPS = [1, 2, 3, 4, 5, 6];

interface Shape {
  groups: number[];
  operators: { id: number; groups: number[] }[];
  strategy: 'longest-idle' | 'round-robin' | 'ring-all';
  catchup: number;
  numbers: number[];
}

/** A valid directory naming only the groups it keeps. */
function directory(s: Shape): AccountFile {
  const g0 = s.groups[0]!;
  const other = (id: number) => s.groups.find((g) => g !== id);
  return {
    account: { id: ACCOUNT_ID, name: 'Reimport' },
    groups: s.groups.map((id) => ({
      id,
      name: `G${id}`,
      strategy: s.strategy,
      ring_timeout: 10,
      catchup: s.catchup,
      max_wait: 60,
      overflow: other(id) !== undefined ? { type: 'group' as const, id: other(id)! } : { type: 'hangup' as const },
      alerts: { op: { min_available: 1, validity: 20 }, file: { wait: 10, validity: 15 } },
    })),
    operators: s.operators.map((o) => ({ id: o.id, name: `Op ${o.id}`, groups: o.groups.filter((g) => s.groups.includes(g)) })),
    trunks: [{ id: 1, name: 'Forward', destination: '33999000111', ring_timeout: 20 }],
    pauses: [{ id: 1, label: 'Break' }],
    numbers: s.numbers.map((n) => ({
      id: n,
      service: `3310000000${n}`,
      route: n === 2 ? { type: 'ivr' as const, id: 1 } : { type: 'group' as const, id: s.groups[n % s.groups.length]! },
    })),
    ivrs: [{ id: 1, name: 'Menu', timeout: 6, retries: 1, options: [{ dtmf: '1', route: { type: 'group', id: g0 } }, { dtmf: '2', route: { type: 'trunk', id: 1 } }], default_route: { type: 'group', id: g0 } }],
    web_callback: { group: g0, type: 'MANUAL', ring_timeout: 15, retry_timeout: 20, unassign_timeout: 10, retries: 1, expire_after: 300 },
  };
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  groups: fc.subarray(ALL_GROUPS, { minLength: 1 }),
  operators: fc.subarray(ALL_OPS, { minLength: 1 }).chain((ids) =>
    fc.tuple(...ids.map((id) => fc.subarray(ALL_GROUPS).map((groups) => ({ id, groups })))),
  ),
  strategy: fc.constantFrom('longest-idle' as const, 'round-robin' as const, 'ring-all' as const),
  catchup: fc.constantFrom(0, 5),
  numbers: fc.subarray([1, 2, 3], { minLength: 1 }),
});

const ACTIONS = ['arrive', 'arrive', 'login', 'login', 'logout', 'pause', 'unpause', 'answer', 'answer', 'hangup', 'transfer', 'call', 'callback', 'pushAccept', 'callHangup', 'ivr', 'reimport'] as const;
const stepArb = fc.record({
  action: fc.constantFrom(...ACTIONS),
  a: fc.nat(1000),
  b: fc.nat(1000),
  dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8_000 })),
});

function run(first: Shape, imports: Shape[], steps: (typeof stepArb extends fc.Arbitrary<infer T> ? T : never)[]) {
  const sched = new VirtualScheduler();
  const checker = new LawfulChecker(ACCOUNT_ID);
  const seen: Notification[] = [];
  const engine = new Engine(directory(first), { scheduler: sched, sink: (n) => (seen.push(n), checker.observe(n)) });
  const results: EngineResult<object>[] = [];
  const problems: string[] = [];
  let current = first;
  let nextImport = 0;
  const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length ? list[i % list.length] : undefined);
  for (const s of steps) {
    sched.runUntil(sched.now() + s.dt);
    const snaps = engine.operators();
    const inState = (...states: string[]) => pick(snaps.filter((o) => states.includes(o.state)), s.a)?.id_operator ?? pick(ALL_OPS, s.a)!;
    const call = pick(engine.activeCalls(), s.a);
    switch (s.action) {
      case 'reimport': {
        const next = imports[nextImport++ % imports.length]!;
        const callsBefore = engine.activeCalls().sort();
        const busyBefore = new Map(snaps.filter((o) => o.id_call !== null).map((o) => [o.id_operator, o.id_call]));
        const summary = engine.applyDirectory(directory(next));
        current = next;
        // No call is dropped by a re-import, and nobody busy is taken off their call.
        expect(engine.activeCalls().sort()).toEqual(callsBefore);
        for (const [op, id] of busyBefore) expect(engine.operator(op)?.id_call ?? null).toBe(id);
        const kept = new Set(next.operators.map((o) => o.id));
        for (const op of engine.operators()) if (!kept.has(op.id_operator)) expect(summary.operatorsLeaving).toContain(op.id_operator);
        for (const id of kept) expect(engine.operator(id)).toBeDefined();
        break;
      }
      case 'arrive':
        results.push(engine.inboundCall({ numberId: (s.a % 3) + 1, caller: `336${String(s.b).padStart(8, '0')}` }));
        break;
      case 'login': {
        const op = inState('logged_out');
        const r = engine.operatorLogin(op);
        const known = current.operators.some((o) => o.id === op);
        if (!known && r.ok) problems.push(`operator ${op} logged in though removed`);
        if (!known && !r.ok) expect(r.error).toBe('OPERATOR_UNKNOWN');
        results.push(r);
        break;
      }
      case 'logout':
        results.push(engine.operatorLogout(inState('available', 'paused', 'wrapup', 'reserved')));
        break;
      case 'pause':
        results.push(engine.operatorPause(inState('available', 'wrapup'), 1));
        break;
      case 'unpause':
        results.push(engine.operatorUnpause(inState('paused')));
        break;
      case 'answer':
        results.push(engine.operatorAnswer(inState('ringing')));
        break;
      case 'hangup':
        results.push(engine.operatorHangup(inState('connected', 'calling')));
        break;
      case 'transfer':
        results.push(engine.operatorTransfer(inState('connected'), s.b % 2 ? { type: 'group', id: pick(ALL_GROUPS, s.b)! } : { type: 'operator', id: pick(ALL_OPS, s.b)! }));
        break;
      case 'call':
        results.push(engine.operatorCall(inState('available'), `331${String(s.b).padStart(8, '0')}`));
        break;
      case 'callback':
        results.push(engine.callbackRequest({ e164: `337${String(s.b).padStart(8, '0')}` }));
        break;
      case 'pushAccept': {
        const op = snaps.find((o) => o.id_push !== null);
        if (op) results.push(engine.pushAccept(op.id_operator, op.id_push!));
        break;
      }
      case 'callHangup':
        if (call !== undefined) results.push(engine.callHangup(call));
        break;
      case 'ivr':
        if (call !== undefined) results.push(engine.ivrInput(call, { dtmf: String((s.b % 2) + 1) }));
        break;
    }
    // No call waits in a group while one of its operators is available (distribution
    // follows the new memberships at once).
    const members = new Map<number, number[]>();
    for (const o of current.operators) for (const g of o.groups) if (current.groups.includes(g)) members.set(g, [...(members.get(g) ?? []), o.id]);
    for (const id of engine.activeCalls()) {
      const c = engine.call(id)!;
      if (c.phase !== 'queued' || c.id_queue === null) continue;
      for (const op of members.get(c.id_queue) ?? []) {
        if (engine.operator(op)?.state === 'available') problems.push(`call ${id} waits in group ${c.id_queue} while operator ${op} is available`);
      }
    }
    // A removed operator is never seen outside a call or its wrap-up.
    const kept = new Set(current.operators.map((o) => o.id));
    for (const o of engine.operators()) {
      if (!kept.has(o.id_operator) && !['ringing', 'connected', 'calling', 'wrapup'].includes(o.state)) problems.push(`removed operator ${o.id_operator} lingers ${o.state}`);
    }
  }
  for (let round = 0; round < 5 && (engine.callCount > 0 || engine.activePushes().length > 0); round++) {
    for (const id of engine.activePushes()) engine.callbackCancel(id);
    for (const id of engine.activeCalls()) engine.callHangup(id);
    sched.runUntil(sched.now() + 3_600_000);
  }
  return { engine, checker, results, problems, current, seen };
}

describe('re-import applied to a running engine (property-based)', () => {
  it('keeps every call, keeps the stream lawful, lets new operators in and removed ones out once free', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(shapeArb, { minLength: 1, maxLength: 4 }), fc.array(stepArb, { minLength: 1, maxLength: 120 }), (first, imports, steps) => {
        const { engine, checker, results, problems, current } = run(first, imports, steps);
        expect(problems).toEqual([]);
        for (const r of results) if (!r.ok) expect(Object.keys(ENGINE_ERRORS)).toContain(r.error);
        expect(checker.finalErrors()).toEqual([]);
        expect(engine.callCount).toBe(0);
        // Once everything ended, the engine's operators are exactly the directory's.
        expect(engine.operators().map((o) => o.id_operator).sort()).toEqual(current.operators.map((o) => o.id).sort());
        for (const o of current.operators) {
          const snap = engine.operator(o.id)!;
          if (snap.state === 'logged_out') expect(engine.operatorLogin(o.id).ok).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a removed operator on a call finishes it, then is logged out and gone; a new one logs in at once', () => {
    const sched = new VirtualScheduler();
    const checker = new LawfulChecker(ACCOUNT_ID);
    const seen: Notification[] = [];
    const base: Shape = { groups: [1], operators: [{ id: 1, groups: [1] }, { id: 2, groups: [1] }], strategy: 'longest-idle', catchup: 5, numbers: [1] };
    const engine = new Engine(directory(base), { scheduler: sched, sink: (n) => (seen.push(n), checker.observe(n)) });
    expect(engine.operatorLogin(1).ok).toBe(true);
    const call = engine.inboundCall({ numberId: 1, caller: '33612345678' });
    expect(call.ok).toBe(true);
    expect(engine.operatorAnswer(1).ok).toBe(true);
    expect(engine.operatorLogin(2).ok).toBe(true);

    // Operator 1 (on the call) and 2 (available) are removed; 3 is new.
    const summary = engine.applyDirectory(directory({ ...base, operators: [{ id: 3, groups: [1] }] }));
    expect(summary).toMatchObject({ operatorsAdded: [3], operatorsRemoved: [2], operatorsLeaving: [1] });
    expect(engine.operator(2)).toBeUndefined();
    expect(engine.operator(1)).toMatchObject({ state: 'connected' });
    expect(engine.operatorLogin(1)).toMatchObject({ ok: false, error: 'OPERATOR_UNKNOWN' });
    expect(engine.operatorLogin(2)).toMatchObject({ ok: false, error: 'OPERATOR_UNKNOWN' });
    expect(engine.operatorLogin(3).ok).toBe(true);

    // The call goes on to its end; then the wrap-up, then operator 1's logout.
    expect(engine.operatorHangup(1).ok).toBe(true);
    expect(engine.operator(1)).toMatchObject({ state: 'wrapup' });
    sched.runUntil(sched.now() + 10_000);
    expect(engine.operator(1)).toBeUndefined();
    const ui = seen.filter((n) => n.type_notification === 'UI').map((n) => `${n.event}:${(n.msg as { id_operator: number }).id_operator}`);
    expect(ui).toEqual(['login:1', 'login:2', 'logout:2', 'login:3', 'logout:1']);
    expect(checker.finalErrors()).toEqual([]);
  });
});
