// The embedded media plane as the main thread sees it: a thin proxy that posts each call to
// the media worker (worker.ts) and awaits its answer. A refusal comes back as the same
// MediaError; a worker that is gone refuses with MEDIA_UNAVAILABLE (and a fresh one starts
// on the next new leg). Legs' counters are read from memory the worker writes.
import { Worker } from 'node:worker_threads';
import { MediaError, type LegStats, type MediaEvents, type MediaPlane, type MediaPlaneOptions, type RecordingResult } from '../plane.ts';
import { DEFAULT_PORTS, statsLength } from './engine.ts';
import { STAT, STAT_FIELDS } from './leg.ts';
import type { MediaThread, Op, Reply, WorkerData } from './messages.ts';

/** Requests waiting for the worker at most; more are refused (MEDIA_UNAVAILABLE). */
export const MAX_PENDING = 10_000;

export interface NodeMediaPlaneOptions extends MediaPlaneOptions {
  /** CPUs to keep the media worker's thread on (`vm serve --media-cpu`); none: where the process runs. */
  cpus?: number[];
  /** Sound files the worker decodes as it starts (the built-ins), before ready() resolves. */
  preload?: string[];
  /** Where the worker's placement is reported (pino's shape). */
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
}

export type { MediaThread };

interface Pending {
  resolve: (r: { value: unknown; slot?: number }) => void;
  reject: (e: Error) => void;
}

export class NodeMediaPlane implements MediaPlane {
  private worker: Worker | undefined;
  /** The current worker's thread, once it has started. */
  private thread: Promise<MediaThread> | undefined;
  private started: ((t: MediaThread) => void) | undefined;
  private readonly log: NodeMediaPlaneOptions['log'];
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly slots = new Map<string, number>();
  private readonly events: MediaEvents;
  private readonly data: WorkerData;
  private readonly stats_: Float64Array;
  private stopped = false;

  constructor(opts: NodeMediaPlaneOptions) {
    this.events = opts.events;
    this.log = opts.log;
    const ports = opts.ports ?? DEFAULT_PORTS;
    const stats = new SharedArrayBuffer(statsLength(ports) * Float64Array.BYTES_PER_ELEMENT);
    this.stats_ = new Float64Array(stats);
    this.data = { address: opts.address ?? '127.0.0.1', ...(opts.webrtcAddress ? { webrtcAddress: opts.webrtcAddress } : {}), ports, stats, ...(opts.cpus?.length ? { cpus: [...opts.cpus] } : {}), ...(opts.preload?.length ? { preload: [...opts.preload] } : {}) };
  }

  /**
   * Starts the worker now rather than at the first call (loading it takes 0.3–1.3 s: tsx
   * and the engine's modules, compiled in the new thread), and resolves once it runs and
   * has decoded the sounds to preload: its thread id, priority and CPUs. @throws MediaError MEDIA_UNAVAILABLE if it cannot start
   */
  ready(): Promise<MediaThread> {
    if (this.stopped) return Promise.reject(new MediaError('MEDIA_UNAVAILABLE', 'The media plane is stopped.'));
    this.worker ??= this.start();
    return this.thread!;
  }

  private start(): Worker {
    const w = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: this.data });
    let failStart: (e: Error) => void = () => undefined;
    this.thread = new Promise<MediaThread>((resolve, reject) => {
      this.started = resolve;
      failStart = reject;
    });
    this.thread.catch(() => undefined);
    w.on('message', (r: Reply) => this.receive(r));
    const fail = (e: Error) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      failStart(new MediaError('MEDIA_UNAVAILABLE', `The media worker stopped: ${e.message}`));
      this.slots.clear();
      for (const p of this.pending.values()) p.reject(new MediaError('MEDIA_UNAVAILABLE', `The media worker stopped: ${e.message}`));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    // Idle (no request on its way) it keeps no one alive, once started (its first message);
    // its sockets are unref'd with it.
    return w;
  }

  private receive(r: Reply): void {
    if ('event' in r && r.event === 'thread') {
      const { event: _, ...t } = r;
      if (t.cpusError) this.log?.warn({ tid: t.tid, cpus: t.cpus, wanted: this.data.cpus }, `media worker: ${t.cpusError}`);
      else if (this.data.cpus) this.log?.info({ tid: t.tid, cpus: t.cpus, nice: t.nice }, 'media worker placed on its CPUs');
      if (t.preloadErrors) this.log?.warn({ errors: t.preloadErrors }, 'media worker: sounds not decoded at start (decoded at their first use)');
      this.started?.(t);
      if (this.pending.size === 0) this.worker?.unref();
      return;
    }
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

  answer(call: string, leg: string, offer: string): Promise<string> {
    return this.create('answer', leg, [call, leg, offer]);
  }

  offer(call: string, leg: string, opts?: { webrtc?: boolean }): Promise<string> {
    return this.create('offer', leg, opts?.webrtc ? [call, leg, { webrtc: true }] : [call, leg]);
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
