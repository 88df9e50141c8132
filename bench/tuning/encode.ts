// Tuning aid: what encoding each event once per broadcast and per-message deflate are worth.
// `npx tsx bench/tuning/encode.ts [clients] [events] [repeats]` — bare Socket.IO in this
// process, the benchmark's load generators (pinned to cpu 1) as clients; the wall time and
// this process's CPU to deliver `events` × `clients` updates, for three variants, interleaved:
//   once      deflate off: socket.io-adapter pre-encodes the websocket frame once per broadcast
//   per-socket deflate off, frame pre-encoding disabled: engine.io encodes for every socket
//   deflate   per-message deflate on (which also disables the pre-encoded frame)
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { startBare, type Target } from '../server/targets.ts';
import { benchEvent, nowUs } from '../lib/events.ts';
import { Workers, type Config } from '../lib/harness.ts';

const [clients = 200, events = 300, repeats = 3] = process.argv.slice(2).map(Number);
const require = createRequire(import.meta.url);
const { Adapter } = require('socket.io-adapter') as { Adapter: { prototype: Record<string, unknown> } };
const precompute = Adapter.prototype._encode as (packet: unknown, opts: Record<string, unknown>) => unknown;
const cfg: Config = { quick: true, workers: 2, serverCpus: '0', clientCpus: '1', rounds: 1 };
const workers = new Workers(cfg);

async function run(variant: 'once' | 'per-socket' | 'deflate') {
  Adapter.prototype._encode =
    variant === 'per-socket'
      ? function (this: { encoder: { encode(p: unknown): unknown } }, packet: unknown) {
          return this.encoder.encode(packet);
        }
      : precompute;
  const t: Target = await startBare({ deflate: variant === 'deflate' });
  await workers.connect(t.port, clients, t.initArgs);
  await workers.mark();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < events; k++) {
    t.publish(benchEvent(k, nowUs()));
    if (k % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  let got = 0;
  while (got < clients * events && performance.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 5));
    got = (await workers.sinceMark()).deliveries;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await workers.closeAll();
  await t.close();
  return { variant, deliveries: got, ms: Math.round(ms), perSecond: Math.round((got / ms) * 1000), serverCpuUsPerDelivery: Math.round(((cpu.user + cpu.system) / got) * 100) / 100 };
}

const out: Record<string, unknown>[] = [];
for (let r = 0; r < repeats; r++) for (const v of ['once', 'per-socket', 'deflate'] as const) out.push(await run(v));
console.table(out);
await workers.stop();
process.exit(0);
