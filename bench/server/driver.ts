// Publishing loops, the same for every server: a flood as fast as the server accepts (with
// backpressure on what the kernel has not taken yet), and a fixed rate on an absolute schedule.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Target } from './targets.ts';
import { benchEvent, nowUs } from '../lib/events.ts';

export interface Window {
  published: number;
  wallMs: number;
  /** CPU time of the server process over the window (µs). */
  cpu: { user: number; system: number };
  /** Event-loop utilisation over the window, 0..1: 1 means the server was saturated. */
  elu: number;
}

/** Tracks the TCP sockets of a server to read how many bytes wait in user space. */
export class Backlog {
  private readonly sockets = new Set<Socket>();
  constructor(target: Target) {
    target.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }
  bytes(): number {
    let n = 0;
    for (const s of this.sockets) n += s.writableLength;
    return n;
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function measure<T>(run: () => Promise<T>): Promise<T & Window> {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  return run().then((r) => {
    const d = process.cpuUsage(cpu0);
    return { ...r, wallMs: performance.now() - t0, cpu: { user: d.user, system: d.system }, elu: performance.eventLoopUtilization(elu0).utilization } as T & Window;
  });
}

let seq = 0;

/**
 * Publishes batches of `batch` events back to back for `ms`, waiting for each batch to be
 * taken (ours: durable and fanned out; bare: one event-loop turn) and pausing while more
 * than `maxBuffered` bytes sit in the sockets' user-space write buffers.
 */
export function flood(target: Target, backlog: Backlog, ms: number, batch: number, maxBuffered: number): Promise<Window & { stalls: number; failed: number }> {
  return measure(async () => {
    const end = performance.now() + ms;
    let published = 0;
    let stalls = 0;
    let failed = 0;
    while (performance.now() < end) {
      if (backlog.bytes() > maxBuffered) {
        stalls++;
        await sleep(1);
        continue;
      }
      let last: Promise<number> | number = 0;
      for (let i = 0; i < batch; i++) last = target.publish(benchEvent(seq++, nowUs()));
      published += batch;
      if (typeof last === 'number') await tick();
      else await last.catch(() => failed++);
    }
    return { published, stalls, failed };
  });
}

/** A fixed-rate publisher that runs until stopped. */
export class RatePublisher {
  private published = 0;
  private lastCpt = 0;
  private last: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failed = 0;
  private readonly started: Promise<Window & { published: number; lastCpt: number; failed: number }>;
  private stopRun!: () => void;

  constructor(
    private readonly target: Target,
    perSecond: number,
  ) {
    this.started = measure(async () => {
      const start = performance.now();
      const stopped = new Promise<void>((resolve) => (this.stopRun = resolve));
      const due = () => Math.floor(((performance.now() - start) * perSecond) / 1000) + 1;
      const step = () => {
        for (let n = due(); this.published < n; ) this.publishOne();
        const next = start + ((this.published + 0) * 1000) / perSecond;
        this.timer = setTimeout(step, Math.max(0, next - performance.now()));
      };
      step();
      await stopped;
      clearTimeout(this.timer);
      await this.last;
      return { published: this.published, lastCpt: this.lastCpt, failed: this.failed };
    });
  }

  private publishOne(): void {
    this.published++;
    const r = this.target.publish(benchEvent(seq++, nowUs()));
    if (typeof r === 'number') this.lastCpt = r;
    else
      this.last = r.then(
        (cpt) => void (this.lastCpt = Math.max(this.lastCpt, cpt)),
        () => void this.failed++,
      );
  }

  /** Stops, waits for what is in flight, and returns the window. */
  stop(): Promise<Window & { published: number; lastCpt: number; failed: number }> {
    this.stopRun();
    return this.started;
  }
}
