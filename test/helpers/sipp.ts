// Real sipp (Debian sip-tester) as the far SIP peer in tests: start a scenario against a target,
// wait for its exit with a bound, and get its exit code with its error and message traces.
// Every run has -m, -timeout and -timeout_error; killSipps() (afterEach) kills what is left.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { until } from './until.ts';

export interface SippOptions {
  /** Scenario file: a name in test/sipp (with or without .xml) or a path. */
  scenario: string;
  /** `host:port` of the peer (our endpoint) for a UAC scenario; omit for a UAS waiting for us. */
  target?: string;
  /** Calls to process before exiting (-m). @default 1 */
  calls?: number;
  /** Calls per second (-r). @default 10 */
  rate?: number;
  /** Most simultaneous calls (-l). */
  limit?: number;
  /** Keywords for the scenario, `[name]` in the XML (-key name value). */
  keys?: Record<string, string | number>;
  /** Global variables, `[$name]` in the XML (-set name value). */
  vars?: Record<string, string | number>;
  /** @default 'u1' (UDP, one socket) */
  transport?: 'u1' | 't1' | 'un' | 'tn';
  /** Local IP sipp binds and writes in its headers (-i, with -bind_local). @default '127.0.0.1' */
  localIp?: string;
  /** Local SIP port (-p). @default a free port (see `port` of the started run) */
  localPort?: number;
  /** Local RTP echo port (-mp). @default a free port */
  mediaPort?: number;
  /** Request-URI user part (-s). */
  service?: string;
  /** Credentials for `[authentication]` in the scenario (-au, -ap). */
  auth?: { username: string; password: string };
  /** Bound of the whole run: sipp's -timeout, and we kill it past this plus a margin. @default 15000 */
  timeoutMs?: number;
  extraArgs?: string[];
}

export interface SippResult {
  /** sipp's exit code: 0 all calls succeeded, 1 some failed, 97/99 other ends; null when killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The unexpected-message log (-trace_err), '' when none. */
  errors: string;
  /** Every message sent and received (-trace_msg), for diagnosis. */
  messages: string;
  stderr: string;
}

export interface SippRun {
  child: ChildProcess;
  /** sipp's local SIP port. */
  port: number;
  /** `127.0.0.1:port`-style address of this sipp, for a target URI. */
  address: string;
  done: Promise<SippResult>;
  kill(): void;
}

const running = new Set<ChildProcess>();
const SCENARIOS = resolve(import.meta.dirname, '..', 'sipp');

/** A port free for both UDP and TCP on `host` right now (the OS's pick). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((res, rej) => {
      const s = net.createServer();
      s.once('error', rej);
      s.listen(0, host, () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => res(p));
      });
    });
    const ok = await new Promise<boolean>((res) => {
      const u = dgram.createSocket('udp4');
      u.once('error', () => res(false));
      u.bind(port, host, () => u.close(() => res(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port');
}

/** A port free for sipp's media (-mp): sipp binds it for audio and the port two above it for video. */
async function freeMediaPort(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort(host);
    if (port + 2 <= 65535 && !(await taken(host, port + 2, false))) return port;
  }
  throw new Error('no free media port pair');
}

/** Starts sipp; resolve `done` for its result (bounded by `timeoutMs` plus a margin). */
export async function startSipp(o: SippOptions): Promise<SippRun> {
  // A media port we chose can be taken between our check and sipp's bind (other tests bind
  // ports all the time): sipp then exits at once, and we try again with another.
  for (let attempt = 1; ; attempt++) {
    const run = await launchSipp(o);
    if (o.mediaPort !== undefined || attempt >= 3 || run.child.exitCode === null) return run;
    const early = await run.done;
    // Its SIP port too, when we chose it (not a port the caller gave).
    if (!/errno = 98|Address already in use/.test(early.stderr) || (/Unable to bind main socket/i.test(early.stderr) && o.localPort !== undefined)) return { ...run, done: Promise.resolve(early) };
  }
}

