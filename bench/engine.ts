// `npm run bench:engine`: an 8-hour day of a 500-operator center (~100k calls) at max
// speed, in notifications per second: engine-only (engine + simulated world, notifications
// counted and dropped), then with every notification appended to the SQLite event log in
// batches. Prints the median of several runs and a markdown block for bench/ENGINE.md.
//   npx tsx bench/engine.ts [--runs 5] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AccountFile } from '../src/directory/schema.ts';
import type { Notification } from '../src/protocol/index.ts';
import type { LoggedEvent } from '../src/store/types.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { runSimulation, type SimulationOptions, type SimulationSummary } from '../src/sim/index.ts';

const argv = process.argv.slice(2);
const RUNS = Number(argv[argv.indexOf('--runs') + 1]) || 5;
const JSON_OUT = argv.includes('--json');
const BATCH = 2_000;

/** 500 operators in five groups of 100, one number per group, 10 s wrap-up. */
function center(): AccountFile {
  const groups = [1, 2, 3, 4, 5];
  return {
    account: { id: 1, name: 'Bench center' },
    groups: groups.map((id) => ({ id, name: `Group ${id}`, catchup: 10, ring_timeout: 20 })),
    operators: Array.from({ length: 500 }, (_, i) => ({ id: i + 1, name: `Operator ${i + 1}`, groups: [(i % 5) + 1] })),
    numbers: groups.map((id) => ({ id, service: `3310000000${id}`, route: { type: 'group' as const, id } })),
  };
}

const DAY: SimulationOptions = {
  account: center(),
  // 12,500 calls/h × 8 h ≈ 100,000 calls; 120 s talk + 10 s wrap-up ≈ 90 % occupancy.
  callsPerHour: 12_500,
  aht: 120,
  patience: 300,
  duration: 8 * 3600,
  answerDelay: [1, 3],
  seed: 1,
};

interface Run {
  calls: number;
  notifications: number;
  /** Wall time. */
  ms: number;
  perSec: number;
  /** CPU time of this process (user + system): less sensitive to other load on the machine. */
  cpuMs: number;
  perCpuSec: number;
}

function measure<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  return fn().then((value) => {
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    return { value, ms, cpuMs: (used.user + used.system) / 1000 };
  });
}

const run = (calls: number, notifications: number, ms: number, cpuMs: number): Run => ({
  calls,
  notifications,
  ms,
  perSec: notifications / (ms / 1000),
  cpuMs,
  perCpuSec: notifications / (cpuMs / 1000),
});

async function engineOnly(seed: number): Promise<Run> {
  const { value: s, ms, cpuMs } = await measure<SimulationSummary>(() => runSimulation({ ...DAY, seed }));
  return run(s.offered, s.notifications, ms, cpuMs);
}

async function persisted(seed: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'vm-bench-engine-'));
  const store = createSqliteStore(dir);
  let cpt = 0;
  let batch: LoggedEvent[] = [];
  let bodies: string[] = [];
  const writes: Promise<void>[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    writes.push(store.events.append(batch, bodies));
    batch = [];
    bodies = [];
  };
  const { value: s, ms, cpuMs } = await measure(async () => {
    const summary = await runSimulation({ ...DAY, seed }, (notification: Notification, at: number) => {
      batch.push({ accountId: 1, cpt: ++cpt, at, notification });
      bodies.push(JSON.stringify(notification));
      if (batch.length >= BATCH) flush();
    });
    flush();
    await Promise.all(writes);
    return summary;
  });
  const last = (await store.events.lastCpts()).get(1);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  if (last !== cpt) throw new Error(`event log ends at cpt ${last}, expected ${cpt}`);
  return run(s.offered, s.notifications, ms, cpuMs);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function series(name: string, fn: (seed: number) => Promise<Run>): Promise<{ name: string; runs: Run[]; median: number; medianCpu: number }> {
  // Warm-up (JIT), not counted.
  for (let i = 0; i < 3; i++) await fn(100 + i);
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await fn(i + 1);
    runs.push(r);
    if (!JSON_OUT) {
      process.stderr.write(
        `${name} run ${i + 1}: ${r.calls} calls, ${r.notifications} notifications in ${r.ms.toFixed(0)} ms (${r.cpuMs.toFixed(0)} ms CPU) = ${Math.round(r.perSec).toLocaleString('en-US')}/s wall, ${Math.round(r.perCpuSec).toLocaleString('en-US')}/s CPU\n`,
      );
    }
  }
  return { name, runs, median: median(runs.map((r) => r.perSec)), medianCpu: median(runs.map((r) => r.perCpuSec)) };
}

const results = [await series('engine-only', engineOnly), await series('sqlite', persisted)];
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`;
if (JSON_OUT) {
  process.stdout.write(`${JSON.stringify({ machine, runs: RUNS, results })}\n`);
} else {
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  const lines = [
    `Machine: ${machine}. ${RUNS} runs each after three warm-up runs; medians.`,
    '',
    '| mode | calls/run | notifications/run | median wall | median notifications/s (wall) | median notifications/s (CPU time) |',
    '|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.name} | ${fmt(median(r.runs.map((x) => x.calls)))} | ${fmt(median(r.runs.map((x) => x.notifications)))} | ${fmt(median(r.runs.map((x) => x.ms)))} ms | **${fmt(r.median)}** | ${fmt(r.medianCpu)} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
