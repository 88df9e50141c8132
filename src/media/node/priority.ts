// The media worker's scheduling priority. Audio is real time: a packet relayed 100 ms late
// is as good as lost, and one never read before its socket's queue overflows is lost. On a
// busy core the worker would otherwise get only its fair share next to every other runnable
// thread (the fan-out in this very process, a database, other services) and its sockets'
// queues would overflow while it waits, whatever its own CPU use (measured: 200 relayed calls
// losing 10–60 % of their packets with the worker at 20–45 % of a core, RcvbufErrors rising,
// on a core shared with other busy processes; bench/README.md "Media relay"). Media servers
// do the same: Asterisk -p, FreeSWITCH -rp, rtpengine --priority.
import { readlinkSync } from 'node:fs';
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