async function launchSipp(o: SippOptions): Promise<SippRun> {
  const file = isAbsolute(o.scenario) ? o.scenario : join(SCENARIOS, o.scenario.endsWith('.xml') ? o.scenario : `${o.scenario}.xml`);
  const localIp = o.localIp ?? '127.0.0.1';
  const port = o.localPort ?? (await freePort(localIp));
  const mediaPort = o.mediaPort ?? (await freeMediaPort(localIp));
  const timeoutMs = o.timeoutMs ?? 15_000;
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const args = [
    '-sf', file,
    '-m', String(o.calls ?? 1),
    '-r', String(o.rate ?? 10),
    '-t', o.transport ?? 'u1',
    '-i', localIp, '-bind_local',
    '-p', String(port),
    '-mp', String(mediaPort),
    '-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error',
    '-nostdin',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
  ];
  if (o.limit !== undefined) args.push('-l', String(o.limit));
  if (o.service !== undefined) args.push('-s', o.service);
  if (o.auth) args.push('-au', o.auth.username, '-ap', o.auth.password);
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, String(v));
  for (const [k, v] of Object.entries(o.vars ?? {})) args.push('-set', k, String(v));
  args.push(...(o.extraArgs ?? []));
  if (o.target) args.push(o.target);

  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 64 * 1024) stderr += d.toString();
  });
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8');
    } catch {
      return '';
    }
  };
  const done = new Promise<SippResult>((res) => {
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5_000);
    child.once('exit', (code, signal) => {
      clearTimeout(guard);
      running.delete(child);
      const result = { code, signal, errors: read('errors.log'), messages: read('messages.log'), stderr };
      // Other logs sipp may have written (screens, stats) go with the directory.
      rmSync(dir, { recursive: true, force: true });
      res(result);
    });
  });
  // A UAS must be listening before the test calls it: wait until sipp holds its port.
  const tcp = (o.transport ?? 'u1').startsWith('t');
  const end = Date.now() + 5_000;
  while (!(await taken(localIp, port, tcp))) {
    if (child.exitCode !== null || Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, port, address: `${localIp}:${port}`, done, kill: () => child.kill('SIGKILL') };
}

/** Whether `port` is bound on `host` (for UDP, or listening for TCP) by someone else. */
function taken(host: string, port: number, tcp: boolean): Promise<boolean> {
  return new Promise((res) => {
    if (tcp) {
      const s = net.createServer();
      s.once('error', () => res(true));
      s.listen(port, host, () => s.close(() => res(false)));
    } else {
      const u = dgram.createSocket('udp4');
      u.once('error', () => res(true));
      u.bind(port, host, () => u.close(() => res(false)));
    }
  });
}

/**
 * `until` while a sipp run lasts: a run that fails first (a BYE it did not expect, a call
 * refused) fails the wait at once with its account, instead of a bare timeout later.
 */
export async function untilSipp<T>(run: SippRun, what: string, probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  let failed: SippResult | undefined;
  void run.done.then((r) => {
    if (r.code !== 0) failed = r;
  });
  return until(what, () => {
    if (failed) throw new Error(`sipp ended before ${what}: ${explain(failed)}`);
    return probe();
  }, timeoutMs);
}

/** Runs a scenario to its end and returns its result. */
export async function runSipp(o: SippOptions): Promise<SippResult> {
  return (await startSipp(o)).done;
}

/** Kills every sipp still running (afterEach). */
export function killSipps(): void {
  for (const c of running) c.kill('SIGKILL');
}

/** A readable account of a failed run, for assertion messages. */
export function explain(r: SippResult): string {
  return `sipp exit ${r.code ?? r.signal}\n--- errors\n${r.errors.slice(-4000)}\n--- stderr\n${r.stderr.slice(-2000)}\n--- messages\n${r.messages.slice(-6000)}`;
}
