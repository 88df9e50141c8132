// `npm run bench [-- scenario… ] [--quick] [--duration S] [--clients N] [--connections N]
// [--rounds N] [--workers N] [--readme]`: runs our server and the bare stack side by side and
// writes bench/results/latest.json and latest.md (and the README's Benchmarks section with
// --readme). Progress goes to stderr.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { killAll, raiseSession } from './lib/procs.ts';
import { log, type Config } from './lib/harness.ts';
import { machine } from './lib/machine.ts';
import { writeResults } from './lib/report.ts';
import type { Scenario, ScenarioResult } from './scenarios/types.ts';
import { fanout } from './scenarios/fanout.ts';
import { latency } from './scenarios/latency.ts';
import { connections } from './scenarios/connections.ts';
import { resume } from './scenarios/resume.ts';
import { auth } from './scenarios/auth.ts';
import { sip } from './scenarios/sip.ts';
import { killSipps } from './lib/sipp.ts';
import { closeRtpCounter } from './lib/rtp-count.ts';

const SCENARIOS: Record<string, Scenario> = { fanout, latency, connections, resume, auth, sip };
/** Scenario 6 needs a scale-out (several nodes sharing rooms through Redis) the server lacks. */
export const NOT_RUN = { cluster: 'not run: needs the scale-out (several nodes + the Redis adapter), which the server does not have yet' };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    clients: { type: 'string' },
    connections: { type: 'string' },
    rounds: { type: 'string' },
    workers: { type: 'string' },
    'server-cpus': { type: 'string', default: '0' },
    'client-cpus': { type: 'string', default: '1' },
    readme: { type: 'boolean', default: false },
  },
});

const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
const quick = values.quick || process.env.BENCH_QUICK === '1';
const cfg: Config = {
  quick,
  durationS: num(values.duration ?? process.env.BENCH_DURATION),
  clients: num(values.clients),
  connections: num(values.connections),
  workers: num(values.workers) ?? 2,
  serverCpus: values['server-cpus']!,
  clientCpus: values['client-cpus']!,
  rounds: num(values.rounds) ?? (quick ? 1 : 2),
};

const names = positionals.length > 0 ? positionals : Object.keys(SCENARIOS);
for (const n of names) {
  if (!SCENARIOS[n] && !(n in NOT_RUN)) {
    console.error(`unknown scenario "${n}"; expected some of ${[...Object.keys(SCENARIOS), ...Object.keys(NOT_RUN)].join(', ')}`);
    process.exit(2);
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll();
    killSipps();
    closeRtpCounter();
    process.exit(130);
  });
}

const session = raiseSession();
if (session) log(`session: ${session}`);
const results: Record<string, ScenarioResult> = {};
const started = new Date();
const loadAtStart = loadavg();
try {
  for (const n of names) {
    const run = SCENARIOS[n];
    if (!run) {
      log(`${n}: ${NOT_RUN[n as keyof typeof NOT_RUN]}`);
      continue;
    }
    log(`${n}: starting${cfg.quick ? ' (quick)' : ''}`);
    results[n] = await run(cfg);
    log(`${n}: ours ${results[n].entry.ours} / bare ${results[n].entry.bare} ${results[n].entry.unit} → ratio ${results[n].entry.ratio}`);
  }
} catch (e) {
  killAll();
  console.error(e);
  process.exit(1);
}

const paths = writeResults(machine(cfg, started, loadAtStart), results, names.filter((n) => n in NOT_RUN).length > 0 || positionals.length === 0 ? NOT_RUN : {}, { readme: values.readme });
log(`wrote ${paths.join(', ')}`);
process.exit(0);
