// A server process of the benchmark: `ours`, `bare` or `fastify` (argv[2]; options as JSON
// in argv[3]), publishing in-process and reporting memory and CPU to the parent over IPC.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { serveParent } from '../lib/procs.ts';
import { startBare, startFastifyBare, startOurs, supervisorLogin, type Target, type TargetOptions } from './targets.ts';
import { Backlog, flood, RatePublisher } from './driver.ts';

const kind = process.argv[2];
// BENCH_BARE_OPTS (JSON) adds options to the bare server, to measure a tuning, e.g. '{"deflate":true}'.
const opts = { ...(JSON.parse(process.argv[3] ?? '{}') as TargetOptions), ...(kind === 'bare' ? (JSON.parse(process.env.BENCH_BARE_OPTS ?? '{}') as TargetOptions) : {}) };

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) for (let i = 0; i < 3; i++) g();
}

if (kind === 'fastify') {
  const app = await startFastifyBare();
  serveParent({ info: () => ({ port: app.port, pid: process.pid }) }, () => app.close());
} else {
  const target: Target = kind === 'ours' ? await startOurs() : await startBare(opts);
  const backlog = new Backlog(target);
  let rate: RatePublisher | undefined;
  let mark = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), t: performance.now() };
  // Event-loop delay (how long timers waited): shows stalls such as a synchronous WAL checkpoint.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  serveParent(
    {
      info: () => ({ port: target.port, pid: process.pid, initArgs: target.initArgs }),
      clients: () => target.clients(),
      /** Memory after a full GC (the child runs with --expose-gc). */
      mem: async () => {
        gc();
        await new Promise((r) => setTimeout(r, 200));
        gc();
        const m = process.memoryUsage();
        return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
      },
      mark: () => {
        mark = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), t: performance.now() };
        loopDelay.reset();
      },
      sinceMark: () => {
        const d = process.cpuUsage(mark.cpu);
        const ms = (ns: number) => Math.round(ns / 1e4) / 100;
        return {
          cpu: { user: d.user, system: d.system },
          elu: performance.eventLoopUtilization(mark.elu).utilization,
          wallMs: performance.now() - mark.t,
          loopDelayMs: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
        };
      },
      flood: (a) => flood(target, backlog, a.ms as number, a.batch as number, a.maxBuffered as number),
      rateStart: (a) => {
        rate = new RatePublisher(target, a.perSecond as number);
      },
      rateStop: () => {
        const r = rate;
        rate = undefined;
        return r?.stop();
      },
      /** A fresh supervisor token (for the auth scenario's refresh requests). */
      login: () => (kind === 'ours' ? supervisorLogin(target.port) : undefined),
    },
    () => target.close(),
  );
}
