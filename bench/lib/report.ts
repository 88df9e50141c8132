// Writes the results: bench/results/latest.json (what checks read), latest.md (the table),
// and, when asked, the README's "Benchmarks" section (only that section is touched).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './procs.ts';
import type { Machine } from './machine.ts';
import type { Row, ScenarioResult } from '../scenarios/types.ts';

const RESULTS = join(ROOT, 'bench', 'results');
const HEADING = '## Benchmarks';

function table(results: Record<string, ScenarioResult>, notRun: Record<string, string>): string {
  const rows: Row[] = Object.values(results).flatMap((r) => r.rows);
  for (const [name, why] of Object.entries(notRun)) {
    rows.push({ scenario: name[0]!.toUpperCase() + name.slice(1), metric: why, ours: '—', bare: '—', ratio: '—', goal: '' });
  }
  const mark = (m: boolean | undefined) => (m === undefined ? '' : m ? 'yes' : '**no**');
  const lines = [
    '| Scenario | Metric | Ours | Bare stack | Ours ÷ bare | Goal | Met |',
    '|---|---|--:|--:|--:|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.metric} | ${r.ours} | ${r.bare} | ${r.ratio} | ${r.goal} | ${mark(r.met)} |`),
  ];
  return lines.join('\n');
}

/** The Markdown block: machine, table, notes. */
export function markdown(m: Machine, results: Record<string, ScenarioResult>, notRun: Record<string, string>): string {
  const notes = Object.values(results).flatMap((r) => r.notes ?? []);
  return [
    `Measured ${m.started.slice(0, 10)} on ${m.description}.${m.quick ? ' **Quick run** (short durations, fewer connections): indicative only.' : ''}`,
    `Load average (1, 5, 15 min) at start ${m.loadavg_at_start.join(', ')}, at end ${m.loadavg_at_end.join(', ')}: above ~0.5 other processes were competing for the two cores and the figures are noisy.`,
    'Method, tuning log and the run-to-run spread on this shared machine: `bench/README.md`; `npm run bench` reproduces (`-- --quick` for a short run).',
    '',
    table(results, notRun),
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');
}

function updateReadme(block: string): string {
  const path = join(ROOT, 'README.md');
  const text = readFileSync(path, 'utf8');
  const section = `${HEADING}\n\n${block.trim()}\n`;
  const at = text.search(/^## Benchmarks[ \t]*$/m);
  let out: string;
  if (at < 0) out = `${text.trimEnd()}\n\n${section}`;
  else {
    const rest = text.slice(at + HEADING.length);
    const next = rest.search(/^## /m);
    out = text.slice(0, at) + section + (next < 0 ? '' : `\n${rest.slice(next)}`);
  }
  writeFileSync(path, out);
  return path;
}

/** Writes latest.json and latest.md (and the README section); returns the paths written. */
export function writeResults(m: Machine, results: Record<string, ScenarioResult>, notRun: Record<string, string>, opts: { readme: boolean }): string[] {
  mkdirSync(RESULTS, { recursive: true });
  const scenarios = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.entry]));
  const json = join(RESULTS, 'latest.json');
  writeFileSync(json, `${JSON.stringify({ machine: m, scenarios }, null, 2)}\n`);
  const block = markdown(m, results, notRun);
  const md = join(RESULTS, 'latest.md');
  writeFileSync(md, `# Benchmark results\n\n${block}\n`);
  const paths = [json, md];
  if (opts.readme) paths.push(updateReadme(block));
  return paths;
}
