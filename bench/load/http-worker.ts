// An HTTP/1.1 keep-alive load generator: N connections, each sending one prebuilt raw
// request, waiting for the whole answer, and sending the next, for a fixed time.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serveParent } from '../lib/procs.ts';

const HEADER_END = Buffer.from('\r\n\r\n');

/** What one load run measured (the auth scenario reads it). */
export interface Load {
  ok: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  wallMs: number;
  cpu: { user: number; system: number };
}

function contentLength(head: string): number {
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return m ? Number(m[1]) : 0;
}

function run(port: number, raw: string, connections: number, ms: number): Promise<Load> {
  const request = Buffer.from(raw);
  const result: Load = { ok: 0, non2xx: 0, errors: 0, statuses: {}, wallMs: 0, cpu: { user: 0, system: 0 } };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + ms;
  const lane = () =>
    new Promise<void>((resolve) => {
      const s: Socket = connect(port, '127.0.0.1');
      s.setNoDelay(true);
      let buf: Buffer = Buffer.alloc(0);
      s.on('connect', () => s.write(request));
      s.on('data', (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        for (;;) {
          const h = buf.indexOf(HEADER_END);
          if (h < 0) return;
          const head = buf.toString('latin1', 0, h);
          const total = h + 4 + contentLength(head);
          if (buf.length < total) return;
          const status = head.slice(9, 12);
          result.statuses[status] = (result.statuses[status] ?? 0) + 1;
          if (status[0] === '2') result.ok++;
          else result.non2xx++;
          buf = buf.subarray(total);
          if (performance.now() < end) s.write(request);
          else {
            s.end();
            return;
          }
        }
      });
      s.on('error', () => {
        result.errors++;
      });
      s.on('close', () => resolve());
    });
  return Promise.all(Array.from({ length: connections }, lane)).then(() => {
    const d = process.cpuUsage(cpu0);
    result.wallMs = performance.now() - t0;
    result.cpu = { user: d.user, system: d.system };
    return result;
  });
}

serveParent({
  run: (a) => run(a.port as number, a.raw as string, a.connections as number, a.ms as number),
});
