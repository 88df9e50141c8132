// Tuning aid: server CPU per delivery, ours against bare, interleaved (best of N is the
// steadiest figure on a shared machine), with a third side, `direct`: our whole server
// (Fastify, the gateway and its per-socket accounting, the stats timers, our heap) but the
// events emitted straight through its Socket.IO server as bare does, skipping the
// publisher (validation, serialisation, the log commit, stats, the recent-events ring).
// ours − direct is our per-event work; direct − bare what our server adds per delivery.
// `npx tsx bench/tuning/overhead.ts [clients] [events] [repeats]`
// — each server in this process in turn, the benchmark's load generators (cpu 1) as clients,
// events published in batches of 20 as in the fan-out scenario.
import { performance } from 'node:perf_hooks';
import { startBare, startOurs, supervisorLogin, type Target } from '../server/targets.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/http/app.ts';
import { createSqliteStore } from '../../src/store/sqlite/index.ts';
import { importAccountFile } from '../../src/cli/directory.ts';
import { operatorOf, operatorRoom, typeRoom } from '../../src/protocol/index.ts';
import { ACCOUNT } from '../lib/events.ts';
/** Our server, publishing like the bare baseline (no publisher, no log). */
async function startOursDirect(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'vm-bench-'));
  const store = createSqliteStore(dir);
  await importAccountFile(store, new URL('../fixtures/account.json', import.meta.url).pathname);
  const app = await buildApp({ store });
  const port = await app.listen(0, '127.0.0.1');
  const login = await supervisorLogin(port);
  let cpt = 0;
  return {
    port, http: app.http.server, initArgs: ['supervisor', login.target, login.id_session],
    publish(n) {
      cpt++;
      const op = operatorOf(n);
      const to = op === undefined ? typeRoom(ACCOUNT, n.type_notification) : [typeRoom(ACCOUNT, n.type_notification), operatorRoom(ACCOUNT, op, n.type_notification)];
      const now = Date.now();
      app.io.to(to).emit('update', { ts: Math.floor(now / 1000), elapse: 0, cpt, event: n });
      return cpt;
    },
    clients: () => app.io.engine.clientsCount,
    async close() { await app.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}
import { benchEvent, nowUs } from '../lib/events.ts';
import { Workers, type Config } from '../lib/harness.ts';

const [clients = 500, events = 400, repeats = 3] = process.argv.slice(2).map(Number);
const cfg: Config = { quick: true, workers: 2, serverCpus: '0', clientCpus: '1', rounds: 1 };
const workers = new Workers(cfg);

async function run(side: string) {
  const t: Target = side === 'ours' ? await startOurs() : side === 'direct' ? await startOursDirect() : await startBare();
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
for (let r = 0; r < repeats; r++) for (const s of r % 2 ? ["ours", "direct", "bare"] : ["bare", "direct", "ours"]) out.push(await run(s));
console.table(out);
await workers.stop();
process.exit(0);
