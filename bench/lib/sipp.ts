// sipp (Debian sip-tester) as the benchmark's SIP load: scenarios of bench/sipp with their
// {{placeholders}} filled, pinned to the load generators' cores, every run bounded (-timeout
// and a kill past it), its counts read from its statistics file and its INVITE→200 times
// from its response-time trace.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canPin, ROOT } from './procs.ts';

const live = new Set<ChildProcess>();

/** Kills every sipp still running (on the way out). */
export function killSipps(): void {
  for (const c of live) c.kill('SIGKILL');
}

export interface SippResult {
  code: number | null;
  successful: number;
  failed: number;
  /** INVITE→200 of each call that got one (ms), from -trace_rtt. */
  rtdMs: number[];
  /** Calls per second from the first 200 to the last (what the server kept up with). */
  achievedRate: number;
  stderr: string;
}

export interface SippRun {
  done: Promise<SippResult>;
  /** Ends it now (SIGKILL); `done` still resolves. */
  kill(): void;
}

/** A scenario of bench/sipp with {{name}} filled, written in `dir`. */
export function render(dir: string, name: string, values: Record<string, string | number>): string {
  let text = readFileSync(join(ROOT, 'bench', 'sipp', `${name}.xml`), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{{${k}}}`, String(v));
  const left = /\{\{(\w+)\}\}/.exec(text);
  if (left) throw new Error(`scenario ${name}: no value for {{${left[1]}}}`);
  const file = join(dir, `${name}.xml`);
  writeFileSync(file, text);
  return file;
}

/** An 8 kHz µ-law WAV of a 440 Hz tone lasting `seconds` (seconds × 50 RTP packets of 20 ms). */
export function toneWav(dir: string, seconds: number): string {
  const n = 8000 * seconds;
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i++) data[i] = mulaw(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const h = Buffer.alloc(58);
  h.write('RIFF', 0);
  h.writeUInt32LE(50 + n, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(18, 16);
  h.writeUInt16LE(7, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.writeUInt16LE(0, 36);
  h.write('fact', 38);
  h.writeUInt32LE(4, 42);
  h.writeUInt32LE(n, 46);
  h.write('data', 50);
  h.writeUInt32LE(n, 54);
  const file = join(dir, `tone-${seconds}s.wav`);
  writeFileSync(file, Buffer.concat([h, data]));
  return file;
}

function mulaw(x: number): number {
  const sign = x < 0 ? 0x80 : 0;
  const m = Math.min(Math.abs(x), 32635) + 132;
  let exp = 7;
  for (let mask = 0x4000; (m & mask) === 0 && exp > 0; mask >>= 1) exp--;
  return ~(sign | (exp << 4) | ((m >> (exp + 3)) & 0x0f)) & 0xff;
}

export interface SippOptions {
  scenario: string;
  /** Where the scenario's files and sipp's logs go (the caller removes it). */
  dir: string;
  target?: string;
  service?: string;
  localPort: number;
  mediaPort: number;
  calls: number;
  rate: number;
  limit?: number;
  cpus?: string;
  timeoutMs: number;
  extraArgs?: string[];
}

/** Starts sipp; `done` resolves when it exits (killed past `timeoutMs` + 5 s). */
export function startSipp(o: SippOptions): SippRun {
  const args = [
    '-sf', o.scenario,
    '-m', String(o.calls),
    '-r', String(o.rate),
    '-t', 'u1',
    '-i', '127.0.0.1', '-bind_local',
    '-p', String(o.localPort),
    '-mp', String(o.mediaPort),
    '-timeout', `${Math.ceil(o.timeoutMs / 1000)}s`, '-timeout_error',
    '-nostdin', '-nd', '-max_recv_loops', '10000', '-max_sched_loops', '10000',
    '-trace_stat', '-fd', '1',
    '-trace_rtt', '-rtt_freq', '1',
    '-trace_err', '-error_file', join(o.dir, 'errors.log'),
  ];
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.service !== undefined) args.push('-s', o.service);
  args.push(...(o.extraArgs ?? []));
  if (o.target) args.push(o.target);
  const pinned = canPin && o.cpus !== undefined;
  const child = spawn(pinned ? '/usr/bin/taskset' : 'sipp', pinned ? ['-c', o.cpus!, 'sipp', ...args] : args, { cwd: o.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 16 * 1024) stderr += d.toString();
  });
  const done = new Promise<SippResult>((resolve) => {
    const guard = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs + 5_000);
    child.once('exit', (code) => {
      clearTimeout(guard);
      live.delete(child);
      const rtd = readRtd(o.dir);
      const span = rtd.length > 1 ? (Math.max(...rtd.map((x) => x.at)) - Math.min(...rtd.map((x) => x.at))) / 1000 : 0;
      resolve({ code, ...readStats(o.dir), rtdMs: rtd.map((x) => x.ms), achievedRate: span > 0 ? Math.round(((rtd.length - 1) / span) * 10) / 10 : 0, stderr });
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

/** Successful and failed calls from the last line of sipp's statistics file (-trace_stat). */
function readStats(dir: string): { successful: number; failed: number } {
  const f = readdirSync(dir).find((n) => n.endsWith('.csv') && !n.endsWith('_rtt.csv'));
  if (!f) return { successful: 0, failed: 0 };
  const lines = readFileSync(join(dir, f), 'utf8').trim().split('\n');
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const col = (name: string) => Number(last[head.indexOf(name)] ?? 0);
  return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
}

/** Response times (ms) from sipp's -trace_rtt file: `date_ms;response_time_ms;rtd_no`. */
function readRtd(dir: string): { at: number; ms: number }[] {
  const f = readdirSync(dir).find((n) => n.endsWith('_rtt.csv'));
  if (!f) return [];
  return readFileSync(join(dir, f), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(';'))
    .map((c) => ({ at: Number(c[0]), ms: Number(c[1]) }))
    .filter((x) => Number.isFinite(x.ms) && Number.isFinite(x.at));
}

/** A fresh directory for one sipp run. */
export const runDir = () => mkdtempSync(join(tmpdir(), 'vm-bench-sipp-'));
export const removeDir = (d: string) => rmSync(d, { recursive: true, force: true });
