// Durability: the server process is killed with SIGKILL in the middle of publishing and
// restarted on the same data directory. cpt continues, and every event whose publish call
// returned is replayable.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ADMIN_TOKEN, FIXTURES, publishHttp, uiLogin, vmToken } from './helpers/server.ts';
import { connect } from './helpers/clients.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'vm-restart-'));
const children: ChildProcess[] = [];
afterAll(() => {
  children.forEach((c) => c.kill('SIGKILL'));
  rmSync(dataDir, { recursive: true, force: true });
});

function run(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['bin/vm.js', ...args], {
    env: { ...process.env, VM_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

async function serve(): Promise<{ child: ChildProcess; url: string }> {
  const child = run(['serve', '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--json']);
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    const msg = JSON.parse(line) as { event: string; url: string };
    if (msg.event === 'listening') return { child, url: msg.url };
  }
  throw new Error('server exited before listening');
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

describe('kill -9 mid-publish', () => {
  it('continues cpt after restart and keeps every acknowledged event', async () => {
    const imp = run(['import', FIXTURES + 'acme.json', '--data', dataDir]);
    await exited(imp);
    expect(imp.exitCode).toBe(0);

    let { child, url } = await serve();
    const acked = new Map<number, { id_operator: number; supp: string }>(); // cpt -> what was published
    let stop = false;
    let enough!: () => void;
    const fourHundred = new Promise<void>((r) => (enough = r));
    // 8 concurrent publishers; each event names its sequence in `supp` to check content.
    const loops = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const op = 8 + (i % 2);
        const supp = `w${w}-${i}`;
        const r = await publishHttp(url, 3, { ...uiLogin(op), msg: { id_operator: op, supp } }).catch(() => undefined);
        if (!r || r.status !== 200) return;
        expect(acked.has(r.body.cpt as number)).toBe(false);
        acked.set(r.body.cpt as number, { id_operator: op, supp });
        if (acked.size >= 400) enough();
      }
    });
    // Kill once 400 events are acknowledged (or fail at once if the publishers stopped first).
    await Promise.race([
      fourHundred,
      Promise.all(loops).then(() => {
        throw new Error(`the publishers stopped after ${acked.size} acknowledged events`);
      }),
    ]);
    child.kill('SIGKILL');
    stop = true;
    await Promise.all(loops);
    await exited(child);
    const maxAcked = Math.max(...acked.keys());

    ({ child, url } = await serve());
    const after = await publishHttp(url, 3, uiLogin(8));
    expect(after.status).toBe(200);
    expect(after.body.cpt).toBeGreaterThan(maxAcked);

    const token = await vmToken(url, 'api', 'secret2', { user_type: 'api' });
    const c = connect(url);
    const ack = await c.init('api', 3, token.body.id_session, { since: 0 });
    expect(ack).toMatchObject({ ok: true, cpt: after.body.cpt });
    const got = await c.waitFor(after.body.cpt);
    c.close();
    // Gapless from 1, and every acknowledged event is there with its content: the operator
    // and the sequence it was published with.
    expect(got.map((u) => u.cpt)).toEqual(Array.from({ length: after.body.cpt }, (_, i) => i + 1));
    expect(acked.size).toBeGreaterThanOrEqual(400);
    for (const [cpt, sent] of acked) expect({ cpt, ...got[cpt - 1]!.event }).toEqual({ cpt, type_notification: 'UI', event: 'login', msg: { ...sent, id_client: 3 } });
    // No event was logged twice (a publish retried or replayed by the restart would repeat its
    // supp). Events the server itself logs on start, if any, carry no such supp.
    const supps = got.map((u) => (u.event.msg as { supp?: unknown }).supp).filter((x) => typeof x === 'string' && /^w\d+-\d+$/.test(x));
    expect(supps.length).toBeGreaterThanOrEqual(acked.size);
    expect(new Set(supps).size).toBe(supps.length);
    expect(got.at(-1)!.event.msg).toEqual({ ...uiLogin(8).msg, id_client: 3 });
    child.kill('SIGTERM');
    await exited(child);
  }, 120_000);
});
