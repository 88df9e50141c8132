// The embedded media plane as the main thread sees it: a thin proxy that posts each call to
// the media worker (worker.ts) and awaits its answer. A refusal comes back as the same
// MediaError; a worker that is gone refuses with MEDIA_UNAVAILABLE (and a fresh one starts
// on the next new leg). Legs' counters are read from memory the worker writes.
import { Worker } from 'node:worker_threads';
import { MediaError, type LegStats, type MediaEvents, type MediaPlane, type MediaPlaneOptions, type RecordingResult } from '../plane.ts';
import { DEFAULT_PORTS, statsLength } from './engine.ts';
import { STAT, STAT_FIELDS } from './leg.ts';
import type { Op, Reply, WorkerData } from './messages.ts';

/** Requests waiting for the worker at most; more are refused (MEDIA_UNAVAILABLE). */
export const MAX_PENDING = 10_000;

interface Pending {
  resolve: (r: { value: unknown; slot?: number }) => void;
  reject: (e: Error) => void;
}

export class NodeMediaPlane implements MediaPlane {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly slots = new Map<string, number>();
  private readonly events: MediaEvents;
  private readonly data: WorkerData;
  private readonly stats_: Float64Array;
  private stopped = false;

  constructor(opts: MediaPlaneOptions) {
    this.events = opts.events;
    const ports = opts.ports ?? DEFAULT_PORTS;
    const stats = new SharedArrayBuffer(statsLength(ports) * Float64Array.BYTES_PER_ELEMENT);
    this.stats_ = new Float64Array(stats);
    this.data = { address: opts.address ?? '127.0.0.1', ports, stats };
  }

  private start(): Worker {
    const w = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: this.data });
    w.on('message', (r: Reply) => this.receive(r));
    const fail = (e: Error) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.slots.clear();
      for (const p of this.pending.values()) p.reject(new MediaError('MEDIA_UNAVAILABLE', `The media worker stopped: ${e.message}`));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    // Idle (no request on its way) it keeps no one alive; its sockets are unref'd with it.
    w.unref();
    return w;
  }

  private receive(r: Reply): void {
    if ('event' in r) {
      try {
        if (r.event === 'dtmf') this.events.dtmf(r.leg, r.digit);
        else this.events.played?.(r.leg);
      } catch {
        // A listener's failure is the listener's.
      }
      return;
    }
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (r.ok) p.resolve(r);
    else p.reject(r.code ? new MediaError(r.code, r.message) : new Error(r.message));
  }

  private async call(op: Op, args: unknown[], { creates = false } = {}): Promise<{ value: unknown; slot?: number }> {
    if (this.stopped) throw new MediaError('MEDIA_UNAVAILABLE', 'The media plane is stopped.');
    if (!this.worker && !creates) throw new MediaError('MEDIA_UNKNOWN_LEG', 'The media worker has no legs.');
    if (this.pending.size >= MAX_PENDING) throw new MediaError('MEDIA_UNAVAILABLE', 'The media worker is overloaded.');
    const w = (this.worker ??= this.start());
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, op, args });
    });
  }

  private async create(op: 'answer' | 'offer', leg: string, args: unknown[]): Promise<string> {
    const r = await this.call(op, args, { creates: true });
    if (r.slot !== undefined) this.slots.set(leg, r.slot);
    return r.value as string;
  }

  /**
   * Starts the worker now and resolves once it answers. Loading it takes a moment (seconds
   * on a busy machine: its modules are compiled as it starts); warmed when the plane is
   * created, the first call does not wait for it.
   */
  async warm(): Promise<void> {
    await this.call('ping', [], { creates: true });
  }

  answer(call: string, leg: string, offer: string): Promise<string> {
    return this.create('answer', leg, [call, leg, offer]);
  }

  offer(call: string, leg: string): Promise<string> {
    return this.create('offer', leg, [call, leg]);
  }

  async answered(leg: string, answer: string): Promise<void> {
    await this.call('answered', [leg, answer]);
  }

  async reoffer(leg: string, offer: string): Promise<string> {
    return (await this.call('reoffer', [leg, offer])).value as string;
  }

  async play(leg: string, file: string, opts: { loop: boolean }): Promise<void> {
    await this.call('play', [leg, file, { loop: opts.loop }]);
  }

  async stopPlay(leg: string): Promise<void> {
    await this.call('stopPlay', [leg]);
  }

  async bridge(a: string, b: string): Promise<void> {
    await this.call('bridge', [a, b]);
  }

  async unbridge(leg: string): Promise<void> {
    await this.call('unbridge', [leg]);
  }

  async startRecording(call: string, legs: readonly string[], file: string): Promise<void> {
    await this.call('startRecording', [call, [...legs], file]);
  }

  async stopRecording(call: string): Promise<RecordingResult | undefined> {
    if (!this.worker) return undefined;
    return (await this.call('stopRecording', [call])).value as RecordingResult | undefined;
  }

  async close(leg: string): Promise<void> {
    this.slots.delete(leg);
    if (!this.worker) return;
    await this.call('close', [leg]);
  }

  stats(leg: string): LegStats | undefined {
    const slot = this.slots.get(leg);
    if (slot === undefined) return undefined;
    const s = this.stats_.subarray(slot * STAT_FIELDS, (slot + 1) * STAT_FIELDS);
    return { rxPackets: s[STAT.rxPackets]!, txPackets: s[STAT.txPackets]!, rxBytes: s[STAT.rxBytes]!, txBytes: s[STAT.txBytes]! };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    const w = this.worker;
    if (w) await this.call('stop', []).catch(() => undefined);
    this.stopped = true;
    this.worker = undefined;
    this.slots.clear();
    if (w) await w.terminate();
  }
}
