// The schedulers: virtual time runs timers in (time, insertion) order and only when
// advanced; real time fires them from Node timers.
import { describe, expect, it } from 'vitest';
import { RealTimeScheduler, TimerHeap, VirtualScheduler } from '../src/engine/scheduler.ts';
import fc from 'fast-check';

describe('VirtualScheduler', () => {
  it('runs timers in time order, ties in insertion order, and sets now() to each', () => {
    const s = new VirtualScheduler(1000);
    const seen: string[] = [];
    s.at(3000, () => seen.push(`c@${s.now()}`));
    s.at(2000, () => seen.push(`a@${s.now()}`));
    s.at(2000, () => seen.push(`b@${s.now()}`));
    s.after(500, () => {
      seen.push(`x@${s.now()}`);
      s.after(0, () => seen.push(`y@${s.now()}`));
    });
    s.runUntil(2500);
    expect(seen).toEqual(['x@1500', 'y@1500', 'a@2000', 'b@2000']);
    expect(s.now()).toBe(2500);
    s.runAll();
    expect(seen.at(-1)).toBe('c@3000');
  });

  it('cancelled timers never run; a past time runs now', () => {
    const s = new VirtualScheduler(0);
    let ran = 0;
    const t = s.after(10, () => ran++);
    t.cancel();
    t.cancel();
    s.at(-5, () => ran += 10);
    s.runUntil(100);
    expect(ran).toBe(10);
    expect(s.nextAt()).toBeUndefined();
  });

  it('the heap pops any sequence in sorted order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), fc.array(fc.nat(), { maxLength: 50 }), (times, cancels) => {
        const heap = new TimerHeap();
        const timers = times.map((t, i) => ({ t, i, h: heap.push(t, () => undefined) }));
        for (const c of cancels) if (timers.length) timers[c % timers.length]!.h.cancel();
        const expected = timers.filter((x) => !x.h.cancelled).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.h);
        const got = [];
        for (let x = heap.peek(); x; x = heap.peek()) got.push(heap.pop());
        expect(got).toEqual(expected);
      }),
    );
  });
});

describe('RealTimeScheduler', () => {
  it('fires timers at their time from Node timers, in order; stop() prevents the rest', async () => {
    const s = new RealTimeScheduler();
    const start = s.now();
    const seen: number[] = [];
    s.after(30, () => seen.push(2));
    s.after(10, () => {
      seen.push(1);
      expect(s.now() - start).toBeGreaterThanOrEqual(9);
    });
    s.after(10_000, () => seen.push(3));
    await new Promise((r) => setTimeout(r, 80));
    expect(seen).toEqual([1, 2]);
    s.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([1, 2]);
  });
});
