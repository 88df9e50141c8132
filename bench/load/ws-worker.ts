// A websocket load-generator process: holds many BenchClients, counts deliveries, records
// publish-to-receive latency, and cuts and resumes connections on a schedule (resume).
import { performance } from 'node:perf_hooks';
import { serveParent } from '../lib/procs.ts';
import { Histogram } from '../lib/histogram.ts';
import { cptOf, nowUs, publishedAt } from '../lib/events.ts';
import { BenchClient, type ClientSink, type ResumeMode } from './sio-client.ts';

let clients: BenchClient[] = [];
let deliveries = 0;
let measureLatency = false;
let track = false;
let trackSize = 0;
const latency = new Histogram();
const catchup = new Histogram();
let mark = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), t: performance.now() };
let cutting = false;
const timers = new Set<NodeJS.Timeout>();
let reconnectFailures = 0;
const reconnectErrors = new Map<string, number>();
let csr = false;

function record(c: BenchClient, frame: Buffer): void {
  const cpt = cptOf(frame);
  if (cpt > c.lastCpt) c.lastCpt = cpt;
  let seen = c.seen;
  if (!seen) return;
  const i = cpt - c.initCpt - 1;
  if (i < 0) return;
  if (i >= seen.length) {
    const bigger = new Uint8Array(Math.max(seen.length * 2, i + 1));
    bigger.set(seen);
    c.seen = seen = bigger;
  }
  if (seen[i]! < 255) seen[i]!++;
}

const sink: ClientSink = {
  update(c, frame) {
    deliveries++;
    if (measureLatency || c.catchingUp) {
      const now = nowUs();
      const t = publishedAt(frame);
      if (measureLatency) latency.record(now - t);
      if (c.catchingUp) {
        if (t < c.reconnectStart) c.lastBacklogAt = now;
        else {
          catchup.record((c.lastBacklogAt || now) - c.reconnectStart);
          c.catchingUp = false;
        }
      }
    }
    if (track) {
      if (csr) c.noteOffset(frame);
      record(c, frame);
    }
  },
};

async function connectMany(url: string, n: number, initArgs: unknown[], resume: ResumeMode, concurrency: number) {
  const t0 = performance.now();
  let next = 0;
  let failed = 0;
  const errors = new Set<string>();
  const batch: BenchClient[] = [];
  const lane = async () => {
    while (next < n) {
      next++;
      const c = new BenchClient(url, initArgs, resume, sink);
      try {
        await c.connect();
        batch.push(c);
      } catch (e) {
        failed++;
        if (errors.size < 5) errors.add(String((e as Error).message).slice(0, 200));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, lane));
  clients.push(...batch);
  return { connected: batch.length, failed, ms: performance.now() - t0, errors: [...errors] };
}

const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

function schedule(fn: () => void, ms: number): void {
  const t = setTimeout(() => {
    timers.delete(t);
    fn();
  }, ms);
  timers.add(t);
}

/** Each client: cut every ~everyMs (±20 %), down ~downMs (±25 %), then resume. */
let cutsStartedAt = 0;
function startCuts(everyMs: number, downMs: number, firstWithinMs: number): void {
  cutting = true;
  cutsStartedAt = performance.now();
  const cycle = (c: BenchClient, inMs: number) =>
    schedule(() => {
      if (!cutting) return;
      c.cut();
      schedule(() => void reconnect(c), rand(downMs * 0.75, downMs * 1.25));
    }, inMs);
  const reconnect = async (c: BenchClient): Promise<void> => {
    c.reconnectStart = nowUs();
    c.catchingUp = true;
    c.lastBacklogAt = 0;
    try {
      await c.reconnect();
      if (cutting) cycle(c, rand(everyMs * 0.8, everyMs * 1.2));
    } catch (e) {
      // A client closed by closeAll stops here (no retry loop outliving its scenario).
      if (c.disposed) return;
      reconnectFailures++;
      const m = `${String((e as Error).message).slice(0, 120)} @${Math.round((performance.now() - cutsStartedAt) / 1000)}s`;
      if (reconnectErrors.size < 60 || reconnectErrors.has(m)) reconnectErrors.set(m, (reconnectErrors.get(m) ?? 0) + 1);
      schedule(() => void reconnect(c), 500);
    }
  };
  for (const c of clients) cycle(c, rand(500, firstWithinMs));
}

serveParent({
  connect: (a) => connectMany(a.url as string, a.n as number, a.initArgs as unknown[], (a.resume as ResumeMode) ?? 'since', (a.concurrency as number) ?? 50),
  closeAll: () => {
    cutting = false;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const c of clients) c.dispose();
    clients = [];
  },
  ready: () => clients.filter((c) => c.ready).length,
  /** Zeroes the counters and starts a measurement window. */
  mark: (a) => {
    deliveries = 0;
    measureLatency = a.latency === true;
    latency.reset();
    catchup.reset();
    reconnectFailures = 0;
    reconnectErrors.clear();
    track = a.track === true;
    csr = a.csr === true;
    trackSize = (a.trackSize as number) ?? 0;
    if (track) for (const c of clients) c.seen = new Uint8Array(trackSize);
    mark = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), t: performance.now() };
  },
  sinceMark: () => {
    const d = process.cpuUsage(mark.cpu);
    return {
      deliveries,
      wallMs: performance.now() - mark.t,
      cpu: { user: d.user, system: d.system },
      elu: performance.eventLoopUtilization(mark.elu).utilization,
      latency: measureLatency ? latency.toJSON() : undefined,
    };
  },
  cutsStart: (a) => startCuts(a.everyMs as number, a.downMs as number, a.firstWithinMs as number),
  /** Stops cutting and resolves once every client is connected again (or after waitMs). */
  cutsStop: async (a) => {
    cutting = false;
    const until = performance.now() + ((a.waitMs as number) ?? 30_000);
    while (clients.some((c) => !c.ready) && performance.now() < until) await new Promise((r) => setTimeout(r, 100));
    return { notReady: clients.filter((c) => !c.ready).length };
  },
  /** How many clients have not yet processed `cpt`. */
  behind: (a) => clients.filter((c) => c.lastCpt < (a.cpt as number)).length,
  /** Delivery accounting for cpts initCpt+1 .. finalCpt of every client. */
  resumeReport: (a) => {
    const finalCpt = a.finalCpt as number;
    let expected = 0;
    let once = 0;
    let missing = 0;
    let duplicated = 0;
    let resumed = 0;
    let fresh = 0;
    for (const c of clients) {
      resumed += c.resumed;
      fresh += c.freshSessions;
      const n = finalCpt - c.initCpt;
      expected += n;
      for (let i = 0; i < n; i++) {
        const k = c.seen && i < c.seen.length ? c.seen[i]! : 0;
        if (k === 1) once++;
        else if (k === 0) missing++;
        else duplicated++;
      }
    }
    return { clients: clients.length, expected, once, missing, duplicated, resumed, fresh, reconnectFailures, reconnectErrors: Object.fromEntries(reconnectErrors), catchup: catchup.toJSON() };
  },
});
