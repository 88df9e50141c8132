// The 20 ms media clock: tick n is due at origin + 20·n on the monotonic clock, whatever
// the timers' own lateness, so pacing does not drift. A late wake-up sends the ticks that
// are due, at most MAX_CATCH_UP of them (a longer stall is skipped, not burst out).
import { performance } from 'node:perf_hooks';

export const FRAME_MS = 20;
/** Samples per frame at 8 kHz. */
export const FRAME_SAMPLES = 160;
/** The most ticks one late wake-up sends. */
export const MAX_CATCH_UP = 5;

/**
 * The ticks to run on waking at `elapsedMs` after the origin when `next` is the first not
 * yet run: [first, last] (empty when first > last). Never a tick before its time, never
 * one twice, at most `maxCatchUp`, the most recent ones when more are due.
 */
export function dueTicks(next: number, elapsedMs: number, periodMs = FRAME_MS, maxCatchUp = MAX_CATCH_UP): { first: number; last: number } {
  const last = Math.floor(elapsedMs / periodMs);
  return { first: Math.max(next, last - maxCatchUp + 1), last };
}

/** Runs `onTick(n)` for each due tick while anyone holds the clock. */
export class MediaClock {
  private readonly origin = performance.now();
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private holders = 0;

  constructor(private readonly onTick: (tick: number) => void) {}

  /** Milliseconds since the clock's origin (the time base of tick numbers). */
  now(): number {
    return performance.now() - this.origin;
  }

  /** The tick now due (may not have run yet). */
  current(): number {
    return Math.floor(this.now() / FRAME_MS);
  }

  hold(): void {
    if (this.holders++ === 0) {
      // Ticks missed while nobody held the clock are not owed to anyone.
      this.next = this.current() + 1;
      this.schedule();
    }
  }

  release(): void {
    if (this.holders > 0 && --this.holders === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    const wait = Math.max(0, this.next * FRAME_MS - this.now());
    this.timer = setTimeout(() => this.wake(), wait);
  }

  private wake(): void {
    this.timer = undefined;
    const { first, last } = dueTicks(this.next, this.now());
    for (let n = first; n <= last && this.holders > 0; n++) this.onTick(n);
    this.next = Math.max(this.next, last + 1);
    if (this.holders > 0 && !this.timer) this.schedule();
  }
}
