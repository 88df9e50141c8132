// The media worker's scheduling priority and CPUs. Audio is real time: a packet relayed 100 ms late
// is as good as lost, and one never read before its socket's queue overflows is lost. On a
// busy core the worker would otherwise get only its fair share next to every other runnable
// thread (the fan-out in this very process, a database, other services) and its sockets'
// queues would overflow while it waits, whatever its own CPU use (measured: 200 relayed calls
// losing 10–60 % of their packets with the worker at 20–45 % of a core, RcvbufErrors rising,
// on a core shared with other busy processes; bench/README.md "Media relay"). Media servers
// do the same: Asterisk -p, FreeSWITCH -rp, rtpengine --priority.
// Its CPUs (`--media-cpu`): on a machine whose other cores are not busier than the fan-out's,
// the relay and the fan-out no longer take turns on one core (bench/README.md, sip).
import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value the media worker asks for (−20 highest … 19 lowest; 0 is everyone's default). */
export const MEDIA_NICE = -10;

/** This thread's kernel id (Linux), or undefined where /proc/thread-self does not exist. */
export function threadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Raises the calling thread's priority to `nice` (on Linux a thread id is a valid target of
 * setpriority: only this thread changes, not the process's other threads). Without the right
 * to (CAP_SYS_NICE, or RLIMIT_NICE), it stays as it was. Returns the nice value in effect.
 */
export function raiseThreadPriority(nice = MEDIA_NICE): number | undefined {
  const tid = threadId();
  if (tid === undefined) return undefined;
  try {
    if (getPriority(tid) > nice) setPriority(tid, nice);
  } catch {
    // Not allowed: the worker runs at the default priority.
  }
  try {
    return getPriority(tid);
  } catch {
    return undefined;
  }
}

/** The CPUs a thread may run on, as the kernel lists them (`0-1,3`); undefined off Linux. */
export function allowedCpus(tid: number | 'thread-self' = 'thread-self'): string | undefined {
  try {
    const status = readFileSync(tid === 'thread-self' ? '/proc/thread-self/status' : `/proc/self/task/${tid}/status`, 'utf8');
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  } catch {
    return undefined;
  }
}

/** `[0, 1, 2, 5]` → `0-2,5`, the kernel's own way of listing CPUs. */
export function cpuList(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    out.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return out.join(',');
}

/**
 * Keeps the calling thread on `cpus` (its affinity; the process's other threads keep
 * theirs). Node has no sched_setaffinity: util-linux's taskset sets it on this thread's
 * id, once, at the worker's start (a few ms). Never throws: without taskset, or refused
 * (a CPU outside the cgroup's cpuset), the thread runs where it did and `error` says why.
 */
export function pinThread(cpus: readonly number[]): { cpus?: string; error?: string } {
  const want = cpuList(cpus);
  const tid = threadId();
  if (tid === undefined) return { error: 'no /proc/thread-self (not Linux): CPU affinity not set' };
  const r = spawnSync('taskset', ['-p', '-c', want, String(tid)], { encoding: 'utf8', timeout: 5000 });
  const now = allowedCpus();
  if (r.error) return { ...(now ? { cpus: now } : {}), error: `taskset could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}; util-linux installs it): CPU affinity not set` };
  if (r.status !== 0 || now !== want) return { ...(now ? { cpus: now } : {}), error: `taskset -p -c ${want} ${tid} failed: ${(r.stderr || `exit ${r.status}`).trim()}` };
  return { cpus: now };
}
