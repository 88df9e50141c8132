// Tuning aid: server CPU per delivery, ours against bare, interleaved (best of N is the
// steadiest figure on a shared machine). `npx tsx bench/tuning/overhead.ts [clients] [events] [repeats]`
// — each server in this process in turn, the benchmark's load generators (cpu 1) as clients,
// events published in batches of 20 as in the fan-out scenario.
import { performance } from 'node:perf_hooks';
import { startBare, startOurs, type Target } from '../server/targets.ts';
import { benchEvent, nowUs } from '../lib/events.ts';
import { Workers, type Config } from '../lib/harness.ts';

const [clients = 500, events = 400, repeats = 3] = process.argv.slice(2).map(Number);
const cfg: Config = { quick: true, workers: 2, serverCpus: '0', clientCpus: '1', rounds: 1 };
const workers = new Workers(cfg);

async function run(side: 'ours' | 'bare') {
  const t: Target = side === 'ours' ? await startOurs() : await startBare();
  await workers.connect(t.port, clients, t.initArgs);
  await workers.mark();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let k = 0; k < events; k += 20) {
    let last: Promise<number> | number = 0;
    for (let i = 0; i < 20; i++) last = t.publish(benchEvent(k + i, nowUs()));
    if (typeof last === 'number') await new Promise((r) => setImmediate(r));
    else await last;
  }
  let got = 0;
  while (got < clients * events && performance.now() - t0 < 60_000) {
    await new Promise((r) => setTimeout(r, 5));
    got = (await workers.sinceMark()).deliveries;
  }
  const cpu = process.cpuUsage(cpu0);
  await workers.closeAll();
  await t.close();
  return { side, deliveries: got, ms: Math.round(performance.now() - t0), cpuUsPerDelivery: Math.round(((cpu.user + cpu.system) / got) * 100) / 100 };
}

const out: Record<string, unknown>[] = [];
for (let r = 0; r < repeats; r++) for (const s of r % 2 ? (['ours', 'bare'] as const) : (['bare', 'ours'] as const)) out.push(await run(s));
console.table(out);
await workers.stop();
process.exit(0);
