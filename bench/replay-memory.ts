// `npx tsx bench/replay-memory.ts [--events N] [--clients N] [--mode normal|slow|both]`
// (also `npm run bench:replay-memory`): what `since: 0` replays cost the server in memory.
// Fills a fresh data directory's event log with N events (default 200,000, ~330 bytes each
// on the wire), starts a real `vm serve` process on it, connects N real Socket.IO clients
// (default 4, websocket) and has them all `init` with `since: 0` at once; samples the
// server's RSS (/proc/<pid>/status) every 20 ms and prints the baseline (clients connected,
// before init), the peak during the replays and the difference. `normal` clients read as
// fast as they can; `slow` ones alternate 900 ms without reading and 100 ms of reading.
// Every client checks it got every cpt exactly once, in order. Progress goes to stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { io, type Socket } from 'socket.io-client';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { Publisher } from '../src/stream/publisher.ts';
import { systemClock } from '../src/clock.ts';
import { ACCOUNT, benchEvent, nowUs } from './lib/events.ts';
import { ROOT } from './lib/procs.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    clients: { type: 'string', default: '4' },
    mode: { type: 'string', default: 'both' },
  },
});
const EVENTS = Number(values.events);
const CLIENTS = Number(values.clients);
const MODES = values.mode === 'both' ? ['normal', 'slow'] : [values.mode!];
const MiB = 1024 * 1024;
const log = (...a: unknown[]) => console.error('[replay-memory]', ...a);

async function fill(dir: string): Promise<void> {
  const store = createSqliteStore(dir);
  await importAccountFile(store, join(ROOT, 'bench/fixtures/account.json'));
  const publisher = new Publisher({ log: store.events, clock: systemClock, accountExists: () => true });
  await publisher.init();
  for (let i = 0; i < EVENTS; i += 5000) {
    const n = Math.min(5000, EVENTS - i);
    await Promise.all(Array.from({ length: n }, (_, j) => publisher.publishValid(ACCOUNT, benchEvent(i + j, nowUs()))));
  }
  await publisher.close();
  await store.close();
}

async function serve(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/vm.js'), 'serve', '--port', '0', '--host', '127.0.0.1', '--data', dir, '--json'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: child.stdout! })) {
    if (!line.startsWith('{')) continue;
    const m = JSON.parse(line) as { event?: string; port?: number; url?: string };
    if (m.event === 'listening') return { child, port: m.port ?? Number(new URL(m.url!).port) };
  }
  throw new Error('vm serve exited before listening');
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function login(port: number): Promise<{ target: number; id_session: string }> {
  const header = { login: 'sup', password: 'secret', account_type: 'supervisor' };
  const r = await fetch(`http://127.0.0.1:${port}/ws/`, { method: 'POST', headers: { 'X-JSON': JSON.stringify({ requete: 'init', header, msg: {} }) } });
  if (!r.ok) throw new Error(`login: ${r.status} ${await r.text()}`);
  return (await r.json()) as { target: number; id_session: string };
}

interface Replayer {
  socket: Socket;
  got: number;
  errors: string[];
  done: Promise<void>;
}

function replayer(port: number, slow: boolean): Promise<Replayer> {
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
  const r: Replayer = { socket, got: 0, errors: [], done: Promise.resolve() };
  r.done = new Promise<void>((resolve, reject) => {
    socket.on('update', (u: { cpt: number }) => {
      if (u.cpt !== r.got + 1) r.errors.push(`expected cpt ${r.got + 1}, got ${u.cpt}`);
      r.got = u.cpt;
      if (r.got === EVENTS) resolve();
    });
    socket.on('stream_error', (e: { error: string }) => r.errors.push(`stream_error ${e.error}`));
    socket.on('disconnect', (reason) => (r.got === EVENTS ? resolve() : reject(new Error(`disconnected (${reason}) after ${r.got} events`))));
  });
  if (slow) {
    let paused = false;
    const ws = () => (socket.io.engine?.transport as unknown as { ws?: { pause(): void; resume(): void } }).ws;
    const tick = () => {
      paused = !paused;
      if (paused) ws()?.pause();
      else ws()?.resume();
      timer = setTimeout(tick, paused ? 900 : 100);
    };
    let timer = setTimeout(tick, 0);
    void r.done.finally(() => {
      clearTimeout(timer);
      ws()?.resume();
    });
  }
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(r));
    socket.once('connect_error', reject);
  });
}

async function run(mode: string, dir: string) {
  const { child, port } = await serve(dir);
  try {
    const tok = await login(port);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => replayer(port, mode === 'slow')));
    await new Promise((r) => setTimeout(r, 2000));
    let baseline = 0;
    for (let i = 0; i < 10; i++) {
      baseline = Math.max(baseline, rssOf(child.pid!));
      await new Promise((r) => setTimeout(r, 100));
    }
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid!))), 20);
    const t0 = performance.now();
    for (const c of clients) c.socket.emit('init', 'supervisor', tok.target, tok.id_session, { since: 0 }, () => undefined);
    const progress = setInterval(() => log(`${mode}: ${clients.map((c) => c.got).join(' / ')} events, peak +${((peak - baseline) / MiB).toFixed(1)} MiB`), 5000);
    try {
      await Promise.all(clients.map((c) => c.done));
    } finally {
      clearInterval(progress);
      clearInterval(sampler);
    }
    const seconds = (performance.now() - t0) / 1000;
    const errors = clients.flatMap((c) => c.errors);
    clients.forEach((c) => c.socket.close());
    return { mode, baseline, peak, added: peak - baseline, seconds, exactlyOnce: errors.length === 0 && clients.every((c) => c.got === EVENTS), errors: errors.slice(0, 5) };
  } finally {
    child.kill('SIGTERM');
  }
}

const dir = mkdtempSync(join(tmpdir(), 'vm-replay-mem-'));
try {
  log(`filling the log with ${EVENTS} events`);
  await fill(dir);
  const results = [];
  for (const mode of MODES) {
    log(`${mode}: ${CLIENTS} clients replay since 0`);
    results.push(await run(mode, dir));
  }
  const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`${CLIENTS} concurrent since-0 replays of ${EVENTS} events:`);
  for (const r of results) {
    console.log(
      `  ${r.mode.padEnd(6)} baseline ${mib(r.baseline)}, peak ${mib(r.peak)}, added ${mib(r.added)} (goal < 64 MiB: ${r.added < 64 * MiB ? 'met' : 'NOT met'}), ${r.seconds.toFixed(1)} s, every event exactly once in order: ${r.exactlyOnce ? 'yes' : `NO ${r.errors.join('; ')}`}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
