// Chaos: two SDK clients (a supervisor and an API user) stay subscribed while the server — a
// real `vm serve` child on a fixed data directory and port — is killed with SIGKILL and
// restarted twice, their TCP connections are cut several times, and their 2-second tokens
// are renewed over and over, with events published throughout over the admin API. Each
// client's sequence of cpt must equal the event log's: every event exactly once, in order.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, type Update, type VmClient } from '../packages/client/src/index.ts';
import { createSqliteStore } from '../src/store/sqlite/index.ts';
import { importAccountFile } from '../src/cli/directory.ts';
import { ADMIN_TOKEN, FIXTURES, publishHttp } from './helpers/server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataDir = mkdtempSync(join(tmpdir(), 'vm-chaos-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  children.forEach((c) => c.kill('SIGKILL'));
  rmSync(dataDir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function serve(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/vm.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir, '--json'], {
    env: { ...process.env, VM_ADMIN_TOKEN: ADMIN_TOKEN, VM_TOKEN_TTL: '2s', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith('{') && (JSON.parse(line) as { event?: string }).event === 'listening') return child;
  }
  throw new Error('vm serve exited before listening');
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Cuts a client's TCP connection under Socket.IO, as a network failure would. */
function cut(c: VmClient): void {
  const engine = c.socket.io.engine as unknown as { transport?: { ws?: { _socket?: { destroy(): void } } }; close(): void } | undefined;
  const raw = engine?.transport?.ws?._socket;
  if (raw) raw.destroy();
  else engine?.close();
}

async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('SDK chaos', () => {
  it('delivers the log exactly once, in order, through kill -9 restarts, network cuts and token renewals', { timeout: 120_000 }, async () => {
    const store = createSqliteStore(dataDir);
    await importAccountFile(store, FIXTURES + 'acme.json');
    await store.close();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let server = await serve(port);

    const fast = { reconnectionDelay: 100, reconnectionDelayMax: 400 };
    const clients = {
      supervisor: await connect({ url, login: 'sup', password: 'secret', ...fast }),
      api: await connect({ url, apiLogin: 'api', apiPassword: 'secret2', ...fast }),
    };
    const seen = { supervisor: [] as Update[], api: [] as Update[] };
    const t0 = Date.now();
    const story: string[] = [];
    const say = (line: string) => story.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${line}`);
    for (const [name, c] of Object.entries(clients) as [keyof typeof clients, VmClient][]) {
      c.on('event', (u) => seen[name].push(u));
      c.on('state', (s) => say(`${name} ${s.state}${s.resumed ? ` resumed after ${s.since}` : ''}`));
      c.on('token', () => say(`${name} token`));
      c.on('error', (e) => say(`${name} error ${e.code}`));
    }

    // Publishers: 4 loops, each event naming its origin; failures while the server is down are expected.
    const acked = new Map<number, { id_operator: number; supp: string }>(); // cpt -> what was published
    let publishing = true;
    const loops = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; publishing; i++) {
        const op = 8 + (i % 2);
        const supp = `w${w}-${i}`;
        const r = await publishHttp(url, 3, { type_notification: 'UI', event: 'login', msg: { id_operator: op, supp } }).catch(() => undefined);
        if (r?.status === 200) acked.set(r.body.cpt as number, { id_operator: op, supp });
        else await sleep(50);
        await sleep(5);
      }
    });

    const all = Object.values(clients);
    // Each blow lands on a live stream, so each one is a disconnect the client must resume from.
    const live = (cs: VmClient[]) => until('live clients', () => cs.every((c) => c.state === 'live'), 20_000);
    const cutLive = async (c: VmClient) => {
      await live([c]);
      say(`--- cut ${c === clients.api ? 'api' : 'supervisor'}`);
      cut(c);
      await sleep(300);
    };
    const killAndRestart = async (n: number) => {
      await live(all);
      await sleep(300);
      say(`--- kill -9 #${n}`);
      await kill9(server);
      await sleep(300);
      server = await serve(port);
    };
    await sleep(500);
    await cutLive(clients.supervisor);
    await cutLive(clients.api);
    await killAndRestart(1);
    for (const c of [clients.api, clients.supervisor, clients.api]) await cutLive(c);
    await killAndRestart(2);
    // Two more renewals each on a live socket: the stream stays open across them.
    await live(all);
    const renewed = all.map((c) => c.stats.renewals + 2);
    const sockets = all.map((c) => c.socket.id);
    await until('two renewals each', () => all.every((c, i) => c.stats.renewals >= renewed[i]!), 15_000);
    expect(all.map((c) => c.socket.id)).toEqual(sockets);
    for (const c of all) await cutLive(c);
    await live(all);

    publishing = false;
    await Promise.all(loops);
    const last = await publishHttp(url, 3, { type_notification: 'UI', event: 'logout', msg: { id_operator: 8, supp: '' } });
    expect(last.status).toBe(200);
    const final = last.body.cpt as number;
    await until('clients caught up', () => all.every((c) => c.cpt === final), 20_000);

    // The log, read by a fresh client from the start.
    const reader = await connect({ url, apiLogin: 'api', apiPassword: 'secret2', since: 0 });
    const log: Update[] = [];
    reader.on('event', (u) => log.push(u));
    await until('the whole log', () => reader.cpt === final, 20_000);
    reader.close();
    all.forEach((c) => c.close());

    expect(log.map((u) => u.cpt)).toEqual(Array.from({ length: final }, (_, i) => i + 1));
    // Every acknowledged event is in the log at its cpt, with the origin it was published with.
    for (const [cpt, sent] of acked) expect({ cpt, msg: log[cpt - 1]?.event.msg }).toEqual({ cpt, msg: { ...sent, id_client: 3 } });
    for (const name of ['supervisor', 'api'] as const) {
      expect(seen[name].map((u) => u.cpt), `${name}: ${story.join(' | ')}`).toEqual(log.map((u) => u.cpt));
      expect(seen[name].map((u) => u.event)).toEqual(log.map((u) => u.event));
      // Cuts and kills: 5 for the supervisor, 6 for the API client (more if a token was refused on the way).
      expect(clients[name].stats.resumes, story.join(' | ')).toBeGreaterThanOrEqual(name === 'api' ? 6 : 5);
    }
    expect(acked.size).toBeGreaterThan(50);
    if (process.env.VM_CHAOS_STORY) console.log(story.join('\n'));
    await kill9(server);
  });
});
