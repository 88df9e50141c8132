// RTP far ends for the media relay benchmark: 2 sockets per call (its two legs), each
// sending 20 ms PCMU packets to the plane on one shared monotonic schedule and counting
// what comes back (the other leg's packets, relayed).
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { setPriority } from 'node:os';
import { serveParent } from '../lib/procs.ts';

// The load must not be what loses packets on a busy machine: this process asks for the
// priority the media worker asks for (src/media/node/priority.ts), when allowed.
try {
  setPriority(-10);
} catch {
  // Not allowed: default priority.
}

let sockets: { s: Socket; rx: number; tx: number; target?: { port: number; address: string } }[] = [];

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

serveParent({
  /** Binds 2 sockets per call; answers their ports. */
  async open(args) {
    const n = Number(args.sockets);
    sockets = [];
    for (let i = 0; i < n; i++) {
      const s = await bind();
      s.setRecvBufferSize?.(1 << 20);
      const e = { s, rx: 0, tx: 0 };
      s.on('message', () => e.rx++);
      sockets.push(e);
    }
    return sockets.map((e) => e.s.address().port);
  },
  /** Sends for `ms` to the plane's ports, then waits `drainMs` for the last packets. */
  async run(args) {
    const targets = args.targets as number[];
    sockets.forEach((e, i) => (e.target = { port: targets[i]!, address: '127.0.0.1' }));
    // Connected sockets: no address lookup per send, the kernel's route cached; each socket
    // only ever talks to its one plane port. (The generator must cost less than the plane,
    // or the benchmark measures the generator.)
    await Promise.all(sockets.map((e) => new Promise<void>((resolve) => e.s.connect(e.target!.port, e.target!.address, resolve))));
    const ms = Number(args.ms);
    const payload = Buffer.alloc(160, 0xff);
    const packet = Buffer.alloc(172);
    packet[0] = 0x80;
    packet[1] = 0;
    payload.copy(packet, 12);
    // Calls do not all speak on the same millisecond: socket i sends at t0 + 20·n + (i mod 20)
    // ms. (A burst of every socket at once overflows loopback's backlog, a loss of the
    // generator's making, not the relay's.)
    const t0 = performance.now();
    const frames = Math.floor(ms / 20);
    const next = new Array<number>(20).fill(0);
    let late = 0;
    await new Promise<void>((resolve) => {
      const step = () => {
        const now = performance.now() - t0;
        let done = true;
        for (let b = 0; b < 20; b++) {
          while (next[b]! < frames && 20 * next[b]! + b <= now) {
            const f = next[b]!;
            if (now - (20 * f + b) > 20) late++;
            for (let i = b; i < sockets.length; i += 20) {
              const e = sockets[i]!;
              packet.writeUInt16BE(f & 0xffff, 2);
              packet.writeUInt32BE((f * 160) >>> 0, 4);
              packet.writeUInt32BE(i + 1, 8);
              e.s.send(packet);
              e.tx++;
            }
            next[b]!++;
          }
          if (next[b]! < frames) done = false;
        }
        if (done) return resolve();
        setTimeout(step, 1);
      };
      step();
    });
    const frame = frames;
    await new Promise((r) => setTimeout(r, Number(args.drainMs ?? 500)));
    const tx = sockets.map((e) => e.tx);
    const rx = sockets.map((e) => e.rx);
    return { tx, rx, frames: frame, late };
  },
  close() {
    for (const e of sockets) e.s.close();
    sockets = [];
  },
});
