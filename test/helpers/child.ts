// Real `vm serve` child processes on a data directory, for kill -9 and SIGTERM tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ADMIN_TOKEN } from './server.ts';

export interface ServeChild {
  child: ChildProcess;
  url: string;
}

const children = new Set<ChildProcess>();

/** Kills every child still running (afterAll). */
export function killChildren(): void {
  children.forEach((c) => c.kill('SIGKILL'));
}

/** Starts `vm serve` on port 0 and resolves once it listens. */
export async function serveChild(dataDir: string, extra: string[] = []): Promise<ServeChild> {
  const child = spawn(process.execPath, ['bin/vm.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--json', ...extra], {
    env: { ...process.env, VM_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  for await (const line of createInterface({ input: child.stdout! })) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line) as { event?: string; url?: string };
    if (msg.event === 'listening') return { child, url: msg.url! };
  }
  throw new Error('vm serve exited before listening');
}

/** Sends a signal and resolves once the child has exited. */
export function stopChild(child: ChildProcess, signal: 'SIGKILL' | 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
    child.kill(signal);
  });
}
