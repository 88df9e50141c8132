// Scenario sip (issue 10): real SIP calls through the B2BUA, driven by sipp, the server pinned
// to the server core (bench/server/sip-server.ts; with `--media rtpengine` rtpengine is its
// child, so on the same core) and sipp on the load generators' core.
//  1. capacity: concurrent bridged calls (caller sipp -l N, each streaming a µ-law WAV; the
//     operators' sipp at the gateway echoing RTP), N stepped up per media plane until a step
//     fails: a failed call, or < 99.9 % of RTP relayed (counted by the kernel at the plane's
//     edge, bench/lib/rtp-count.ts, over a window while every call is up and streaming).
//  2. setup rate: 1 s calls (no RTP) at increasing -r, 0 failures.
//  3. INVITE→200 p50/p99 at 20 calls/s to a number routed straight to a group whose
//     operator answers at once (sipp's response-time trace).
//  4. fan-out latency (the latency scenario's stream: 1,000 clients, then 250, 50 events/s)
//     without calls, then with 200 calls in progress. BENCH_SIP_MEDIA_CPU places the media
//     worker's thread (--media-cpu): `client` puts it on the load generators' core, which
//     measured worse on 2 cores than leaving it on the server's (the default): see README.
// Every figure is a median of --rounds-sip repetitions (3) with its [min–max].
import { freePort } from '../../test/helpers/sipp.ts';
import { spawnChild, type Child } from '../lib/procs.ts';
import { log, sleep, Workers, type Config } from '../lib/harness.ts';
import { killSipps, removeDir, render, runDir, startSipp, toneWav, type SippResult } from '../lib/sipp.ts';
import { closeRtpCounter, openRtpCounter } from '../lib/rtp-count.ts';
import { SIP_SERVICE } from '../server/sip-account.ts';
import { loadavg } from 'node:os';
import { parseCpuList } from '../../src/telephony/config.ts';
import { fmt, type Row, type ScenarioResult } from './types.ts';

type Media = 'node' | 'rtpengine';
/** Below the ephemeral ports (32768 up) that sipp and the far ends get: see bench/lib/rtp-count.ts. */
const RTP_PORTS: Record<Media, { min: number; max: number }> = { node: { min: 20_000, max: 25_999 }, rtpengine: { min: 26_000, max: 31_999 } };

export interface SipOptions {
  /** Concurrent-call steps per plane. */
  steps: Record<Media, number[]>;
  repeats: number;
  /** Seconds of audio each call streams. */
  streamS: number;
  /** Calls per second while ramping up the concurrent calls. */
  rampRate: number;
  setupRates: number[];
  /** Seconds each setup-rate step lasts. */
  setupS: number;
  rtdCalls: number;
  fanoutCalls: number;
  fanoutS: number;
  /** Client counts of the fan-out part, one row each. */
  clients: number[];
  /** CPUs of the media worker in the fan-out part (BENCH_SIP_MEDIA_CPU: a list, `client` = the load generators' cores, `none` = the server's, default). */
  mediaCpus?: string;
}

export function sipOptions(cfg: Config): SipOptions {
  const env = (k: string) => process.env[k];
  const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number) : d);
  return cfg.quick
    ? { steps: { node: list(env('BENCH_SIP_NODE_STEPS'), [50, 100]), rtpengine: list(env('BENCH_SIP_RTPENGINE_STEPS'), [50, 100]) }, repeats: 1, streamS: 3, rampRate: 100, setupRates: [50, 100], setupS: 3, rtdCalls: 60, fanoutCalls: 50, fanoutS: 5, clients: [200], mediaCpus: mediaCpus(cfg) }
    : {
        steps: { node: list(env('BENCH_SIP_NODE_STEPS'), [200, 400, 600, 800, 1000]), rtpengine: list(env('BENCH_SIP_RTPENGINE_STEPS'), [200, 400, 600, 800, 1000]) },
        repeats: Number(env('BENCH_SIP_REPEATS') ?? 3),
        streamS: 10,
        rampRate: Number(env('BENCH_SIP_RAMP') ?? 100),
        setupRates: list(env('BENCH_SIP_RATES'), [50, 100, 150, 200, 300]),
        setupS: 10,
        rtdCalls: 400,
        fanoutCalls: 200,
        fanoutS: cfg.durationS ?? 20,
        clients: cfg.clients ? [cfg.clients] : list(env('BENCH_SIP_FANOUT_CLIENTS'), [1000, 250]),
        mediaCpus: mediaCpus(cfg),
      };
}

