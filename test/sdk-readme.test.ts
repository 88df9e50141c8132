// The README's "Build a dashboard in 20 lines" works when pasted: its code block runs as an
// ES module from the repository root (so `@voice-management/client` resolves to the built
// workspace package) against a server with the demo center, and shows the events published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { publishHttp, startTestServer, type TestServer } from './helpers/server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT = `${ROOT}packages/client/`;

/** The first ```js block after the heading. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README has "${heading}"`).toBeGreaterThan(0);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  return m![1]!;
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

describe('README dashboard', () => {
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

  it('fits in 20 lines and shows live operator states and calls waiting', { timeout: 90_000 }, async () => {
    const code = readmeBlock('## Build a dashboard in 20 lines');
    expect(code.trimEnd().split('\n').length).toBeLessThanOrEqual(20);
    child = spawn(process.execPath, ['--input-type=module'], { cwd: ROOT, env: { ...process.env, VM_URL: server.url }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.end(code);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const shows = (text: RegExp, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const t0 = Date.now();
        const check = () => {
          if (text.test(out)) return resolve();
          if (child!.exitCode !== null || Date.now() - t0 > timeoutMs) return reject(new Error(`dashboard never showed ${text}\nstdout: ${out.slice(-2000)}\nstderr: ${err}`));
          setTimeout(check, 50);
        };
        check();
      });

    // The dashboard subscribes once connect() resolves; publish until it shows the first event.
    const publish = (n: object) => publishHttp(server.url, 1, n).then((r) => expect(r.status).toBe(200));
    for (let i = 0; !out.includes('Bruno Petit') && child.exitCode === null && i < 300; i++) {
      await publish({ type_notification: 'operator', event: 'status', msg: { status: 'available', id_operator: 2 } });
      await new Promise((r) => setTimeout(r, 100));
    }
    await shows(/Bruno Petit +available/);
    await publish({ type_notification: 'queue', event: 'insert_call', msg: { id_call: 501, id_queue: 1, caller_id_num: '33612345678' } });
    await publish({ type_notification: 'operator', event: 'status', msg: { status: 'ringing', id_operator: 2, id_call: 501, id_queue: 1 } });
    await shows(/Bruno Petit +ringing/);
    expect(out).toMatch(/Sales +1 waiting/);
    await publish({ type_notification: 'queue', event: 'delete_call', msg: { id_call: 501, id_queue: 1 } });
    await shows(/Sales +1 waiting[\s\S]*Sales +0 waiting/);
    expect(err).toBe('');
  });
});
