// Scenario 1, fan-out: one account, N subscribed websocket clients, events published as
// fast as the server takes them → deliveries per second at the clients, ours ÷ bare.
import { coreShare, log, round2, sides, sleep, withServer, Workers, type Config, type CpuWindow, type Side } from '../lib/harness.ts';
import { fmt, ratio, type ScenarioResult } from './types.ts';

interface Flood extends CpuWindow {
  published: number;
  stalls: number;
  failed: number;
}

export async function fanout(cfg: Config): Promise<ScenarioResult> {
  const clients = cfg.clients ?? 1000;
  const seconds = cfg.durationS ?? (cfg.quick ? 5 : 20);
  const warmupMs = cfg.quick ? 1000 : 3000;
  const workers = new Workers(cfg);
  const runs: Record<Side, { perSecond: number; published: number; serverCores: number; serverElu: number; clientCores: number; stalls: number }[]> = { ours: [], bare: [] };
  try {
    for (const side of sides(cfg.rounds)) {
      await withServer(cfg, side, {}, async (server, info) => {
        const c = await workers.connect(info.port, clients, info.initArgs);
        log(`fanout ${side}: ${c.connected} clients connected in ${(c.ms / 1000).toFixed(1)} s; warm-up ${warmupMs / 1000} s, then ${seconds} s flood`);
        const flood = (ms: number) => server.call<Flood>('flood', { ms, batch: 20, maxBuffered: clients * 16 * 1024 }, ms + 60_000);
        await flood(warmupMs);
        await sleep(500);
        await workers.mark();
        const f = await flood(seconds * 1000);
        const w = await workers.sinceMark();
        runs[side].push({
          perSecond: w.perSecond,
          published: f.published / (f.wallMs / 1000),
          serverCores: coreShare(f),
          serverElu: round2(f.elu),
          clientCores: w.cores,
          stalls: f.stalls,
        });
        log(
          `fanout ${side}: ${fmt(w.perSecond)} deliveries/s (${fmt(f.published / (f.wallMs / 1000))} events/s published, ${f.stalls} backpressure pauses; ` +
            `server ${coreShare(f)} core, ELU ${round2(f.elu)}, ${fmt(w.perSecond / coreShare(f))} deliveries per server CPU-second; clients ${w.cores} core)`,
        );
        await workers.closeAll();
      });
    }
  } finally {
    await workers.stop();
  }
  const mean = (side: Side, k: 'perSecond' | 'published' | 'serverCores' | 'clientCores' | 'serverElu') => runs[side].reduce((a, r) => a + r[k], 0) / runs[side].length;
  const ours = Math.round(mean('ours', 'perSecond'));
  const bare = Math.round(mean('bare', 'perSecond'));
  const r = ratio(ours, bare);
  return {
    entry: {
      ours,
      bare,
      ratio: r,
      unit: 'deliveries/s',
      goal: '>= 0.9',
      met: r >= 0.9,
      clients,
      seconds,
      rounds: cfg.rounds,
      events_per_s: { ours: Math.round(mean('ours', 'published')), bare: Math.round(mean('bare', 'published')) },
      server_cores_used: { ours: round2(mean('ours', 'serverCores')), bare: round2(mean('bare', 'serverCores')) },
      server_event_loop_utilisation: { ours: round2(mean('ours', 'serverElu')), bare: round2(mean('bare', 'serverElu')) },
      client_cores_used: { ours: round2(mean('ours', 'clientCores')), bare: round2(mean('bare', 'clientCores')) },
      deliveries_per_server_cpu_s: {
        ours: Math.round(mean('ours', 'perSecond') / mean('ours', 'serverCores')),
        bare: Math.round(mean('bare', 'perSecond') / mean('bare', 'serverCores')),
      },
      runs,
    },
    rows: [
      { scenario: 'Fan-out', metric: `deliveries/s, ${fmt(clients)} clients, ${seconds} s`, ours: fmt(ours), bare: fmt(bare), ratio: r.toFixed(2), goal: '≥ 0.9', met: r >= 0.9 },
      {
        scenario: '',
        metric: 'events/s published',
        ours: fmt(mean('ours', 'published')),
        bare: fmt(mean('bare', 'published')),
        ratio: ratio(mean('ours', 'published'), mean('bare', 'published')).toFixed(2),
        goal: '',
      },
    ],
    notes: [
      `Fan-out: server event-loop utilisation ours ${round2(mean('ours', 'serverElu'))} / bare ${round2(mean('bare', 'serverElu'))}, ` +
        `server cores used ${round2(mean('ours', 'serverCores'))} / ${round2(mean('bare', 'serverCores'))}, load generators ${round2(mean('ours', 'clientCores'))} / ${round2(mean('bare', 'clientCores'))} core ` +
        `(a server at utilisation 1 with clients below one core means the server was the limit). Deliveries per server CPU-second: ours ${fmt(mean('ours', 'perSecond') / mean('ours', 'serverCores'))} / bare ${fmt(mean('bare', 'perSecond') / mean('bare', 'serverCores'))}.`,
    ],
  };
}
