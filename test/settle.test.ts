// The closing routine of a crash recovery, as a property: whatever point a center's stream
// is cut at (the process died there), the stream followed by the closing events OpenState
// derives from it is lawful (PROTOCOL §5) and leaves nothing open: every call ended, every
// leg deleted, no operator on a call, every operator logged out, no suspension left.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/sim/index.ts';
import { OpenState } from '../src/engine/recovery.ts';
import { Engine, VirtualScheduler } from '../src/engine/index.ts';
import type { Notification } from '../src/protocol/index.ts';
import { LawfulChecker } from './engine-lawful.ts';

describe('settling a cut stream', () => {
  it('closes whatever a cut left open with lawful events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          operators: fc.integer({ min: 1, max: 6 }),
          catchup: fc.integer({ min: 0, max: 20 }),
          ivrShare: fc.constantFrom(0, 0.4),
          callbackShare: fc.constantFrom(0, 0.2),
          transferShare: fc.constantFrom(0, 0.1),
          pausesPerHour: fc.constantFrom(0, 2),
          cut: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        async (o) => {
          const stream: { n: Notification; at: number }[] = [];
          await runSimulation(
            { operators: o.operators, callsPerHour: 120, aht: 60, patience: 90, duration: 900, seed: o.seed, catchup: o.catchup, ivrShare: o.ivrShare, callbackShare: o.callbackShare, transferShare: o.transferShare, pausesPerHour: o.pausesPerHour, answerDelay: [1, 4] },
            (n, at) => stream.push({ n: JSON.parse(JSON.stringify(n)), at }),
          );
          const cut = stream.slice(0, Math.floor(o.cut * stream.length));
          const open = new OpenState(1);
          const checker = new LawfulChecker(1);
          for (const e of cut) {
            open.apply(e.n, e.at);
            checker.observe(e.n);
          }
          const closing = open.closingEvents(cut.at(-1)?.at ?? 0);
          for (const n of closing) checker.observe(n);
          expect(checker.errors).toEqual([]);
          expect(checker.finalErrors()).toEqual([]);
          expect([...checker.ops.entries()].filter(([, t]) => t.loggedIn).map(([id]) => id)).toEqual([]);
          expect(open.isSettled).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('closes a consultation cut at any point (consulting operator holding, consulted one ringing or talking, completed)', () => {
    const sched = new VirtualScheduler();
    const stream: { n: Notification; at: number }[] = [];
    const engine = new Engine(
      {
        account: { id: 1, name: 'Consult' },
        groups: [{ id: 1, name: 'Sales', catchup: 10 }],
        operators: [{ id: 1, name: 'Ann', groups: [1] }, { id: 2, name: 'Bob', groups: [1] }],
        numbers: [{ id: 1, service: '33100000001', route: { type: 'group', id: 1 } }],
      },
      { scheduler: sched, sink: (n, at) => stream.push({ n: JSON.parse(JSON.stringify(n)), at }) },
    );
    const ok = (r: { ok: boolean }) => expect(r.ok).toBe(true);
    ok(engine.operatorLogin(1));
    const id = engine.inboundCall({ service: '33100000001', caller: '33611111111' });
    ok(id);
    ok(engine.operatorAnswer(1));
    ok(engine.operatorLogin(2));
    ok(engine.operatorConsult(1, { type: 'operator', id: 2 }));
    ok(engine.operatorAnswer(2));
    ok(engine.operatorConsultCancel(1));
    ok(engine.operatorConsult(1, { type: 'operator', id: 2 }));
    ok(engine.operatorAnswer(2));
    ok(engine.operatorConsultComplete(1));
    for (let cut = 0; cut <= stream.length; cut++) {
      const open = new OpenState(1);
      const checker = new LawfulChecker(1);
      for (const e of stream.slice(0, cut)) {
        open.apply(e.n, e.at);
        checker.observe(e.n);
      }
      for (const n of open.closingEvents(stream[cut - 1]?.at ?? 0)) checker.observe(n);
      expect(checker.finalErrors(), `cut after ${cut} events`).toEqual([]);
      expect(open.isSettled).toBe(true);
    }
  });

  it('lifts the suspensions a stream left, the engine after it knowing none', () => {
    const ui = (event: string, extra: object = {}) => ({ type_notification: 'UI', event, msg: { id_operator: 7, id_client: 1, supp: '', ...extra } }) as Notification;
    const open = new OpenState(1);
    for (const n of [ui('login'), ui('suspend', { id_queue: 5 }), ui('suspend', { id_queue: 6 }), ui('unsuspend', { id_queue: 6 })]) open.apply(n, 0);
    expect(open.isSettled).toBe(false);
    expect(open.closingEvents(0)).toEqual([ui('unsuspend', { id_queue: 5 }), ui('logout')]);
    expect(open.isSettled).toBe(true);
    // Suspended while logged out: lifted too.
    open.apply(ui('suspend', { id_queue: 5 }), 1);
    expect(open.closingEvents(1)).toEqual([ui('unsuspend', { id_queue: 5 })]);
  });
});
