// The README's code as a person pastes it: a ```js block run as an ES module (`node
// --input-type=module`) from the repository root, so `@voice-management/client` resolves to
// the built workspace package.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { startTestServer, type TestServer } from './server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENT = `${ROOT}packages/client/`;

/** The first ```js block after the heading (a whole line of README.md, e.g. "## Build …"). */
export function readmeBlock(heading: string): string {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README has "${heading}"`).toBeGreaterThan(0);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  return m![1]!;
}

/** Rebuilds the client package when its sources are newer than dist/ (npm install builds it). */
function ensureClientBuilt(): void {
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

export interface RunningModule {
  child: ChildProcess;
  /** Everything it printed so far. */
  readonly out: string;
  readonly err: string;
  /** Resolves once its output matches `text`; rejects if it exits first or after `timeoutMs`. */
  shows(text: RegExp, timeoutMs: number): Promise<void>;
}

/** Runs `code` as an ES module with VM_URL set to `url`. */
function runModule(code: string, url: string): RunningModule {
  const child = spawn(process.execPath, ['--input-type=module'], { cwd: ROOT, env: { ...process.env, VM_URL: url }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(code);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return {
    child,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    shows: (text, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        const t0 = Date.now();
        const check = () => {
          if (text.test(out)) return resolve();
          if (child.exitCode !== null || Date.now() - t0 > timeoutMs) return reject(new Error(`dashboard never showed ${text}\nstdout: ${out.slice(-2000)}\nstderr: ${err}`));
          setTimeout(check, 50);
        };
        check();
      }),
  };
}

export interface DemoServer {
  readonly server: TestServer;
  /** Runs `code` against the server (see runModule); it is killed after the tests. */
  run(code: string): RunningModule;
}

/** In a describe: the client package built and a test server with the demo center, closed after it. */
export function useDemoServer(): DemoServer {
  let server: TestServer | undefined;
  const running: ChildProcess[] = [];
  beforeAll(async () => {
    ensureClientBuilt();
    server = await startTestServer(['../../demo/demo-center.yaml']);
  }, 120_000);
  afterAll(async () => {
    for (const child of running) child.kill();
    await server?.close();
  });
  return {
    get server() {
      return server!;
    },
    run(code) {
      const m = runModule(code, server!.url);
      running.push(m.child);
      return m;
    },
  };
}
