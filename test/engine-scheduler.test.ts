// The schedulers: virtual time runs timers in (time, insertion) order and only when
// advanced; real time fires them from Node timers (checked under fake timers, not by the wall clock).
import { afterEach, describe, expect, it, vi } from 'vitest';
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
  // Node's timers and Date under vitest's fake timers: the test moves time, so each timer's
  // moment is checked exactly and "nothing more runs" is checked by advancing past it.
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A scheduler on fake timers, and `mark(name)`: a callback recording `name@<ms since start>`. */
  function fakeTimedScheduler() {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 5, 8, 0, 0) });
    const s = new RealTimeScheduler();
    const start = s.now();
    const seen: string[] = [];
    const mark = (name: string) => () => seen.push(`${name}@${s.now() - start}`);
    return { s, start, seen, mark };
  }

  it('fires each timer when the clock reaches its time, in (time, insertion) order; stop() prevents the rest', () => {
    const { s, start, seen, mark } = fakeTimedScheduler();
    s.after(30, mark('b'));
    s.after(10, mark('a'));
    s.at(start + 30, mark('c')); // same time as b, set later: runs after it
    s.after(10_000, mark('z'));
    expect(vi.getTimerCount()).toBe(1); // one Node timer, armed for the earliest

    vi.advanceTimersByTime(9);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['a@10']);
    vi.advanceTimersByTime(19);
    expect(seen).toEqual(['a@10']);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(['a@10', 'b@30', 'c@30']);

    s.stop();
    expect(vi.getTimerCount()).toBe(0);
    s.after(0, mark('after-stop'));
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(20_000);
    expect(seen).toEqual(['a@10', 'b@30', 'c@30']);
  });

  it('re-arms for an earlier timer, runs a past time at once, skips cancelled ones, and runs timers set by a timer in the same turn when due', () => {
    const { s, start, seen, mark } = fakeTimedScheduler();
    s.after(100, mark('late'));
    s.after(50, () => {
      mark('early')();
      s.after(0, mark('chained'));
    });
    s.after(70, mark('cancelled')).cancel();
    s.at(start - 1000, mark('past'));
    vi.advanceTimersByTime(0);
    expect(seen).toEqual(['past@0']);
    vi.advanceTimersByTime(50);
    expect(seen).toEqual(['past@0', 'early@50', 'chained@50']);
    vi.advanceTimersByTime(50);
    expect(seen).toEqual(['past@0', 'early@50', 'chained@50', 'late@100']);
    expect(vi.getTimerCount()).toBe(0); // nothing left armed
    s.stop();
  });

  it('runs on real Node timers, in time order', async () => {
    const s = new RealTimeScheduler();
    const seen: number[] = [];
    const second = new Promise<void>((resolve) =>
      s.after(30, () => {
        seen.push(2);
        resolve();
      }),
    );
    s.after(10, () => seen.push(1));
    s.after(10_000, () => seen.push(3));
    await second;
    expect(seen).toEqual([1, 2]);
    s.stop();
  });
});
