// What every scenario shares: the run's configuration, progress on stderr, server children
// pinned to the server's core, and the pool of websocket load generators on the other core.
import { performance } from 'node:perf_hooks';
import { spawnChild, type Child } from './procs.ts';
import { Histogram, type HistogramJson } from './histogram.ts';
import type { ResumeMode } from '../load/sio-client.ts';

export type Side = 'ours' | 'bare';

export interface Config {
  /** Short durations and fewer connections, for development. */
  quick: boolean;
  /** Overrides the measured duration of fanout, latency and resume (seconds). */
  durationS?: number;
  /** Overrides the number of clients of fanout, latency and resume. */
  clients?: number;
  /** Overrides the number of idle sockets of the connections scenario. */
  connections?: number;
  /** Load-generator processes. */
  workers: number;
  /** Cores (taskset list) of the server under test and of the load generators. */
  serverCpus: string;
  clientCpus: string;
  /** Rounds of fanout and latency, each side once per round in ABBA order. */
  rounds: number;
}

const t0 = performance.now();

/** Progress on stderr (stdout stays clean). */
export function log(msg: string): void {
  process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * ABBA order over `rounds`: bare, ours, ours, bare, … (cancels a drift in machine load).
 * BENCH_ONLY=bare|ours keeps one side (a tuning aid: its ratios are then meaningless).
 */
export function sides(rounds: number): Side[] {
  const out: Side[] = [];
  for (let i = 0; i < rounds; i++) out.push(...((i % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare']) as Side[]));
  const only = process.env.BENCH_ONLY;
  return only ? out.filter((s) => s === only) : out;
}

/** Bare then ours, once (the scenarios that are not repeated). */
export const pair = (): Side[] => sides(1);

export interface ServerInfo {
  port: number;
  pid: number;
  initArgs: unknown[];
}

export interface CpuWindow {
  cpu: { user: number; system: number };
  wallMs: number;
  elu: number;
}

/** CPU use as a share of one core. */
export const coreShare = (w: CpuWindow) => Math.round(((w.cpu.user + w.cpu.system) / 1000 / w.wallMs) * 100) / 100;

/** Starts a server child (ours / bare / fastify) on the server cores, runs `fn`, stops it. */
export async function withServer<T>(cfg: Config, kind: Side | 'fastify', opts: object, fn: (s: Child, info: ServerInfo) => Promise<T>): Promise<T> {
  const s = spawnChild(`server:${kind}`, 'server/child.ts', { cpus: cfg.serverCpus, args: [kind, JSON.stringify(opts)] });
  try {
    const info = await s.call<ServerInfo>('info', {}, 60_000);
    return await fn(s, info);
  } finally {
    await s.stop();
  }
}

interface WorkerWindow extends CpuWindow {
  deliveries: number;
  latency?: HistogramJson;
}

/** The websocket load generators, all on the client cores. */
export class Workers {
  private readonly children: Child[];

  constructor(private readonly cfg: Config) {
    this.children = Array.from({ length: cfg.workers }, (_, i) => spawnChild(`ws-worker:${i}`, 'load/ws-worker.ts', { cpus: cfg.clientCpus }));
  }

  private all<T>(cmd: string, args: object | ((i: number) => object) = {}, timeoutMs?: number): Promise<T[]> {
    return Promise.all(this.children.map((c, i) => c.call<T>(cmd, typeof args === 'function' ? args(i) : args, timeoutMs)));
  }

  /** Connects `total` clients spread over the workers; all must succeed. */
  async connect(port: number, total: number, initArgs: unknown[], resume: ResumeMode = 'since', concurrency = 50) {
    const n = this.cfg.workers;
    const share = (i: number) => Math.floor(total / n) + (i < total % n ? 1 : 0);
    const rs = await this.all<{ connected: number; failed: number; ms: number; errors: string[] }>(
      'connect',
      (i) => ({ url: `http://127.0.0.1:${port}`, n: share(i), initArgs, resume, concurrency }),
      600_000,
    );
    const connected = rs.reduce((a, r) => a + r.connected, 0);
    const failed = rs.reduce((a, r) => a + r.failed, 0);
    const ms = Math.max(...rs.map((r) => r.ms));
    if (failed > 0) throw new Error(`${failed} of ${total} clients failed to connect: ${rs.flatMap((r) => r.errors).join(' | ')}`);
    return { connected, ms };
  }

  mark(args: object = {}): Promise<unknown> {
    return this.all('mark', args);
  }

  /** Deliveries per second summed over workers, their CPU, and the merged latency histogram. */
  async sinceMark() {
    const ws = await this.all<WorkerWindow>('sinceMark');
    const latency = new Histogram();
    for (const w of ws) if (w.latency) latency.merge(w.latency);
    return {
      deliveries: ws.reduce((a, w) => a + w.deliveries, 0),
      perSecond: ws.reduce((a, w) => a + (w.deliveries * 1000) / w.wallMs, 0),
      cores: Math.round(ws.reduce((a, w) => a + coreShare(w), 0) * 100) / 100,
      elu: ws.map((w) => Math.round(w.elu * 100) / 100),
      latency,
    };
  }

  call<T>(cmd: string, args: object = {}, timeoutMs?: number): Promise<T[]> {
    return this.all<T>(cmd, args, timeoutMs);
  }

  closeAll(): Promise<unknown> {
    return this.all('closeAll');
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.stop()));
  }
}

export const round2 = (x: number) => Math.round(x * 100) / 100;
export const round3 = (x: number) => Math.round(x * 1000) / 1000;
