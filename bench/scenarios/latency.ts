// Scenario 2, latency: N clients, a fixed rate of events (50/s: 50,000 deliveries/s for
// 1,000 clients) → publish-to-receive p50 / p99 / max over every delivery, ours ÷ bare.
import { Histogram } from '../lib/histogram.ts';
import { coreShare, log, round2, sides, sleep, withServer, Workers, type Config, type CpuWindow, type Side } from '../lib/harness.ts';
import { fmt, ratio, type ScenarioResult } from './types.ts';

const RATE = 50;

export async function latency(cfg: Config): Promise<ScenarioResult> {
  const clients = cfg.clients ?? 1000;
  const seconds = cfg.durationS ?? (cfg.quick ? 5 : 20);
  const warmupMs = cfg.quick ? 1000 : 3000;
  const workers = new Workers(cfg);
  const hist: Record<Side, Histogram> = { ours: new Histogram(), bare: new Histogram() };
  const cores: Record<Side, { server: number[]; clients: number[]; elu: number[]; loopDelayMax: number[] }> = {
    ours: { server: [], clients: [], elu: [], loopDelayMax: [] },
    bare: { server: [], clients: [], elu: [], loopDelayMax: [] },
  };
  try {
    for (const side of sides(cfg.rounds)) {
      await withServer(cfg, side, {}, async (server, info) => {
        const c = await workers.connect(info.port, clients, info.initArgs);
        log(`latency ${side}: ${c.connected} clients connected; ${RATE} events/s, warm-up ${warmupMs / 1000} s, then ${seconds} s measured`);
        await server.call('rateStart', { perSecond: RATE });
        await sleep(warmupMs);
        await workers.mark({ latency: true });
        await server.call('mark');
        await sleep(seconds * 1000);
        const w = await workers.sinceMark();
        const s = await server.call<CpuWindow & { loopDelayMs: { p50: number; p99: number; max: number } }>('sinceMark');
        await server.call('rateStop');
        hist[side].merge(w.latency.toJSON());
        cores[side].server.push(coreShare(s));
        cores[side].clients.push(w.cores);
        cores[side].elu.push(s.elu);
        cores[side].loopDelayMax.push(s.loopDelayMs.max);
        const sum = w.latency.summary();
        log(`latency ${side}: p50 ${sum.p50} ms, p99 ${sum.p99} ms, max ${sum.max} ms over ${fmt(sum.count)} deliveries (server ${coreShare(s)} core, ELU ${round2(s.elu)}, event-loop delay p99 ${s.loopDelayMs.p99} ms max ${s.loopDelayMs.max} ms; clients ${w.cores} core)`);
        await workers.closeAll();
      });
    }
  } finally {
    await workers.stop();
  }
  const o = hist.ours.summary();
  const b = hist.bare.summary();
  const r = ratio(o.p99, b.p99);
  const met = r <= 1.2 && o.p99 < 100;
  const avg = (xs: number[]) => round2(xs.reduce((a, x) => a + x, 0) / xs.length);
  return {
    entry: {
      ours: o.p99,
      bare: b.p99,
      ratio: r,
      unit: 'ms (p99 publish-to-receive)',
      goal: 'p99 ratio <= 1.2 and p99 < 100 ms',
      met,
      clients,
      events_per_s: RATE,
      seconds,
      rounds: cfg.rounds,
      p50: { ours: o.p50, bare: b.p50, ratio: ratio(o.p50, b.p50) },
      p99: { ours: o.p99, bare: b.p99, ratio: r },
      max: { ours: o.max, bare: b.max, ratio: ratio(o.max, b.max) },
      deliveries: { ours: o.count, bare: b.count },
      server_cores_used: { ours: avg(cores.ours.server), bare: avg(cores.bare.server) },
      client_cores_used: { ours: avg(cores.ours.clients), bare: avg(cores.bare.clients) },
      server_event_loop_utilisation: { ours: avg(cores.ours.elu), bare: avg(cores.bare.elu) },
      server_event_loop_delay_max_ms: { ours: Math.max(...cores.ours.loopDelayMax), bare: Math.max(...cores.bare.loopDelayMax) },
    },
    rows: [
      { scenario: 'Latency', metric: `p50 ms, ${fmt(clients)} clients × ${RATE} events/s`, ours: fmt(o.p50, 2), bare: fmt(b.p50, 2), ratio: ratio(o.p50, b.p50).toFixed(2), goal: '' },
      { scenario: '', metric: 'p99 ms', ours: fmt(o.p99, 2), bare: fmt(b.p99, 2), ratio: r.toFixed(2), goal: '≤ 1.2 and < 100 ms', met },
      { scenario: '', metric: 'max ms', ours: fmt(o.max, 2), bare: fmt(b.max, 2), ratio: ratio(o.max, b.max).toFixed(2), goal: '' },
    ],
    notes: [
      `Latency: over ${fmt(o.count)} / ${fmt(b.count)} deliveries; server cores used ours ${avg(cores.ours.server)} / bare ${avg(cores.bare.server)}, ` +
        `server event-loop utilisation ${avg(cores.ours.elu)} / ${avg(cores.bare.elu)}, longest event-loop delay ${Math.max(...cores.ours.loopDelayMax)} / ${Math.max(...cores.bare.loopDelayMax)} ms, ` +
        `load generators ${avg(cores.ours.clients)} / ${avg(cores.bare.clients)} core. A utilisation near 1 means the server core was saturated (queueing dominates the tail).`,
    ],
  };
}
