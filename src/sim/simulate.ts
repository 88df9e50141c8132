// `runSimulation`: an engine on virtual time, driven by simulated traffic for a period,
// then drained so every call ends; returns the report (and, for an Erlang C system, the
// theoretical figures beside it).
import type { AccountDirectory, AccountFile } from '../directory/schema.ts';
import type { Notification } from '../protocol/index.ts';
import { Engine, VirtualScheduler, type OperatorState } from '../engine/index.ts';
import { erlangC, type ErlangC } from './erlang.ts';
import { TrafficMetrics, type TrafficFigures } from './metrics.ts';
import { Random } from './random.ts';
import { Traffic, type TrafficBehaviour } from './traffic.ts';

/** A typical inbound day: hourly weights, hour 0–23 (UTC of the virtual clock). */
export const INTRADAY_PROFILE: readonly number[] = [
  0.05, 0.03, 0.02, 0.02, 0.02, 0.05, 0.15, 0.45, 0.85, 1.0, 1.0, 0.95, 0.75, 0.8, 0.95, 1.0, 0.9, 0.75, 0.5, 0.3, 0.2,
  0.12, 0.08, 0.06,
];

export interface SimulationOptions {
  /** Operators (generated account), or how many of the account's operators log in. @default 10 */
  operators?: number;
  /** Mean arrivals per hour over the period. */
  callsPerHour: number;
  /** Mean talk time, seconds (exponential). */
  aht: number;
  /** Mean patience, seconds (exponential); null: no abandonment. */
  patience: number | null;
  /** Arrival period, seconds. */
  duration: number;
  /** `max` runs as fast as the CPU allows; a number is a multiple of real time. @default "max" */
  speed?: 'max' | number;
  /** @default 1 */
  seed?: number;
  /** Service-level threshold, seconds. @default 20 */
  slThreshold?: number;
  /** An account to run instead of the generated one-group center. */
  account?: AccountFile | AccountDirectory;
  /** @default "flat" */
  profile?: 'flat' | 'intraday' | readonly number[];
  /** Pauses per operator-hour. @default 0 */
  pausesPerHour?: number;
  /** Mean pause, seconds. @default 300 */
  pauseDuration?: number;
  /** Share of inbound calls on an IVR number. @default 0 */
  ivrShare?: number;
  /** Share of arrivals that are web-callback requests. @default 0 */
  callbackShare?: number;
  /** Share of conversations ended by a transfer. @default 0 */
  transferShare?: number;
  /** Operator answer delay, seconds (fixed, or uniform range). @default 0 */
  answerDelay?: number | readonly [number, number];
  /** Wrap-up seconds in the generated account. @default 0 */
  catchup?: number;
  /** Seconds at the start left out of the report (the center starts empty). @default 0 */
  warmup?: number;
  /** Virtual start time (ms). @default 2026-01-05T08:00:00Z, a Monday */
  start?: number;
  /** Called about every simulated 10 minutes (max speed) or 100 ms (other speeds). */
  onProgress?: (p: { fraction: number; simulatedSeconds: number; notifications: number }) => void;
}

export interface SimulationSummary extends TrafficFigures {
  sl_threshold: number;
  operators: number;
  calls_per_hour: number;
  aht: number;
  patience: number | null;
  seed: number;
  duration: number;
  /** Period plus the drain until the last call ended. */
  simulated_seconds: number;
  notifications: number;
  wall_ms: number;
  notifications_per_sec: number;
  ivr_inputs: number;
  trunk_calls: number;
  callback_requests: number;
  outgoing_calls: number;
  transfers: number;
  alerts: number;
  /** Theory for the same system when it is an Erlang C one (flat, no abandonment, one group). */
  erlang_c?: Pick<ErlangC, 'p_wait' | 'service_level' | 'avg_wait' | 'occupancy'>;
}

