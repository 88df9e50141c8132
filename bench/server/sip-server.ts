// The server of the sip benchmark, in its own process (pinned by the parent): the whole
// product from buildApp with SIP on loopback, one account (bench/server/sip-account.ts) whose
// operators are phones at a gateway (their e164), all logged in through the call-control
// API, and the chosen media plane (`node`, or `rtpengine`: started by the telephony layer
// as our child, so on our core). Reports the media legs' RTP counters of every call while
// it is up, and the CPU of this process and its children (rtpengine).
// With `mediaCpus`, the embedded plane's worker thread runs on those CPUs (--media-cpu), the
// rest of the process where the parent pinned it; `sinceMark` reports the CPU of each.
//   argv[2]: JSON { media, gateway: port, operators, rtpPorts: {min,max}, mediaCpus?: number[] }
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { buildApp } from '../../src/http/app.ts';
import { createSqliteStore } from '../../src/store/sqlite/index.ts';
import { importAccountFile } from '../../src/cli/directory.ts';
import type { MediaKind } from '../../src/telephony/config.ts';
import { serveParent } from '../lib/procs.ts';
import { NodeMediaPlane, type MediaThread } from '../../src/media/node/index.ts';
import { benchAccount, SIP_ACCOUNT } from './sip-account.ts';
import { RatePublisher } from './driver.ts';
import { supervisorLogin, type Target } from './targets.ts';

const ADMIN = 'bench-admin-token';
const opts = JSON.parse(process.argv[2] ?? '{}') as { media: MediaKind; gateway: number; operators: number; rtpPorts: { min: number; max: number }; mediaCpus?: number[] };

const dir = mkdtempSync(join(tmpdir(), 'vm-bench-sip-'));
const store = createSqliteStore(dir);
const fixture = join(dir, 'account.json');
writeFileSync(fixture, JSON.stringify(benchAccount(opts.operators)));
await importAccountFile(store, fixture);
// The fan-out benchmark's account too (its supervisor's stream, the latency scenario's events).
await importAccountFile(store, join(import.meta.dirname, '..', 'fixtures', 'account.json'));
const app = await buildApp({
  store,
  adminToken: ADMIN,
  dataDir: dir,
  telephony: { sip: { host: '127.0.0.1', port: 0 }, trust: ['127.0.0.1/32'], media: opts.media, rtpPorts: opts.rtpPorts, gateway: `sip:127.0.0.1:${opts.gateway}`, ...(opts.mediaCpus ? { mediaCpus: opts.mediaCpus } : {}) },
});
const port = await app.listen(0, '127.0.0.1');
const tel = app.telephony!;
const FANOUT_ACCOUNT = 3;
const target: Target = {
  port,
  http: app.http.server,
  initArgs: [],
  publish: (n) => app.services.publisher.publish(FANOUT_ACCOUNT, n),
  clients: () => app.io.engine.clientsCount,
  close: () => Promise.resolve(),
};
let rate: RatePublisher | undefined;
const mediaThread: MediaThread | undefined = tel.media instanceof NodeMediaPlane ? await tel.media.ready() : undefined;

