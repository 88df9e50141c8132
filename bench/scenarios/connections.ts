// Scenario 3, connections: N idle authenticated sockets (init done, rooms joined) on one
// node → heap and RSS per connection after a full GC, ours ÷ bare, and init handshakes/s.
// All clients come from 127.0.0.1, which is also the IP the token is bound to.
import { log, pair, round2, withServer, Workers, type Config, type Side } from '../lib/harness.ts';
import { sleep } from '../lib/procs.ts';
import { fmt, ratio, type ScenarioResult } from './types.ts';

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export async function connections(cfg: Config): Promise<ScenarioResult> {
  const n = cfg.connections ?? (cfg.quick ? 2000 : 10_000);
  const workers = new Workers(cfg);
  const res = {} as Record<Side, { heap: number; rss: number; external: number; handshakes: number; connectS: number }>;
  try {
    for (const side of pair()) {
      await withServer(cfg, side, {}, async (server, info) => {
        // Warm the server up (JIT, lazy modules) with a few clients, then take the baseline.
        await workers.connect(info.port, 50, info.initArgs);
        await workers.closeAll();
        await sleep(1000);
        const before = await server.call<Mem>('mem');
        const c = await workers.connect(info.port, n, info.initArgs, 'since', 100);
        await sleep(2000);
        const after = await server.call<Mem>('mem');
        const count = await server.call<number>('clients');
        if (count !== n) throw new Error(`connections ${side}: the server holds ${count} clients, expected ${n}`);
        res[side] = {
          heap: (after.heapUsed - before.heapUsed) / n,
          rss: (after.rss - before.rss) / n,
          external: (after.external - before.external) / n,
          handshakes: c.connected / (c.ms / 1000),
          connectS: c.ms / 1000,
        };
        log(
          `connections ${side}: ${fmt(n)} sockets in ${(c.ms / 1000).toFixed(1)} s (${fmt(res[side].handshakes)} init handshakes/s); ` +
            `per connection heap ${fmt(res[side].heap)} B, RSS ${fmt(res[side].rss)} B`,
        );
        await workers.closeAll();
      });
    }
  } finally {
    await workers.stop();
  }
  const { ours, bare } = res;
  const rss = ratio(ours.rss, bare.rss);
  const heap = ratio(ours.heap, bare.heap);
  const hs = ratio(ours.handshakes, bare.handshakes);
  const kb = (b: number) => fmt(b / 1024, 1);
  return {
    entry: {
      ours: Math.round(ours.rss),
      bare: Math.round(bare.rss),
      ratio: rss,
      unit: 'bytes RSS per connection',
      goal: '<= 1.2',
      met: rss <= 1.2 && heap <= 1.2,
      connections: n,
      heap_per_connection: { ours: Math.round(ours.heap), bare: Math.round(bare.heap), ratio: heap },
      external_per_connection: { ours: Math.round(ours.external), bare: Math.round(bare.external) },
      init_handshakes_per_s: { ours: Math.round(ours.handshakes), bare: Math.round(bare.handshakes), ratio: hs },
    },
    rows: [
      { scenario: 'Connections', metric: `heap KiB per idle socket, ${fmt(n)} sockets`, ours: kb(ours.heap), bare: kb(bare.heap), ratio: heap.toFixed(2), goal: '≤ 1.2', met: heap <= 1.2 },
      { scenario: '', metric: 'RSS KiB per idle socket', ours: kb(ours.rss), bare: kb(bare.rss), ratio: rss.toFixed(2), goal: '≤ 1.2', met: rss <= 1.2 },
      { scenario: '', metric: 'connect + `init` handshakes/s', ours: fmt(ours.handshakes), bare: fmt(bare.handshakes), ratio: round2(hs).toFixed(2), goal: '' },
    ],
  };
}
