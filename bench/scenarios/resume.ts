// Scenario 4, resume under network drops: N clients, events flowing at 50/s, each
// connection cut every ~15 s for ~2 s (the client stops reading, so what is in flight is
// lost, then drops the socket and reconnects) → share of events delivered exactly once and
// catch-up time. Ours resumes with init's `since`; the bare stack with Socket.IO's
// connection state recovery.
import { Histogram, type HistogramJson } from '../lib/histogram.ts';
import { coreShare, log, pair, round3, sleep, withServer, Workers, type Config, type CpuWindow, type Side } from '../lib/harness.ts';
import { fmt, ratio, type ScenarioResult } from './types.ts';

/** Events per second while connections drop: enough to always miss some, with headroom left on the server (the latency scenario covers 50/s). */
const RATE = 20;
const CUT_EVERY_MS = 15_000;
const DOWN_MS = 2_000;

interface Report {
  clients: number;
  expected: number;
  once: number;
  missing: number;
  duplicated: number;
  resumed: number;
  fresh: number;
  reconnectFailures: number;
  reconnectErrors: Record<string, number>;
  catchup: HistogramJson;
}

export async function resume(cfg: Config): Promise<ScenarioResult> {
  const clients = cfg.clients ?? 1000;
  const seconds = cfg.durationS ?? (cfg.quick ? 20 : 45);
  const workers = new Workers(cfg);
  const res = {} as Record<Side, { share: number; catchup: ReturnType<Histogram['summary']>; totals: Omit<Report, 'catchup' | 'reconnectErrors'>; serverCores: number; notBack: number; behind: number }>;
  try {
    for (const side of pair()) {
      const csr = side === 'bare';
      await withServer(cfg, side, { csr }, async (server, info) => {
        await workers.connect(info.port, clients, info.initArgs, csr ? 'csr' : 'since');
        log(`resume ${side}: ${clients} clients connected; ${RATE} events/s, cuts every ~${CUT_EVERY_MS / 1000} s for ~${DOWN_MS / 1000} s, for ${seconds} s`);
        await workers.mark({ track: true, csr, trackSize: Math.ceil(RATE * (seconds + 60)) });
        await server.call('rateStart', { perSecond: RATE });
        await server.call('mark');
        await sleep(1000);
        await workers.call('cutsStart', { everyMs: CUT_EVERY_MS, downMs: DOWN_MS, firstWithinMs: Math.min(CUT_EVERY_MS, seconds * 1000 - 6000) });
        await sleep(seconds * 1000);
        const stopped = await workers.call<{ notReady: number }>('cutsStop', { waitMs: 120_000 }, 180_000);
        const load = await server.call<CpuWindow>('sinceMark');
        await sleep(1000);
        const rate = await server.call<{ lastCpt: number; published: number }>('rateStop');
        // Let every client that is back catch up with the last event (or give up after 60 s).
        let behind = 0;
        for (let waited = 0; waited < 60_000; waited += 250) {
          behind = (await workers.call<number>('behind', { cpt: rate.lastCpt })).reduce((a, n) => a + n, 0);
          if (behind === 0) break;
          await sleep(250);
        }
        await sleep(500);
        const reports = await workers.call<Report>('resumeReport', { finalCpt: rate.lastCpt });
        const catchup = new Histogram();
        const totals = { clients: 0, expected: 0, once: 0, missing: 0, duplicated: 0, resumed: 0, fresh: 0, reconnectFailures: 0 };
        const errors: Record<string, number> = {};
        for (const r of reports) {
          for (const [m, n] of Object.entries(r.reconnectErrors)) errors[m] = (errors[m] ?? 0) + n;
          catchup.merge(r.catchup);
          for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
        }
        const notReady = stopped.reduce((a, s) => a + s.notReady, 0);
        if (behind > 0) log(`resume ${side}: ${behind} clients had not received the last event 60 s after it`);
        if (Object.keys(errors).length > 0) log(`resume ${side}: reconnect errors ${JSON.stringify(errors)}`);
        res[side] = { share: totals.expected ? totals.once / totals.expected : 0, catchup: catchup.summary(), totals, serverCores: coreShare(load), notBack: notReady, behind };
        const c = res[side].catchup;
        log(
          `resume ${side}: ${fmt(totals.once)} of ${fmt(totals.expected)} deliveries exactly once (${(res[side].share * 100).toFixed(3)} %), ` +
            `${fmt(totals.missing)} missing, ${fmt(totals.duplicated)} duplicated; ${fmt(c.count)} catch-ups, p50 ${c.p50} ms, p99 ${c.p99} ms; ` +
            `${totals.fresh} sessions not recovered, ${totals.reconnectFailures} reconnect failures, ${notReady} clients not back; server ${res[side].serverCores} core`,
        );
        await workers.closeAll();
      });
    }
  } finally {
    await workers.stop();
  }
  const { ours, bare } = res;
  const pct = (x: number) => round3(x * 100);
  const r = ratio(ours.share, bare.share);
  const cr = ratio(ours.catchup.p99, bare.catchup.p99);
  return {
    entry: {
      ours: pct(ours.share),
      bare: pct(bare.share),
      ratio: r,
      unit: '% of events delivered exactly once',
      goal: '100 %',
      met: ours.share === 1,
      clients,
      seconds,
      events_per_s: RATE,
      cut_every_s: CUT_EVERY_MS / 1000,
      down_s: DOWN_MS / 1000,
      catchup_ms: { ours: ours.catchup, bare: bare.catchup, p99_ratio: cr },
      totals: { ours: ours.totals, bare: bare.totals },
      server_cores_used: { ours: ours.serverCores, bare: bare.serverCores },
      clients_not_back_after_120_s: { ours: ours.notBack, bare: bare.notBack },
      clients_behind_60_s_after_last_event: { ours: ours.behind, bare: bare.behind },
    },
    rows: [
      { scenario: 'Resume', metric: `% delivered exactly once, ${fmt(clients)} clients × ${RATE} events/s, cut ~${DOWN_MS / 1000} s every ~${CUT_EVERY_MS / 1000} s`, ours: pct(ours.share).toFixed(3), bare: pct(bare.share).toFixed(3), ratio: r.toFixed(3), goal: '100 %', met: ours.share === 1 },
      { scenario: '', metric: `catch-up p99 ms (${fmt(ours.catchup.count)} / ${fmt(bare.catchup.count)} reconnections)`, ours: fmt(ours.catchup.p99, 2), bare: fmt(bare.catchup.p99, 2), ratio: cr.toFixed(2), goal: '' },
    ],
    notes: [
      `Resume: ours resumes with \`init\`'s \`since\` (replay from memory or the SQLite log); the bare stack with Socket.IO's connection state recovery. Missing ours ${fmt(ours.totals.missing)} / bare ${fmt(bare.totals.missing)}, duplicated ours ${fmt(ours.totals.duplicated)} / bare ${fmt(bare.totals.duplicated)}; bare sessions not recovered: ${bare.totals.fresh}.`,
    ],
  };
}