// Every operator logged in (available), through the API as a PBX or a softphone would.
for (let i = 0; i < opts.operators; i++) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/accounts/${SIP_ACCOUNT}/operators/${1000 + i}/login`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  if (res.status !== 200) throw new Error(`login of operator ${1000 + i}: ${res.status} ${await res.text()}`);
}

/** CPU time (ms) of this process, and of its children (rtpengine), from /proc. */
function cpuMs(): { self: number; children: number; childWait: number } {
  const tick = 10; // USER_HZ is 100 on Linux
  const of = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) * tick;
    } catch {
      return 0;
    }
  };
  const self = of(process.pid);
  let ms = 0;
  let waitMs = 0;
  for (const t of readdirSync(`/proc/${process.pid}/task`)) {
    let kids = '';
    try {
      kids = readFileSync(`/proc/${process.pid}/task/${t}/children`, 'utf8');
    } catch {
      // Gone.
    }
    for (const k of kids.split(' ').filter(Boolean)) {
      ms += of(Number(k));
      waitMs += runQueueWaitMs(Number(k));
    }
  }
  return { self, children: ms, childWait: waitMs };
}

/** Time a process's threads waited on a run queue, runnable but not running (ms, /proc/<pid>/task/<tid>/schedstat). */
function runQueueWaitMs(pid: number): number {
  let ns = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[1]);
      } catch {
        // Gone.
      }
    }
  } catch {
    return 0;
  }
  return ns / 1e6;
}

/**
 * Media counters of every call up now, by id_call (ids are 1, 2, 3… in a fresh store),
 * read when the parent asks (while every call is up and quiet): twice, 700 ms apart, as the
 * rtpengine plane answers stats() with the figures of its previous NG query. (Polling all
 * the time would load rtpengine with queries.)
 */
interface CallCounters {
  callerRx: number;
  callerTx: number;
  opRx: number;
  opTx: number;
  bridged: boolean;
}
const counters = new Map<number, CallCounters>();
let scanFrom = 1;
function sample(): void {
  const miss = 2000;
  let last = scanFrom;
  for (let id = scanFrom; id < last + miss; id++) {
    const legs = tel.b2bua.mediaLegs(SIP_ACCOUNT, id);
    if (!legs) continue;
    last = id;
    const op = Object.values(legs.operators)[0];
    const a = legs.caller ? tel.media.stats(legs.caller) : undefined;
    const b = op ? tel.media.stats(op) : undefined;
    const c = counters.get(id) ?? { callerRx: 0, callerTx: 0, opRx: 0, opTx: 0, bridged: false };
    if (a) {
      c.callerRx = Math.max(c.callerRx, a.rxPackets);
      c.callerTx = Math.max(c.callerTx, a.txPackets);
    }
    if (b) {
      c.bridged = true;
      c.opRx = Math.max(c.opRx, b.rxPackets);
      c.opTx = Math.max(c.opTx, b.txPackets);
    }
    counters.set(id, c);
  }
}

/** CPU time (ms) of one thread of this process. */
function threadCpuMs(tid: number): number {
  try {
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}
/** The main thread (the fan-out, SIP, the engines) and the media worker. */
const threadsCpuMs = () => ({ main: threadCpuMs(process.pid), media: mediaThread?.tid ? threadCpuMs(mediaThread.tid) : 0 });

let mark = { cpu: cpuMs(), threads: threadsCpuMs(), t: performance.now() };
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

serveParent(
  {
    info: async () => {
      const login = await supervisorLogin(port);
      return { sip: `127.0.0.1:${tel.address().port}`, port, pid: process.pid, initArgs: ['supervisor', login.target, login.id_session] };
    },
    rateStart: (a) => {
      rate = new RatePublisher(target, a.perSecond as number);
    },
    rateStop: () => {
      const r = rate;
      rate = undefined;
      return r?.stop();
    },
    /** Forget the counters (a new measured run on the same server). */
    reset: () => {
      sample();
      scanFrom = Math.max(scanFrom, ...[...counters.keys()].map((id) => id + 1));
      counters.clear();
    },
    mark: () => {
      mark = { cpu: cpuMs(), threads: threadsCpuMs(), t: performance.now() };
      loopDelay.reset();
    },
    sinceMark: () => {
      const now = cpuMs();
      const children = now.children - mark.cpu.children;
      const t = threadsCpuMs();
      // cpuMs: this process and rtpengine (our child) together; childCpuMs: rtpengine alone;
      // childWaitMs: how long rtpengine's threads were runnable but not running (a core shared);
      // mainCpuMs / mediaCpuMs: the main thread (fan-out, SIP, engines) and the media worker.
      return {
        cpuMs: now.self - mark.cpu.self + children, childCpuMs: children, childWaitMs: now.childWait - mark.cpu.childWait,
        mainCpuMs: t.main - mark.threads.main, mediaCpuMs: t.media - mark.threads.media,
        wallMs: performance.now() - mark.t, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, calls: tel.b2bua.size,
      };
    },
    /** The media worker's thread (embedded plane): id, nice, CPUs. */
    mediaThread: () => mediaThread ?? null,
    /** Sums over the calls seen since the last reset. */
    counters: async () => {
      sample();
      await new Promise((r) => setTimeout(r, 700));
      sample();
      const all = [...counters.values()];
      const sum = (f: (c: CallCounters) => number) => all.reduce((n, c) => n + f(c), 0);
      return {
        calls: all.length,
        bridged: all.filter((c) => c.bridged).length,
        callerRx: sum((c) => c.callerRx),
        callerTx: sum((c) => c.callerTx),
        opRx: sum((c) => c.opRx),
        opTx: sum((c) => c.opTx),
      };
    },
    calls: () => tel.b2bua.size,
  },
  async () => {
    await rate?.stop();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
