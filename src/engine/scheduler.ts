// Timers for the engine: one interface, two drivers. `VirtualScheduler` is advanced by hand
// (tests, `vm simulate`), `RealTimeScheduler` follows the wall clock (`vm serve`). Both keep
// timers in one binary min-heap ordered by (time, insertion order), so timers due at the
// same instant run in the order they were set: simulations are deterministic.
import { systemClock, type Clock } from '../clock.ts';

/** A pending timer; `cancel()` is idempotent and O(1) (the heap drops it lazily). */
export interface TimerHandle {
  readonly at: number;
  cancel(): void;
}

/** What the engine needs of time. All times are milliseconds since the Unix epoch. */
export interface Scheduler extends Clock {
  now(): number;
  /** Runs `fn` at time `at` (or as soon as possible if it is already past). */
  at(at: number, fn: () => void): TimerHandle;
  /** Runs `fn` `delayMs` from now. */
  after(delayMs: number, fn: () => void): TimerHandle;
}

class Timer implements TimerHandle {
  cancelled = false;
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
  cancel(): void {
    this.cancelled = true;
  }
}

const before = (a: Timer, b: Timer): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** A binary min-heap of timers. */
export class TimerHeap {
  private readonly items: Timer[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(at: number, fn: () => void): Timer {
    const t = new Timer(at, this.seq++, fn);
    const a = this.items;
    let i = a.length;
    a.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!before(t, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = t;
    return t;
  }

  /** The earliest live timer, dropping cancelled ones on the way. */
  peek(): Timer | undefined {
    const a = this.items;
    while (a.length > 0 && a[0]!.cancelled) this.pop();
    return a[0];
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(a[r]!, a[l]!) ? r : l;
      const child = a[c]!;
      if (!before(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }
}

/** Virtual time: nothing happens until the owner advances it. */
export class VirtualScheduler implements Scheduler {
  private t: number;
  private readonly heap = new TimerHeap();

  /** @param start virtual start time in ms since epoch. @default 2026-01-05T08:00:00Z (a Monday) */
  constructor(start = Date.UTC(2026, 0, 5, 8, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  at(at: number, fn: () => void): TimerHandle {
    return this.heap.push(at < this.t ? this.t : at, fn);
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    return this.heap.push(this.t + (delayMs > 0 ? delayMs : 0), fn);
  }

  /** Time of the next live timer, if any. */
  nextAt(): number | undefined {
    return this.heap.peek()?.at;
  }

  /** Runs the next timer; false when none is left. */
  step(): boolean {
    const timer = this.heap.peek();
    if (!timer) return false;
    this.heap.pop();
    this.t = timer.at;
    timer.fn();
    return true;
  }

  /** Runs every timer due at or before `until` (including ones they set), then sets now to `until`. */
  runUntil(until: number): void {
    const heap = this.heap;
    for (;;) {
      const timer = heap.peek();
      if (timer === undefined || timer.at > until) break;
      heap.pop();
      this.t = timer.at;
      timer.fn();
    }
    if (until > this.t) this.t = until;
  }

  /** Runs timers until none is left or `maxSteps` ran; returns the number run. */
  runAll(maxSteps = Number.POSITIVE_INFINITY): number {
    let n = 0;
    while (n < maxSteps && this.step()) n++;
    return n;
  }
}

/**
 * Wall-clock time: one Node timer armed for the earliest engine timer. Timers that fall due
 * together run in one turn, in order.
 */
export class RealTimeScheduler implements Scheduler {
  private readonly heap = new TimerHeap();
  private armed: { at: number; handle: ReturnType<typeof setTimeout> } | undefined;
  private stopped = false;

  constructor(private readonly clock: Clock = systemClock) {}

  now(): number {
    return this.clock.now();
  }

  at(at: number, fn: () => void): TimerHandle {
    const timer = this.heap.push(at, fn);
    this.arm();
    return timer;
  }

  after(delayMs: number, fn: () => void): TimerHandle {
    return this.at(this.clock.now() + (delayMs > 0 ? delayMs : 0), fn);
  }

  /** Cancels the Node timer; pending engine timers never run. */
  stop(): void {
    this.stopped = true;
    if (this.armed) clearTimeout(this.armed.handle);
    this.armed = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.heap.peek();
    if (!next) return;
    if (this.armed && this.armed.at <= next.at) return;
    if (this.armed) clearTimeout(this.armed.handle);
    const delay = Math.max(0, next.at - this.clock.now());
    const handle = setTimeout(() => this.fire(), delay);
    // The engine's timers alone must not keep a process alive (tests, CLI exit).
    handle.unref?.();
    this.armed = { at: next.at, handle };
  }

  private fire(): void {
    this.armed = undefined;
    const now = this.clock.now();
    for (;;) {
      const timer = this.heap.peek();
      if (timer === undefined || timer.at > now || this.stopped) break;
      this.heap.pop();
      timer.fn();
    }
    this.arm();
  }
}
