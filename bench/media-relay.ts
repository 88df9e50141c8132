// Media relay benchmark (not in npm test): N calls relayed by the embedded media plane
// (src/media/node/, in a worker thread, in a process pinned to cpu 0), each call's two legs
// played by an RTP generator process (cpu 1) sending 20 ms PCMU both ways. Reports the
// media process's CPU (its main thread idles: the worker's time) and the packets lost.
// Each count runs --repeat times (interleaved: 50,200,400,50,200,400…); the table gives
// medians with [min–max]. CPU µs per packet (the media process's CPU time ÷ packets it
// relayed) is what a packet costs, whatever share of its core the plane was given.
//   npx tsx bench/media-relay.ts [--calls 50,100,200,400] [--seconds 10] [--generators 2] [--repeat 3] [--drain 500]
import { spawnChild, killAll, raiseSession } from './lib/procs.ts';

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
}

const counts = opt('calls', '50,100,200,400').split(',').map(Number);
const seconds = Number(opt('seconds', '10'));
/** Generator processes (each plays whole calls), all on cpu 1. */
const generators = Number(opt('generators', '2'));
const repeat = Number(opt('repeat', '1'));
console.error(`session: ${raiseSession() ?? 'autogroup unknown'}`);

async function one(calls: number) {
  const server = spawnChild('server-media', 'server/media-relay-server.ts', { cpus: '0' });
  const gens = Array.from({ length: generators }, (_, i) => spawnChild(`rtp-generator-${i}`, 'load/rtp-generator.ts', { cpus: '1' }));
  try {
    const share = (i: number) => Math.floor((calls * (i + 1)) / generators) - Math.floor((calls * i) / generators);
    const farPorts = await Promise.all(gens.map((g, i) => g.call<number[]>('open', { sockets: 2 * share(i) })));
    const planePorts = await server.call<number[]>('calls', { ports: farPorts.flat() });
    await server.call('mark');
    let at = 0;
    const runs = await Promise.all(
      gens.map((g, i) => {
        const targets = planePorts.slice(at, (at += 2 * share(i)));
        return g.call<{ tx: number[]; rx: number[]; frames: number; late: number }>('run', { targets, ms: seconds * 1000, drainMs: Number(opt('drain', '500')) });
      }),
    );
    const r = { tx: runs.flatMap((x) => x.tx), rx: runs.flatMap((x) => x.rx), late: runs.reduce((n, x) => n + x.late, 0) };
    const cpu = await server.call<{ cpuMs: number; wallMs: number }>('cpu');
    const legs = await server.call<{ rx: number; tx: number; silentRx: number; silentTx: number }>('legs', { calls });
    await server.call('hangup', { calls });
    // Each socket receives what its call's other socket sent.
    let sent = 0;
    let got = 0;
    for (let i = 0; i < r.tx.length; i++) {
      sent += r.tx[i ^ 1]!;
      got += r.rx[i]!;
    }
    return { calls, seconds, packetsSent: sent, packetsRelayed: got, lossPct: +(100 * (1 - got / sent)).toFixed(3), planeRx: legs.rx, planeTx: legs.tx, mediaCpuPct: +((100 * cpu.cpuMs) / cpu.wallMs).toFixed(1), perCallPct: +((cpu.cpuMs / cpu.wallMs / calls) * 100).toFixed(3), cpuUsPerPacket: +((cpu.cpuMs * 1000) / Math.max(1, legs.rx)).toFixed(2), generatorLateWakeups: r.late, legs };
  } finally {
    await Promise.all(gens.map((g) => g.stop()));
    await server.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[]) => (xs.length > 1 ? `${+median(xs).toFixed(3)} [${Math.min(...xs)}–${Math.max(...xs)}]` : String(xs[0]));

try {
  const rows: Awaited<ReturnType<typeof one>>[] = [];
  for (let r = 0; r < repeat; r++) {
    for (const n of counts) {
      const row = await one(n);
      console.error(JSON.stringify(row));
      rows.push(row);
    }
  }
  // Loss end to end (generator to generator); the plane's own counters say whether the
  // plane or the generator's receive side dropped them.
  console.log(`| calls | s | runs | packets sent | received back | loss % | plane rx | media process CPU % of a core | CPU µs per relayed packet |`);
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const n of counts) {
    const rs = rows.filter((r) => r.calls === n);
    const col = (f: (r: (typeof rs)[number]) => number) => fmt(rs.map(f));
    console.log(`| ${n} | ${seconds} | ${rs.length} | ${col((r) => r.packetsSent)} | ${col((r) => r.packetsRelayed)} | ${col((r) => r.lossPct)} | ${col((r) => r.planeRx)} | ${col((r) => r.mediaCpuPct)} | ${col((r) => r.cpuUsPerPacket)} |`);
  }
} finally {
  killAll();
}
