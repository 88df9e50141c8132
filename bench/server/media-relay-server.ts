// The embedded media plane under benchmark, in its own process: answers each call's two
// legs, bridges them, and reports its process's CPU time (its main thread idles; the time
// is the media worker's).
import { performance } from 'node:perf_hooks';
import { NodeMediaPlane } from '../../src/media/node/index.ts';
import { serveParent } from '../lib/procs.ts';

const plane = new NodeMediaPlane({ events: { dtmf: () => undefined }, ports: { min: 40000, max: 47999 } });
let cpu0 = process.cpuUsage();
let t0 = performance.now();

function sdp(port: number): string {
  return ['v=0', `o=g ${port} 1 IN IP4 127.0.0.1`, 's=g', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', ''].join('\r\n');
}

serveParent(
  {
    /** Legs for each pair of far-end ports; answers the plane's ports in the same order. */
    async calls(args) {
      const ports = args.ports as number[];
      const out: number[] = [];
      for (let i = 0; i < ports.length; i += 2) {
        const call = `c${i / 2}`;
        for (const [k, p] of [ports[i]!, ports[i + 1]!].entries()) {
          const answer = await plane.answer(call, `${call}.${k}`, sdp(p));
          out.push(Number(/m=audio (\d+)/.exec(answer)![1]));
        }
        await plane.bridge(`${call}.0`, `${call}.1`);
      }
      return out;
    },
    mark() {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    },
    cpu() {
      const d = process.cpuUsage(cpu0);
      return { cpuMs: (d.user + d.system) / 1000, wallMs: performance.now() - t0 };
    },
    /** Legs' counters summed, and how many legs received or sent nothing. */
    legs(args) {
      const all = [];
      for (let i = 0; i < Number(args.calls); i++) for (const k of [0, 1]) all.push(plane.stats(`c${i}.${k}`)!);
      return {
        rx: all.reduce((n, s) => n + s.rxPackets, 0),
        tx: all.reduce((n, s) => n + s.txPackets, 0),
        silentRx: all.filter((s) => s.rxPackets === 0).length,
        silentTx: all.filter((s) => s.txPackets === 0).length,
      };
    },
    async hangup(args) {
      for (let i = 0; i < Number(args.calls); i++) for (const k of [0, 1]) await plane.close(`c${i}.${k}`);
    },
  },
  () => plane.stop(),
);
