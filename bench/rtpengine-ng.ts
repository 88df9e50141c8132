// The cost in rtpengine of the NG requests of our calls: N calls driven through the rtpengine
// plane step by step (all calls' step at once, pipelined), rtpengine's CPU time per step read
// from /proc/<pid>/stat (userspace rtpengine, our child, pinned with us by the caller's
// taskset), no RTP. Answers "how many calls per second can one core set up".
//   npx tsx bench/rtpengine-ng.ts [--calls 200] [--sound file.wav]
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { startRtpengine } from '../src/media/rtpengine/daemon.ts';
import { RtpenginePlane } from '../src/media/rtpengine/plane.ts';

const arg = (k: string, d: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1]! : d;
};
const calls = Number(arg('calls', '200'));
const sound = arg('sound', '');

const cpuMs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12])) * 10;
};
const s = dgram.createSocket('udp4');
await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
const ngPort = s.address().port;
s.close();
const d = await startRtpengine({ ngPort, portMin: 40000, portMax: 40000 + calls * 8 + 100 });
const plane = new RtpenginePlane({ ng: d.ng, events: { dtmf() {} } });
const sdp = (port: number) =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n`;
const ids = Array.from({ length: calls }, (_, i) => `b${i}`);
const rows: string[] = [];
const step = async (name: string, fn: (id: string, i: number) => Promise<unknown>) => {
  const before = Object.values(plane.ngCounts()).reduce((a, b) => a + b, 0);
  const c0 = cpuMs(d.pid);
  const t0 = performance.now();
  await Promise.all(ids.map(fn));
  const wall = performance.now() - t0;
  // what rtpengine still does after its replies (deletes, player threads) counts too
  await new Promise((r) => setTimeout(r, 300));
  const cpu = cpuMs(d.pid) - c0;
  const reqs = Object.values(plane.ngCounts()).reduce((a, b) => a + b, 0) - before;
  rows.push(`| ${name} | ${reqs / calls} | ${((cpu * 1000) / calls).toFixed(0)} | ${reqs ? ((cpu * 1000) / reqs).toFixed(0) : '—'} | ${wall.toFixed(0)} |`);
};
await step('answer (caller)', (id, i) => plane.answer(id, `${id}.a`, sdp(50000 + 2 * i)));
if (sound) await step('play (hold music, loop)', (id) => plane.play(`${id}.a`, sound, { loop: true }));
await step('offer (operator)', (id) => plane.offer(id, `${id}.op`));
await step('answered (operator)', (id, i) => plane.answered(`${id}.op`, sdp(52000 + 2 * i)));
await step('bridge', (id) => plane.bridge(`${id}.a`, `${id}.op`));
await step('hang-up (close both)', (id) => Promise.all([plane.close(`${id}.op`), plane.close(`${id}.a`)]));
console.log(`${calls} calls, rtpengine pid ${d.pid}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
console.log('| step | NG requests per call | rtpengine CPU µs per call | µs per request | wall ms (all calls) |\n|---|--:|--:|--:|--:|');
console.log(rows.join('\n'));
await plane.stop();
await d.stop();
