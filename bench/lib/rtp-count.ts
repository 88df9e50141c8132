// Counting RTP at the media plane's edge, in the kernel: an iptables chain of counting rules
// (no target: nothing is filtered) on loopback output, keyed by the plane's port range and
// the far ends' ports. Exact, and costs neither the plane nor the load generators a thing.
// Works the same for both media planes (rtpengine's own counters do not tell what it failed
// to relay). Needs root; `open` returns undefined without it.
import { execFileSync } from 'node:child_process';

const CHAIN = 'VM_BENCH_RTP';

export interface RtpEdge {
  /** The plane's RTP port range. */
  plane: { min: number; max: number };
  /** The operators' (gateway's) RTP port: all their audio comes from and goes to it. */
  echoPort: number;
  /** The callers' SDP port: what the plane sends there is prompts, not relayed audio. */
  callerSdpPort: number;
  /** The callers' RTP port (sipp's media port: all their audio comes from and goes to it). */
  callerPort: number;
}

export interface RtpCounts {
  /** Callers → plane (their streams as the plane was offered them). */
  fromCallers: number;
  /** Plane → operators (the callers' audio relayed). */
  toOperators: number;
  /** Operators → plane (the echo). */
  fromOperators: number;
  /** Plane → callers, relayed (the echo relayed back; prompts excluded). */
  toCallers: number;
  /** Plane → callers' SDP port (prompts before the bridge). */
  prompts: number;
}

function ipt(args: string[]): string {
  return execFileSync('iptables', ['-w', '5', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Installs the counting rules; undefined when iptables cannot be used here. */
export function openRtpCounter(e: RtpEdge): RtpCounter | undefined {
  try {
    closeRtpCounter();
    ipt(['-N', CHAIN]);
    ipt(['-I', 'OUTPUT', '1', '-o', 'lo', '-p', 'udp', '-j', CHAIN]);
    const plane = `${e.plane.min}:${e.plane.max}`;
    // Every rule names a far end's port too: other processes on the machine may use ports of
    // the plane's range (another server's RTP) and must not be counted.
    const rule = (...r: string[]) => ipt(['-A', CHAIN, '-p', 'udp', ...r, '-j', 'RETURN']);
    rule('--sport', String(e.echoPort), '--dport', plane); // 1 fromOperators
    rule('--sport', plane, '--dport', String(e.echoPort)); // 2 toOperators
    rule('--sport', plane, '--dport', String(e.callerSdpPort)); // 3 prompts
    rule('--sport', plane, '--dport', String(e.callerPort)); // 4 toCallers
    rule('--sport', String(e.callerPort), '--dport', plane); // 5 fromCallers
    return new RtpCounter();
  } catch {
    closeRtpCounter();
    return undefined;
  }
}

/** Removes the rules (idempotent). */
export function closeRtpCounter(): void {
  for (const args of [['-D', 'OUTPUT', '-o', 'lo', '-p', 'udp', '-j', CHAIN], ['-F', CHAIN], ['-X', CHAIN]]) {
    try {
      ipt(args);
    } catch {
      // Not there.
    }
  }
}

export class RtpCounter {
  /** Zeroes the counters. */
  reset(): void {
    ipt(['-Z', CHAIN]);
  }

  read(): RtpCounts {
    const lines = ipt(['-L', CHAIN, '-n', '-v', '-x']).trim().split('\n').slice(2);
    const n = lines.map((l) => Number(l.trim().split(/\s+/)[0]));
    const prompts = n[2] ?? 0;
    return { fromOperators: n[0] ?? 0, toOperators: n[1] ?? 0, prompts, toCallers: n[3] ?? 0, fromCallers: n[4] ?? 0 };
  }
}