function mediaCpus(cfg: Config): string | undefined {
  const v = process.env.BENCH_SIP_MEDIA_CPU ?? 'none';
  return v === 'none' ? undefined : v === 'client' ? cfg.clientCpus : v;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
/** median [min–max] */
const spread = (xs: number[], digits = 0) => (xs.length > 1 ? `${fmt(median(xs), digits)} [${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)}]` : fmt(xs[0] ?? NaN, digits));

interface Rig {
  server: Child;
  sip: string;
  port: number;
  initArgs: unknown[];
  ops: { done: Promise<SippResult>; kill(): void };
  /** The port the callers' SDP offers (nobody reads it: see bench/sipp/caller.xml). */
  sdpPort: number;
  echoPort: number;
  media: Media;
  close(): Promise<void>;
}

/** A server with `operators` phones at a gateway played by one sipp UAS (echoing RTP). */
async function rig(cfg: Config, media: Media, operators: number, mediaCpus?: string): Promise<Rig> {
  const gw = await freePort();
  const dir = runDir();
  const echoPort = await freePort();
  const sdpPort = await freePort();
  const ops = startSipp({ scenario: render(dir, 'operator', {}), dir, localPort: gw, mediaPort: echoPort, calls: 1_000_000, rate: 1, cpus: cfg.clientCpus, timeoutMs: 3_600_000, extraArgs: ['-rtp_echo'] });
  const server = spawnChild(`server:sip-${media}`, 'server/sip-server.ts', { cpus: cfg.serverCpus, args: [JSON.stringify({ media, gateway: gw, operators, rtpPorts: RTP_PORTS[media], ...(mediaCpus ? { mediaCpus: parseCpuList(mediaCpus) } : {}) })] });
  try {
    const info = await server.call<{ sip: string; port: number; initArgs: unknown[] }>('info', {}, 120_000);
    return {
      server,
      ...info,
      ops,
      sdpPort,
      echoPort,
      media,
      async close() {
        await server.stop();
        ops.kill();
        await ops.done;
        removeDir(dir);
      },
    };
  } catch (e) {
    ops.kill();
    await server.stop();
    throw e;
  }
}

/** Waits (bounded) until the server has no call with SIP legs. */
async function drained(r: Rig, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while ((await r.server.call<number>('calls')) > 0) {
    if (Date.now() > end) throw new Error(`calls still up ${ms} ms after the run`);
    await sleep(250);
  }
}

interface CapacityRun {
  n: number;
  failed: number;
  relayedPct: number;
  /** What the callers' sipp sent of its WAVs (a sipp short of CPU sends less). */
  arrivedPct: number;
  /** CPU of the server and its children (rtpengine) over the window, in cores. */
  cpuCore: number;
  /** Of which rtpengine's (our server's child). */
  childCore: number;
  /** rtpengine's threads runnable but waiting for a core (schedstat), in cores: > 0 when the core is shared. */
  childWaitCore: number;
  counted: 'kernel' | 'plane';
}

type PlaneCounts = { calls: number; bridged: number; callerRx: number; callerTx: number; opRx: number; opTx: number };

/**
 * N concurrent calls, each streaming audio for its whole length; RTP counted over a window
 * of `o.streamS` seconds once every call is up and bridged (the first packets of a call,
 * sent while the B2BUA answers the caller before it bridges, are not the relay's steady
 * state: see the README), while every stream still runs.
 */
async function capacityRun(cfg: Config, r: Rig, o: SipOptions, n: number): Promise<CapacityRun> {
  const dir = runDir();
  try {
    const rampS = n / o.rampRate;
    const wavS = Math.ceil(rampS + o.streamS + 8);
    const holdMs = (wavS + 1) * 1000;
    const scenario = render(dir, 'caller', { stream: `<nop><action><exec rtp_stream="${toneWav(dir, wavS)},1,0"/></action></nop>`, hold: holdMs, sdp_port: r.sdpPort });
    await r.server.call('reset');
    const callerPort = await freePort();
    // RTP counted at the plane's edge (undefined without iptables: the plane's counters then).
    const counter = openRtpCounter({ plane: RTP_PORTS[r.media], echoPort: r.echoPort, callerSdpPort: r.sdpPort, callerPort });
    const caller = startSipp({ scenario, dir, target: r.sip, service: SIP_SERVICE, localPort: await freePort(), mediaPort: callerPort, calls: n, limit: n, rate: o.rampRate, cpus: cfg.clientCpus, timeoutMs: holdMs + rampS * 1000 + 60_000 });
    // Every call up (bounded), then 2 s more: all bridged and streaming.
    const upBy = Date.now() + (rampS + 30) * 1000;
    while ((await r.server.call<number>('calls')) < n && Date.now() < upBy) await sleep(250);
    await sleep(2000);
    const c0 = await r.server.call<PlaneCounts>('counters');
    counter?.reset();
    await r.server.call('mark');
    await sleep(o.streamS * 1000);
    const k = counter?.read();
    closeRtpCounter();
    const cpu = await r.server.call<{ cpuMs: number; childCpuMs: number; childWaitMs: number; wallMs: number }>('sinceMark');
    const c1 = await r.server.call<PlaneCounts>('counters');
    const res = await caller.done;
    await drained(r);
    const c = { callerRx: c1.callerRx - c0.callerRx, callerTx: c1.callerTx - c0.callerTx, opRx: c1.opRx - c0.opRx, opTx: c1.opTx - c0.opTx };
    // sipp sends 50 packets a second per call.
    const expected = n * o.streamS * 50;
    // What the plane sent on (the callers' audio to the operators, their echo back to the
    // callers) over what it was offered, in the window (counted by the kernel at its
    // sockets; without iptables, by the plane, which does not see what its sockets dropped,
    // nor rtpengine what it failed to relay).
    const offered = k ? k.fromCallers + k.fromOperators : c.callerRx + c.opRx;
    const relayed = k ? k.toOperators + k.toCallers : c.opTx + c.callerTx;
    const relayedPct = offered > 0 ? (100 * relayed) / offered : 0;
    const failed = res.failed + Math.max(0, n - res.successful - res.failed);
    const run: CapacityRun = { n, failed, relayedPct: Math.floor(relayedPct * 1000) / 1000, arrivedPct: Math.round((10000 * (k ? k.fromCallers : c.callerRx)) / expected) / 100, cpuCore: Math.round((cpu.cpuMs / cpu.wallMs) * 100) / 100, childCore: Math.round((cpu.childCpuMs / cpu.wallMs) * 100) / 100, childWaitCore: Math.round((cpu.childWaitMs / cpu.wallMs) * 100) / 100, counted: k ? 'kernel' : 'plane' };
    log(`sip capacity: ${n} calls: ${res.successful} ok, ${failed} failed (sipp exit ${res.code}); bridged ${c1.bridged}/${c1.calls}; RTP relayed ${run.relayedPct} % over ${o.streamS} s (${run.counted} counts: callers→plane ${k?.fromCallers ?? c.callerRx} = ${run.arrivedPct} % of 50/s per call, plane→operators ${k?.toOperators ?? c.opTx}, echo→plane ${k?.fromOperators ?? c.opRx}, plane→callers ${k?.toCallers ?? c.callerTx}${k ? `, prompts ${k.prompts}` : ''}); server ${run.cpuCore} core${r.media === 'rtpengine' ? ` (rtpengine ${run.childCore}, waiting for a core ${run.childWaitCore})` : ''}`);
    return run;
  } finally {
    closeRtpCounter();
    removeDir(dir);
  }
}

/**
 * A step passes when none of its runs failed a call, the median of its relayed shares is
 * ≥ 99.9 % and none is below 99.5 %. (A 10 s window's edges move the share by ±0.1–0.2 %
 * either way when the plane runs late by a packet or two: what it relays just after the
 * window opens counts without its arrival, what it receives just before the window closes
 * without its relaying. A saturated plane runs seconds late and swings by more: one run far
 * below is a loss, whatever the others' backlog made them count.)
 */
const stepPasses = (runs: CapacityRun[]) => runs.every((x) => x.failed === 0 && x.relayedPct >= 99.5) && median(runs.map((x) => x.relayedPct)) >= 99.9;

async function capacity(cfg: Config, media: Media, o: SipOptions): Promise<{ best: number; steps: { n: number; runs: CapacityRun[] }[] }> {
  const steps: { n: number; runs: CapacityRun[] }[] = [];
  let best = 0;
  const r = await rig(cfg, media, Math.max(...o.steps[media]) + 10);
  try {
    for (const n of o.steps[media]) {
      const runs: CapacityRun[] = [];
      for (let i = 0; i < o.repeats; i++) runs.push(await capacityRun(cfg, r, o, n));
      steps.push({ n, runs });
      if (!stepPasses(runs)) break;
      best = n;
    }
  } finally {
    await r.close();
  }
  return { best, steps };
}

/** Short calls (1 s, no RTP) at `rate` for `o.setupS` seconds. */
async function setupRun(cfg: Config, r: Rig, rate: number, seconds: number, holdMs = 1000): Promise<SippResult> {
  const dir = runDir();
  try {
    const calls = Math.round(rate * seconds);
    const scenario = render(dir, 'caller', { stream: '', hold: holdMs, sdp_port: r.sdpPort });
    const caller = startSipp({ scenario, dir, target: r.sip, service: SIP_SERVICE, localPort: await freePort(), mediaPort: await freePort(), calls, limit: Math.max(10, rate * 5), rate, cpus: cfg.clientCpus, timeoutMs: seconds * 1000 + 60_000 });
    const res = await caller.done;
    await drained(r);
    return res;
  } finally {
    removeDir(dir);
  }
}

interface FanoutRuns {
  clients: number;
  without: number[];
  with: number[];
  p50: { without: number[]; with: number[] };
  /** Share of a core per window: the server's main thread, its media worker; the 1-minute load average. */
  cpu: { without: { main: number[]; media: number[] }; with: { main: number[]; media: number[] } };
  load: number[];
  mediaCpus?: string;
}

async function fanoutLatency(cfg: Config, o: SipOptions, clients: number): Promise<FanoutRuns> {
  const out: FanoutRuns = { clients, without: [], with: [], p50: { without: [], with: [] }, cpu: { without: { main: [], media: [] }, with: { main: [], media: [] } }, load: [] };
  const r = await rig(cfg, 'node', o.fanoutCalls + 10, o.mediaCpus);
  const workers = new Workers(cfg);
  try {
    const t = await r.server.call<{ tid?: number; nice?: number; cpus?: string; cpusError?: string } | null>('mediaThread');
    out.mediaCpus = t?.cpus;
    log(`sip fan-out latency, ${clients} clients: media worker thread ${t?.tid} nice ${t?.nice} on CPUs ${t?.cpus}${t?.cpusError ? ` (${t.cpusError})` : ''}, server on ${cfg.serverCpus}`);
    await workers.connect(r.port, clients, r.initArgs);
    for (let i = 0; i < o.repeats; i++) {
      for (const withCalls of i % 2 === 0 ? [false, true] : [true, false]) {
        let caller: ReturnType<typeof startSipp> | undefined;
        const dir = runDir();
        try {
          if (withCalls) {
            // Calls that stream audio for the whole window (the WAV loops), hung up after it.
            const holdMs = (o.fanoutS + 8 + o.fanoutCalls / o.rampRate) * 1000;
            const scenario = render(dir, 'caller', { stream: `<nop><action><exec rtp_stream="${toneWav(dir, 10)},-1,0"/></action></nop>`, hold: holdMs, sdp_port: r.sdpPort });
            caller = startSipp({ scenario, dir, target: r.sip, service: SIP_SERVICE, localPort: await freePort(), mediaPort: await freePort(), calls: o.fanoutCalls, limit: o.fanoutCalls, rate: o.rampRate, cpus: cfg.clientCpus, timeoutMs: holdMs + 60_000 });
            const end = Date.now() + 60_000;
            while ((await r.server.call<number>('calls')) < o.fanoutCalls && Date.now() < end) await sleep(250);
          }
          await r.server.call('rateStart', { perSecond: 50 });
          await sleep(2000);
          await workers.mark({ latency: true });
          await r.server.call('mark');
          await sleep(o.fanoutS * 1000);
          const w = await workers.sinceMark();
          const c = await r.server.call<{ mainCpuMs: number; mediaCpuMs: number; wallMs: number }>('sinceMark');
          const up = await r.server.call<number>('calls');
          await r.server.call('rateStop');
          const s = w.latency.summary();
          const side = withCalls ? 'with' : 'without';
          const main = Math.round((c.mainCpuMs / c.wallMs) * 100) / 100;
          const media = Math.round((c.mediaCpuMs / c.wallMs) * 100) / 100;
          const load = Math.round(loadavg()[0]! * 10) / 10;
          out[side].push(s.p99);
          out.p50[side].push(s.p50);
          out.cpu[side].main.push(main);
          out.cpu[side].media.push(media);
          out.load.push(load);
          log(`sip fan-out latency, ${clients} clients, ${withCalls ? `with ${up} calls up` : `without calls (${up} up)`}: p50 ${s.p50} ms, p99 ${s.p99} ms over ${fmt(s.count)} deliveries; server main thread ${main} core, media worker ${media} core, load generators ${w.cores} core; load ${load}`);
          if (caller) {
            const res = await caller.done;
            if (res.failed > 0) log(`sip fan-out latency: ${res.failed} calls failed`);
            // Failed calls (a starved sipp) can leave legs behind: the next window says how many are up.
            await drained(r).catch((e: unknown) => log(`sip fan-out latency: ${(e as Error).message}`));
          }
        } finally {
          caller?.kill();
          removeDir(dir);
        }
      }
    }
  } finally {
    await workers.stop();
    await r.close();
  }
  return out;
}

export async function sip(cfg: Config): Promise<ScenarioResult> {
  const o = sipOptions(cfg);
  // BENCH_SIP_PARTS=capacity,setup,fanout and BENCH_SIP_MEDIA=node,rtpengine: some of it only.
  const parts = new Set((process.env.BENCH_SIP_PARTS ?? 'capacity,setup,fanout').split(','));
  const planes = (process.env.BENCH_SIP_MEDIA ?? 'node,rtpengine').split(',') as Media[];
  const rows: Row[] = [];
  const notes: string[] = [];
  const entry: ScenarioResult['entry'] & Record<string, unknown> = { ours: 0, bare: 0, ratio: NaN, unit: 'concurrent calls (embedded media; bare = rtpengine)' };
  try {
    // 1. Capacity, each plane.
    const cap: Record<Media, Awaited<ReturnType<typeof capacity>>> = { node: { best: 0, steps: [] }, rtpengine: { best: 0, steps: [] } };
    for (const media of parts.has('capacity') ? planes : []) {
      log(`sip capacity (${media}): steps ${o.steps[media].join(', ')}, ${o.repeats} run(s) each, ${o.streamS} s of audio per call`);
      cap[media] = await capacity(cfg, media, o);
    }
    const stepText = (m: Media) =>
      cap[m].steps.map((s) => `${s.n}: ${stepPasses(s.runs) ? 'passed' : '**failed**'}, relayed ${spread(s.runs.map((x) => x.relayedPct), 3)} %, failed calls ${spread(s.runs.map((x) => x.failed))}, server ${spread(s.runs.map((x) => x.cpuCore), 2)} core${m === 'rtpengine' ? ` (rtpengine ${spread(s.runs.map((x) => x.childCore), 2)})` : ''}`).join('; ');
    entry.ours = cap.node.best;
    entry.bare = cap.rtpengine.best;
    entry.ratio = entry.bare ? Math.round((entry.ours / entry.bare) * 1000) / 1000 : NaN;
    entry.capacity = cap;
    rows.push({ scenario: 'SIP calls', metric: 'concurrent bridged calls, 0 failed and ≥ 99.9 % RTP relayed, one core (ours: embedded media; bare column: rtpengine)', ours: fmt(cap.node.best), bare: fmt(cap.rtpengine.best), ratio: String(entry.ratio), goal: '≥ 400 embedded, ≥ 1,000 rtpengine', met: cap.node.best >= 400 && cap.rtpengine.best >= 1000 });
    notes.push(`SIP capacity, embedded media, per step (median [min–max] of ${o.repeats}): ${stepText('node')}.`);
    notes.push(`SIP capacity, rtpengine, per step: ${stepText('rtpengine')}.`);

    // 2–3. Setup rate and INVITE→200, each plane.
    const rtd: Record<Media, { p50: number[]; p99: number[] }> = { node: { p50: [], p99: [] }, rtpengine: { p50: [], p99: [] } };
    const bestRate: Record<Media, number> = { node: 0, rtpengine: 0 };
    for (const media of parts.has('setup') ? planes : []) {
      const r = await rig(cfg, media, Math.max(...o.setupRates) * 2 + 10);
      try {
        const d = { p50: [] as number[], p99: [] as number[] };
        for (let i = 0; i < o.repeats; i++) {
          const res = await setupRun(cfg, r, 20, o.rtdCalls / 20, 0);
          d.p50.push(pct(res.rtdMs, 50));
          d.p99.push(pct(res.rtdMs, 99));
          log(`sip INVITE→200 (${media}): ${res.rtdMs.length} calls, p50 ${d.p50.at(-1)} ms, p99 ${d.p99.at(-1)} ms, ${res.failed} failed`);
        }
        rtd[media] = d;
        {
          const rateSteps: string[] = [];
          for (const rate of o.setupRates) {
            const runs: SippResult[] = [];
            for (let i = 0; i < o.repeats; i++) {
              runs.push(await setupRun(cfg, r, rate, o.setupS));
              const x = runs.at(-1)!;
              log(`sip setup rate (${media}) ${rate}/s: ${x.successful} ok, ${x.failed} failed, answered at ${x.achievedRate}/s, INVITE→200 p50 ${pct(x.rtdMs, 50)} ms p99 ${pct(x.rtdMs, 99)} ms`);
            }
            // Passed: every call set up, none failed, and the 200s came at the rate asked (a
            // server that falls behind answers later and later without failing a call).
            const good = (x: SippResult) => x.failed === 0 && x.successful === Math.round(rate * o.setupS) && x.achievedRate >= 0.95 * rate;
            const ok = runs.every(good);
            rateSteps.push(`${rate}/s: ${runs.filter(good).length}/${runs.length} passed, answered at ${spread(runs.map((x) => x.achievedRate), 1)}/s, failed ${spread(runs.map((x) => x.failed))}, INVITE→200 p50 ${spread(runs.map((x) => pct(x.rtdMs, 50)))} ms, p99 ${spread(runs.map((x) => pct(x.rtdMs, 99)))} ms`);
            if (!ok) break;
            bestRate[media] = rate;
          }
          notes.push(`SIP setup rate (${media === 'node' ? 'embedded media' : 'rtpengine'}; 1 s calls, ${o.setupS} s per step): ${rateSteps.join('; ')}.`);
        }
      } finally {
        await r.close();
      }
    }
    entry.setup_rate = bestRate;
    entry.rtd = rtd;
    rows.push({ scenario: 'SIP calls', metric: `call setup rate with 0 failures, answered at the rate asked (1 s calls, ${o.setupS} s per step; ours: embedded media; bare column: rtpengine)`, ours: `${fmt(bestRate.node)}/s`, bare: `${fmt(bestRate.rtpengine)}/s`, ratio: '—', goal: '≥ 100 calls/s', met: bestRate.node >= 100 && bestRate.rtpengine >= 100 });
    rows.push({ scenario: 'SIP calls', metric: 'INVITE→200 p50 / p99, no IVR, operator answers at once (ours: embedded media; bare column: rtpengine)', ours: `${spread(rtd.node.p50)} / ${spread(rtd.node.p99)} ms`, bare: `${spread(rtd.rtpengine.p50)} / ${spread(rtd.rtpengine.p99)} ms`, ratio: '—', goal: '' });

    // 4. Fan-out latency with and without calls, at each client count.
    const fanouts: FanoutRuns[] = [];
    for (const clients of parts.has('fanout') ? o.clients : []) fanouts.push(await fanoutLatency(cfg, o, clients));
    entry.fanout = fanouts;
    for (const f of fanouts) {
      const ratio = Math.round((median(f.with) / median(f.without)) * 1000) / 1000;
      const where = f.mediaCpus ? `media worker on CPU ${f.mediaCpus}, server on ${cfg.serverCpus}` : `media worker on the server's CPU ${cfg.serverCpus}`;
      rows.push({ scenario: 'SIP calls', metric: `fan-out p99 publish-to-receive, ${fmt(f.clients)} clients, 50 events/s, ${where}: with ${o.fanoutCalls} calls up (ours) vs none (bare column)`, ours: `${spread(f.with)} ms`, bare: `${spread(f.without)} ms`, ratio: String(ratio), goal: 'p99 within 1.2×', met: ratio <= 1.2 });
      notes.push(
        `SIP fan-out latency, ${fmt(f.clients)} clients (median [min–max] of ${o.repeats}): p50 ${spread(f.p50.with)} ms with calls, ${spread(f.p50.without)} ms without; ` +
          `server main thread ${spread(f.cpu.with.main, 2)} core with calls, ${spread(f.cpu.without.main, 2)} without; media worker ${spread(f.cpu.with.media, 2)} core with calls; load average ${spread(f.load, 1)}.`,
      );
    }
  } finally {
    killSipps();
    closeRtpCounter();
  }
  return { entry, rows, notes };
}
