// The real `vm` command line as a child process (node bin/vm.js …), for tests that run it as a
// person does: against a data directory a running server also has open, or against a server.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { until } from './until.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface VmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface VmOptions {
  /** The child's whole environment (default: ours, with VM_DATA emptied). */
  env?: NodeJS.ProcessEnv;
  /** Default: the repository root. */
  cwd?: string;
  /** Default: stdin, stdout and stderr piped. */
  stdio?: StdioOptions;
}

/** Starts `vm …args`; the caller reads it and waits for it. */
export function spawnVm(args: readonly string[], opts: VmOptions = {}): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin/vm.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? { ...process.env, VM_DATA: '' },
    stdio: opts.stdio ?? 'pipe',
  });
}

/** Runs `vm …args` to its end; `onSpawn` sees the child (to kill it in afterAll if it hangs). */
export function runVm(args: readonly string[], opts: VmOptions & { onSpawn?: (child: ChildProcess) => void } = {}): Promise<VmResult> {
  return new Promise((resolve, reject) => {
    const p = spawnVm(args, opts);
    opts.onSpawn?.(p);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs `vm …args` to its end, in our environment with VM_DATA emptied. */
export function vmCli(...args: string[]): Promise<VmResult> {
  return runVm(args);
}

/** Retries `probe` until it returns a value (a positive signal), at most `timeoutMs`. */
export function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  return until(what, probe, timeoutMs, 50);
}
