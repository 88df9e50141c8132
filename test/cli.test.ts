// The `vm` command as a person runs it: real child processes (`node bin/vm.js …`) against
// real servers. `--simulate all` drives every account; `vm token` honours VM_URL like
// `vm tail`; durations print as 7d, not milliseconds; `vm serve` and `vm demo` (npm start)
// listen on 127.0.0.1 unless told otherwise; a JSON file's syntax error is the JSON parser's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runVm, spawnVm, type VmResult } from './helpers/cli.ts';
import { FIXTURES, http, startTestServer, vmToken, type TestServer } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vm-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** The environment of a child: ours without anything that would choose for it. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...extra };
  for (const k of ['VM_URL', 'HOST', 'PORT', 'VM_DATA', 'VM_PASSWORD'] as const) if (!(k in extra)) delete e[k];
  return e;
}

/** Runs `vm …args` to its end. */
function vm(args: string[], extra: Record<string, string> = {}): Promise<VmResult> {
  return runVm(args, { env: env(extra), onSpawn: (c) => children.push(c) });
}

/** Starts a long-running `vm …args --json` and resolves with its first JSON line (or why it ended). */
function start(args: string[], extra: Record<string, string> = {}): Promise<{ child: ChildProcess; line: Record<string, any> }> {
  const child = spawnVm([...args, '--json'], { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve({ child, line: JSON.parse(line) as Record<string, any> }));
    child.once('close', (code) => reject(new Error(`vm ${args.join(' ')} exited with ${code} before listening: ${stderr}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('close', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Whether a TCP connection to host:port is accepted. */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host, port });
    s.setTimeout(5_000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.end(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

let n = 0;
const dataDir = () => join(tmp, `data-${++n}`);

describe('vm serve --simulate', () => {
  it('`--simulate all` drives every account with live traffic, as its help says', async () => {
    const data = dataDir();
    expect((await vm(['import', FIXTURES + 'acme.json', FIXTURES + 'globex.json', '--data', data])).code).toBe(0);
    const help = (await vm(['serve', '--help'])).stdout;
    expect(help).toMatch(/--simulate \[accounts\][\s\S]*or all/);
    const { child, line } = await start(['serve', '--port', '0', '--data', data, '--simulate', 'all']);
    try {
      // Each account's realtime cpt moves: its simulation publishes.
      for (const [account, login, password] of [[3, 'api', 'secret2'], [4, 'globex-api', 'g-secret2']] as const) {
        const token = await vmToken(line.url, login, password, { user_type: 'api' });
        expect(token.status).toBe(200);
        await until(`events on account ${account}`, async () => {
          const r = await http(`${line.url}/api/v1/realtime`, { headers: { authorization: `Bearer ${token.body.id_session}` } });
          expect(r.status).toBe(200);
          return r.body.cpt > 0;
        }, 20_000, 100);
      }
    } finally {
      await stop(child);
    }
  });

  it('refuses a bad --simulate value with a sentence', async () => {
    const r = await vm(['serve', '--port', '0', '--data', dataDir(), '--simulate', 'some']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/expected all, or account ids like 1,3/);
  });
});

describe('durations', () => {
  it('help shows durations as a person writes them (7d, 8h), not in ms or seconds', async () => {
    const serve = (await vm(['serve', '--help'])).stdout;
    expect(serve).toMatch(/--retention <duration>[^\n]*\n?[^\n]*\(default: 7d\)/);
    const simulate = (await vm(['simulate', '--help'])).stdout;
    expect(simulate).toMatch(/--duration <time>[\s\S]*?\(default: 8h\)/);
    for (const text of [serve, simulate]) expect(text).not.toMatch(/default:\s*\d{4,}/);
  });

  it('vm serve says how long it keeps events as 7d, not in ms', async () => {
    const child = spawnVm(['serve', '--port', '0', '--data', dataDir()], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('close', (code) => reject(new Error(`vm serve exited with ${code}`)));
    });
    expect(line).toMatch(/^Voice Management listening on http:\/\/127\.0\.0\.1:\d+ \(data in .*, events kept 7d\)$/);
    await stop(child);
  });

  it('--retention takes what the help shows (7d, 1h30m) and refuses the rest', async () => {
    const bad = await vm(['serve', '--port', '0', '--data', dataDir(), '--retention', 'a week']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a duration such as 90s, 15m, 8h or 7d/);
    const { child, line } = await start(['serve', '--port', '0', '--data', dataDir(), '--retention', '1h30m']);
    expect(line.event).toBe('listening');
    await stop(child);
  });
});

// Three `vm serve` processes in one test (seconds each to load on a loaded machine).
describe('listening address', { timeout: 90_000 }, () => {
  // 127.0.0.2 is loopback too on Linux, but a server bound to 127.0.0.1 does not answer there.
  it('vm serve listens on 127.0.0.1 unless told otherwise; --host and HOST choose', async () => {
    const local = await start(['serve', '--port', '0', '--data', dataDir()]);
    expect(local.line.url).toBe(`http://127.0.0.1:${local.line.port}`);
    expect(await reachable('127.0.0.1', local.line.port)).toBe(true);
    expect(await reachable('127.0.0.2', local.line.port)).toBe(false);
    await stop(local.child);

    const byFlag = await start(['serve', '--port', '0', '--data', dataDir(), '--host', '0.0.0.0']);
    expect(await reachable('127.0.0.2', byFlag.line.port)).toBe(true);
    await stop(byFlag.child);

    const byEnv = await start(['serve', '--port', '0', '--data', dataDir()], { HOST: '0.0.0.0' });
    expect(await reachable('127.0.0.2', byEnv.line.port)).toBe(true);
    await stop(byEnv.child);
  });

  it('npm start (vm demo) listens on 127.0.0.1 unless told otherwise', async () => {
    const demo = await start(['demo', '--port', '0', '--data', dataDir()]);
    const port = Number(new URL(demo.line.url).port);
    expect(demo.line.url).toBe(`http://127.0.0.1:${port}`);
    expect(demo.line.wallboard.startsWith(`http://127.0.0.1:${port}/wallboard/`)).toBe(true);
    expect(await reachable('127.0.0.1', port)).toBe(true);
    expect(await reachable('127.0.0.2', port)).toBe(false);
    await stop(demo.child);
  });
});

// Each test starts several `vm` processes (tsx compiles as they load: seconds each on a
// loaded machine with two test files running): a minute for the lot.
describe('vm token', { timeout: 60_000 }, () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(['acme.json']);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('honours VM_URL like vm tail (api and supervisor tokens)', async () => {
    const api = await vm(['token', 'api', '--login', 'api', '--password', 'secret2'], { VM_URL: s.url });
    expect(api.stderr).toBe('');
    expect(api.code).toBe(0);
    expect(api.stdout).toMatch(/^id_session \S+/m);
    expect(api.stdout).toContain(`demo page  ${s.url}/labo/index.htm?id_client=3&id_session=`);
    const sup = await vm(['token', 'supervisor', '--login', 'sup', '--password', 'secret', '--json'], { VM_URL: s.url });
    expect(sup.code).toBe(0);
    expect(JSON.parse(sup.stdout)).toMatchObject({ target: 12 });
    // --url still wins over VM_URL.
    const flag = await vm(['token', 'api', '--url', s.url, '--login', 'api', '--password', 'secret2', '--json'], { VM_URL: 'http://127.0.0.1:9' });
    expect(flag.code).toBe(0);
    expect(JSON.parse(flag.stdout)).toMatchObject({ id_client: 3, user_type: 'api' });
  });
});

