// Benchmark child processes (servers, load generators): forked under tsx, pinned to their
// own cores with taskset when it exists, and driven by request/response messages over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TASKSET = '/usr/bin/taskset';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Whether children can be pinned to cores. */
export const canPin = existsSync(TASKSET);

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** A child process that answers `call(cmd, args)`. */
export class Child {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (m: Reply) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`${name}: ${m.error}`));
    });
    proc.on('exit', (code, signal) => {
      this.exited = true;
      for (const w of this.waiting.values()) w.reject(new Error(`${name} exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  call<T>(cmd: string, args: object = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Asks the child to exit, and kills it (this pid only) if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.call('exit', {}, 5_000).catch(() => undefined);
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(t);
  }
}

const live = new Set<Child>();

/** Forks `script` (a .ts file under bench/) with tsx, pinned to `cpus` (e.g. "0"). */
export function spawnChild(name: string, script: string, opts: { cpus?: string; args?: string[]; env?: NodeJS.ProcessEnv } = {}): Child {
  const node = [process.execPath, '--expose-gc', '--import', 'tsx'];
  // BENCH_CPU_PROF=<dir>: V8 CPU profiles of the server processes, for tuning.
  const prof = process.env.BENCH_CPU_PROF;
  if (prof && name.startsWith('server')) node.push('--cpu-prof', `--cpu-prof-dir=${prof}`);
  const pinned = canPin && opts.cpus !== undefined;
  const proc = fork(new URL(script, new URL('../', import.meta.url)).pathname, opts.args ?? [], {
    cwd: ROOT,
    execPath: pinned ? TASKSET : process.execPath,
    execArgv: pinned ? ['-c', opts.cpus!, ...node] : node.slice(1),
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const child = new Child(name, proc);
  live.add(child);
  proc.once('exit', () => live.delete(child));
  return child;
}

/**
 * BENCH_AUTOGROUP_NICE=-10: this session's scheduling weight (Linux autogroup, which every
 * process of the benchmark shares): with sched_autogroup on, the kernel first shares a core
 * fairly between sessions, so on a machine shared with other sessions' work the server core
 * is only partly the benchmark's whatever its threads' nice values. Opt-in (needs root or
 * CAP_SYS_NICE); returns what is in effect, e.g. "/autogroup-287 nice -10".
 */
export function raiseSession(): string | undefined {
  const nice = process.env.BENCH_AUTOGROUP_NICE;
  try {
    if (nice !== undefined) writeFileSync('/proc/self/autogroup', nice);
    return readFileSync('/proc/self/autogroup', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Kills every child still running (on the way out, after an error). */
export function killAll(): void {
  for (const c of live) c.proc.kill('SIGKILL');
}

type Handler = (args: Record<string, unknown>) => unknown;

/** The child side: answers the parent's calls with the handlers; `exit` ends the process. */
export function serveParent(handlers: Record<string, Handler>, onExit?: () => Promise<void> | void): void {
  const send = (m: Reply) => process.send?.(m);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (m: { id: number; cmd: string; args: Record<string, unknown> }) => {
    if (m.cmd === 'exit') {
      void Promise.resolve(onExit?.())
        .catch(() => undefined)
        .finally(() => {
          send({ id: m.id, ok: true });
          setTimeout(() => process.exit(0), 20);
        });
      return;
    }
    const h = handlers[m.cmd];
    if (!h) return send({ id: m.id, ok: false, error: `unknown command ${m.cmd}` });
    Promise.resolve()
      .then(() => h(m.args))
      .then(
        (result) => send({ id: m.id, ok: true, result }),
        (e: unknown) => send({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
}

/** CPU time of this process since `from` (µs) — user and system. */
export function cpuSince(from: NodeJS.CpuUsage): { user: number; system: number } {
  const d = process.cpuUsage(from);
  return { user: d.user, system: d.system };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