/** The one-group center used when no account is given. */
export function generatedAccount(o: Pick<SimulationOptions, 'operators' | 'catchup' | 'ivrShare' | 'callbackShare'>): AccountFile {
  const n = o.operators ?? 10;
  const file: AccountFile = {
    account: { id: 1, name: 'Simulation' },
    groups: [{ id: 1, name: 'Queue', catchup: o.catchup ?? 0 }],
    operators: Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `Operator ${i + 1}`, groups: [1] })),
    numbers: [{ id: 1, service: '33100000001', route: { type: 'group', id: 1 } }],
    pauses: [
      { id: 1, label: 'Break' },
      { id: 2, label: 'Lunch' },
    ],
  };
  if ((o.ivrShare ?? 0) > 0) {
    file.numbers!.push({ id: 2, service: '33100000002', route: { type: 'ivr', id: 1 } });
    file.ivrs = [
      {
        id: 1,
        name: 'Main menu',
        options: [
          { dtmf: '1', speech: ['sales', 'order'], route: { type: 'group', id: 1 } },
          { dtmf: '2', speech: ['support', 'help'], route: { type: 'group', id: 1 } },
        ],
        default_route: { type: 'group', id: 1 },
      },
    ];
  }
  if ((o.callbackShare ?? 0) > 0) file.web_callback = { group: 1 };
  return file;
}

function profileWeights(p: SimulationOptions['profile']): readonly number[] | undefined {
  if (p === undefined || p === 'flat') return undefined;
  if (p === 'intraday') return INTRADAY_PROFILE;
  if (p.length !== 24 || p.some((w) => !(w >= 0)) || Math.max(...p) <= 0) throw new RangeError('profile must be 24 non-negative hourly weights');
  return p;
}

function meanWeight(w: readonly number[], start: number, durationMs: number): number {
  let sum = 0;
  let n = 0;
  for (let t = start; t < start + durationMs; t += 60_000, n++) sum += w[new Date(t).getUTCHours()]!;
  return n > 0 ? sum / n : 1;
}

const BUSY_STATES: readonly OperatorState[] = ['logged_out', 'available', 'paused', 'ringing', 'connected', 'calling', 'wrapup', 'reserved'];
const minus = (a: Record<OperatorState, number>, b: Record<OperatorState, number> | undefined): Record<OperatorState, number> => {
  const out = { ...a };
  if (b) for (const s of BUSY_STATES) out[s] -= b[s];
  return out;
};

