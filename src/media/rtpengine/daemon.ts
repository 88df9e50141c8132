// Runs Debian's rtpengine-daemon as a child process, in userspace (`--table=-1`, no kernel
// module), for the tests and for `vm serve --media rtpengine` when the user wants us to start
// it; `--rtpengine HOST:PORT` points at one somebody else runs instead.
//
// Bounded: the start waits for the NG port to answer a `ping` until a deadline, then kills the
// process and throws with the tail of its stderr; `stop()` sends SIGTERM, then SIGKILL.

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { MediaError } from '../plane.ts';

export interface RtpengineDaemonOptions {
  /** UDP port of the NG control protocol (bound on `address`). */
  ngPort: number;
  /** RTP port range rtpengine allocates from. */
  portMin: number;
  portMax: number;
  /** Address for RTP and NG. @default 127.0.0.1 */
  address?: string;
  /** Where rtpengine sends its DTMF reports (JSON over UDP, `--dtmf-log-dest`), on `address`. */
  dtmfLogPort?: number;
  /** Spool directory of pcap recordings (`--recording-dir`, `--recording-method=pcap`). */
  recordingDir?: string;
  /** @default 'rtpengine' (Debian's /usr/bin/rtpengine) */
  binary?: string;
  /** rtpengine's log level (syslog numbers, 7 = debug). @default 5 */
  logLevel?: number;
  /** How long the NG port has to answer a ping. @default 10_000 */
  startTimeoutMs?: number;
}

export interface RtpengineDaemon {
  /** The NG control address, "host:port". */
  readonly ng: string;
  readonly pid: number;
  /** Terminates the process (SIGTERM, SIGKILL after 3 s); resolves once it exited. */
  stop(): Promise<void>;
  /** The last lines rtpengine wrote to stderr (bounded), for error reports. */
  log(): string;
}

const STDERR_KEEP = 64 * 1024;

/** The command-line flags for `opts` (exported so the docs and the report quote the real ones). */
export function rtpengineArgs(opts: RtpengineDaemonOptions): string[] {
  const address = opts.address ?? '127.0.0.1';
  const args = [
    '--config-file=none', // never read /etc/rtpengine/rtpengine.conf
    '--table=-1', // userspace only
    '--foreground',
    '--log-stderr',
    `--log-level=${opts.logLevel ?? 5}`,
    `--interface=${address}`,
    `--listen-ng=${address}:${opts.ngPort}`,
    `--port-min=${opts.portMin}`,
    `--port-max=${opts.portMax}`,
    // a deleted call's ports are freed at once (default: 30 s later)
    '--delete-delay=0',
  ];
  if (opts.dtmfLogPort !== undefined) args.push(`--dtmf-log-dest=${address}:${opts.dtmfLogPort}`);
  if (opts.recordingDir !== undefined) {
    args.push(`--recording-dir=${opts.recordingDir}`, '--recording-method=pcap');
  }
  return args;
}

/** Starts rtpengine and resolves once its NG port answers. @throws MediaError MEDIA_UNAVAILABLE */
export async function startRtpengine(opts: RtpengineDaemonOptions): Promise<RtpengineDaemon> {
  const address = opts.address ?? '127.0.0.1';
  if (opts.recordingDir !== undefined) mkdirSync(opts.recordingDir, { recursive: true });
  const child = spawn(opts.binary ?? 'rtpengine', rtpengineArgs(opts), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_KEEP);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      stderr += `\n${err.message}`;
      exited = true;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (!(await ping(address, opts.ngPort, 200))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new MediaError('MEDIA_UNAVAILABLE', `rtpengine did not answer on ${address}:${opts.ngPort}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
  }
  return {
    ng: `${address}:${opts.ngPort}`,
    pid: child.pid ?? 0,
    stop,
    log: () => stderr,
  };
}

/** One NG `ping` (bencode over UDP); true if `pong` came back within `timeoutMs`. */
export function ping(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const cookie = `p${process.pid}x${Math.floor(Math.random() * 1e9)}`;
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('error', () => done(false));
    sock.on('message', (msg) => {
      if (msg.toString('latin1') === `${cookie} d6:result4:ponge`) done(true);
    });
    sock.send(`${cookie} d7:command4:pinge`, port, host);
  });
}