describe('vm import of a JSON file with a syntax error', () => {
  it("reports the JSON parser's message and position, not the YAML parser's", async () => {
    const file = join(tmp, 'broken.json');
    const text = '{\n  "account": {"id": 3, "name": "Acme"},\n  "groups": [{"id": 5, "name": "Sales",}]\n}\n';
    writeFileSync(file, text);
    const r = await vm(['import', file, '--data', dataDir()]);
    expect(r.code).not.toBe(0);
    // V8's JSON.parse message (on one line), with the line and column of the `}` after the comma.
    let v8 = '';
    try {
      JSON.parse(text);
    } catch (e) {
      v8 = (e as Error).message.replace(/\s*\n\s*/g, ' ');
    }
    expect(v8).not.toBe('');
    expect(r.stderr).toContain(`broken.json: not valid JSON or YAML: the JSON parser says: ${v8}`);
    expect(r.stderr).toMatch(/at position 81 \(line 3, column 40\)/);
    expect(r.stderr).not.toMatch(/flow|indent|YAML parser/i);
  });

  it('a bad literal (no position in V8\'s message) still gets its line and column', async () => {
    const file = join(tmp, 'literal.json');
    writeFileSync(file, '{"account": {"id": 3, "name": "Acme"},\n "groups": tru}\n');
    const r = await vm(['import', file, '--data', dataDir()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/the JSON parser says: Unexpected token .* is not valid JSON \(line 2, column 12\)/);
  });

  it('a YAML file still gets the YAML parser', async () => {
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, 'account: {id: 3\ngroups: [\n');
    const r = await vm(['import', file, '--data', dataDir()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/broken\.yaml: not valid JSON or YAML: .*line \d+, column \d+/);
    expect(r.stderr).not.toMatch(/JSON parser/);
  });
});