/** Runs a simulated period and reports; `sink` sees every notification with its virtual time. */
export async function runSimulation(opts: SimulationOptions, sink?: (n: Notification, at: number) => void): Promise<SimulationSummary> {
  const wallStart = performance.now();
  const seed = opts.seed ?? 1;
  const thresholdSec = opts.slThreshold ?? 20;
  const start = opts.start ?? Date.UTC(2026, 0, 5, 8, 0, 0);
  const durationMs = opts.duration * 1000;
  const end = start + durationMs;
  const warmupAt = start + (opts.warmup ?? 0) * 1000;
  const sched = new VirtualScheduler(start);
  const metrics = new TrafficMetrics(thresholdSec * 1000, warmupAt);
  let traffic: Traffic | undefined;
  const engine = new Engine(opts.account ?? generatedAccount(opts), {
    scheduler: sched,
    sink: (n, at) => {
      metrics.observe(n, at);
      traffic!.observe(n);
      sink?.(n, at);
    },
    // The simulated people and phone network are the engine's telephony.
    telephony: { command: (c) => traffic!.command(c) },
  });
  const ids = [...engine.model.operators.keys()];
  const operators = opts.account && opts.operators !== undefined ? ids.slice(0, opts.operators) : ids;
  const weights = profileWeights(opts.profile);
  const delay = opts.answerDelay ?? 0;
  const behaviour: TrafficBehaviour = {
    callsPerHour: opts.callsPerHour,
    ahtSec: opts.aht,
    patienceSec: opts.patience,
    answerDelaySec: typeof delay === 'number' ? [delay, delay] : delay,
    pausesPerHour: opts.pausesPerHour ?? 0,
    pauseSec: opts.pauseDuration ?? 300,
    ivrShare: opts.ivrShare ?? 0,
    callbackShare: opts.callbackShare ?? 0,
    transferShare: opts.transferShare ?? 0,
    operators,
    ...(weights ? { profile: weights } : {}),
  };
  traffic = new Traffic(engine, new Random(seed), behaviour, weights ? meanWeight(weights, start, durationMs) : 1);
  traffic.start();

  const realtime = opts.speed !== undefined && opts.speed !== 'max';
  const factor = realtime ? (opts.speed as number) : 0;
  const report = (t: number): void =>
    opts.onProgress?.({ fraction: Math.min(1, (t - start) / durationMs), simulatedSeconds: (t - start) / 1000, notifications: metrics.notifications });
  const advance = async (until: number): Promise<void> => {
    if (!realtime) {
      for (let t = sched.now(); t < until; ) {
        t = Math.min(until, t + 600_000);
        sched.runUntil(t);
        report(t);
        await new Promise((r) => setImmediate(r));
      }
      return;
    }
    const real0 = Date.now();
    const virt0 = sched.now();
    while (sched.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      sched.runUntil(Math.min(until, virt0 + (Date.now() - real0) * factor));
      report(sched.now());
    }
  };

  let warmTimes: Map<number, Record<OperatorState, number>> | undefined;
  if (warmupAt > start) {
    await advance(warmupAt);
    warmTimes = engine.operatorTimes();
  }
  await advance(end);
  const times = [...engine.operatorTimes()].map(([id, t]) => minus(t, warmTimes?.get(id)));
  traffic.stopArrivals();

  // Drain: calls in progress end by themselves; past a day, whatever is left is hung up.
  const limit = end + 24 * 3600_000;
  while ((engine.callCount > 0 || engine.activePushes().length > 0) && sched.now() < limit) {
    sched.runUntil(Math.min(limit, sched.now() + 600_000));
  }
  for (const id of engine.activePushes()) engine.callbackCancel(id);
  for (const id of engine.activeCalls()) engine.callHangup(id);
  sched.runUntil(sched.now() + 3600_000);
  traffic.stop();

  const figures = metrics.figures(times);
  const wallMs = performance.now() - wallStart;
  const summary: SimulationSummary = {
    ...figures,
    sl_threshold: thresholdSec,
    operators: operators.length,
    calls_per_hour: opts.callsPerHour,
    aht: opts.aht,
    patience: opts.patience,
    seed,
    duration: opts.duration,
    simulated_seconds: Math.round((sched.now() - start) / 1000),
    notifications: metrics.notifications,
    wall_ms: Math.round(wallMs),
    notifications_per_sec: Math.round(metrics.notifications / (wallMs / 1000)),
    ivr_inputs: metrics.ivrInputs,
    trunk_calls: metrics.trunkCalls,
    callback_requests: metrics.callbackRequests,
    outgoing_calls: metrics.outgoingCalls,
    transfers: metrics.transfers,
    alerts: metrics.alerts,
  };
  const erlangSystem =
    !opts.account && opts.patience === null && !weights && !(opts.pausesPerHour! > 0) && !(opts.ivrShare! > 0) && !(opts.callbackShare! > 0) &&
    !(opts.transferShare! > 0) && !(opts.catchup! > 0) && delay === 0;
  if (erlangSystem) {
    const e = erlangC(operators.length, opts.callsPerHour, opts.aht, thresholdSec);
    const r = (x: number): number => Math.round(x * 10_000) / 10_000;
    summary.erlang_c = { p_wait: r(e.p_wait), service_level: r(e.service_level), avg_wait: Math.round(e.avg_wait * 100) / 100, occupancy: r(e.occupancy) };
  }
  return summary;
}
