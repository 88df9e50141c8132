// The README's "dashboard in 20 lines", run as pasted, starts from the snapshot: states and
// waiting calls that were there before it started show on its first screen (not '…' until
// an event arrives), and only later events change them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { publishHttp, startTestServer, type TestServer } from './helpers/server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = `${ROOT}packages/client/`;

function dashboardCode(): string {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const at = readme.indexOf('\n## Build a dashboard in 20 lines\n');
  expect(at).toBeGreaterThan(0);
  return /```js\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
}

/** Rebuilds the package when its sources are newer than dist/ (npm install builds it). */
function ensureBuilt(): void {
  const newest = Math.max(...readdirSync(`${CLIENT}src`).map((f) => statSync(`${CLIENT}src/${f}`).mtimeMs));
  let built = 0;
  try {
    built = statSync(`${CLIENT}dist/index.js`).mtimeMs;
  } catch {
    /* not built */
  }
  if (built >= newest) return;
  const r = spawnSync('npm', ['run', 'build', '-w', '@voice-management/client'], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

describe('README dashboard, from the snapshot', () => {
  let server: TestServer;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    ensureBuilt();
    server = await startTestServer(['../../demo/demo-center.yaml']);
  }, 120_000);
  afterAll(async () => {
    child?.kill();
    await server.close();
  });

  it('shows the states and waiting calls of before it started on its first screen', { timeout: 90_000 }, async () => {
    const publish = async (n: object) => {
      const r = await publishHttp(server.url, 1, n);
      expect(r.status).toBe(200);
      return r.body.cpt as number;
    };
    // Before the dashboard runs: Bruno logs in and is available, two calls wait in Sales.
    await publish({ type_notification: 'UI', event: 'login', msg: { id_operator: 2, supp: '' } });
    await publish({ type_notification: 'operator', event: 'status', msg: { status: 'available', id_operator: 2 } });
    await publish({ type_notification: 'queue', event: 'insert_call', msg: { id_call: 601, id_queue: 1, caller_id_num: '33612345678' } });
    const before = await publish({ type_notification: 'queue', event: 'insert_call', msg: { id_call: 602, id_queue: 1, caller_id_num: '33612345679' } });

    child = spawn(process.execPath, ['--input-type=module'], { cwd: ROOT, env: { ...process.env, VM_URL: server.url }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.end(dashboardCode());
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const shows = (text: RegExp, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const t0 = Date.now();
        const check = () => {
          if (text.test(out)) return resolve();
          if (child!.exitCode !== null || Date.now() - t0 > timeoutMs) return reject(new Error(`dashboard never showed ${text}\nstdout: ${out.slice(-2000)}\nstderr: ${err}`));
          setTimeout(check, 50);
        };
        check();
      });

    // Nothing is published now: the first screen comes from the snapshot alone.
    await shows(new RegExp(`live at event #${before}\\n[\\s\\S]*Bruno Petit +available`));
    const first = out.slice(out.lastIndexOf(`live at event #${before}`));
    expect(first).toMatch(/Sales +2 waiting/);
    expect(first).not.toContain('…');
    expect(first).toMatch(/ logged_out\n/); // the others are shown as they are: logged out

    // Events after the snapshot change it; the snapshot's states stay until they do.
    await publish({ type_notification: 'operator', event: 'status', msg: { status: 'ringing', id_operator: 2, id_call: 601, id_queue: 1 } });
    await publish({ type_notification: 'queue', event: 'connect_call', msg: { id_call: 601, id_queue: 1, id_operator: 2, status: 'connected' } });
    const last = await publish({ type_notification: 'operator', event: 'status', msg: { status: 'connected', id_operator: 2, id_call: 601, id_queue: 1 } });
    await shows(new RegExp(`live at event #${last}\\n[\\s\\S]*Bruno Petit +connected`));
    expect(out.slice(out.lastIndexOf(`live at event #${last}`))).toMatch(/Sales +1 waiting/);
    expect(err).toBe('');
  });
});
