// Scenario 5, auth: `refresh_token` (POST /ws/) and POST /vm/token requests/s ÷ a bare
// Fastify JSON POST route, over keep-alive connections; `init` (a scrypt password check per
// request, like /vm/token's HTTP Basic check) reported with the scrypt parameters.
import { SCRYPT_PARAMS } from '../../src/auth/passwords.ts';
import { log, sleep, withServer, type Config } from '../lib/harness.ts';
import { spawnChild } from '../lib/procs.ts';
import { fmt, ratio, type ScenarioResult } from './types.ts';
import type { Load } from '../load/http-worker.ts';


const BODY = '{"user_type":"api"}';
const raw = (path: string, headers: Record<string, string>, body = '') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const xJson = (o: object) => raw('/ws/', { 'X-JSON': JSON.stringify(o) });

export async function auth(cfg: Config): Promise<ScenarioResult> {
  const ms = (cfg.durationS ?? (cfg.quick ? 3 : 10)) * 1000;
  const warmMs = cfg.quick ? 500 : 1000;
  const loader = spawnChild('http-worker', 'load/http-worker.ts', { cpus: cfg.clientCpus });
  const out: Record<string, number> = {};
  const details: Record<string, Load> = {};
  const measure = async (name: string, port: number, request: string, connections: number) => {
    await loader.call('run', { port, raw: request, connections, ms: warmMs }, 60_000);
    const r = await loader.call<Load>('run', { port, raw: request, connections, ms }, ms + 60_000);
    if (r.ok === 0 || r.non2xx > 0 || r.errors > 0) throw new Error(`auth ${name}: ${JSON.stringify(r.statuses)}, ${r.errors} errors`);
    out[name] = r.ok / (r.wallMs / 1000);
    details[name] = r;
    log(`auth ${name}: ${fmt(out[name]!)} requests/s over ${connections} connections`);
  };
  try {
    await withServer(cfg, 'fastify', {}, async (_s, info) => {
      await measure('bare_post', info.port, raw('/echo', { 'Content-Type': 'application/json' }, BODY), 32);
    });
    await withServer(cfg, 'ours', {}, async (s, info) => {
      const login = await s.call<{ id_session: string }>('login');
      await measure('refresh_token', info.port, xJson({ requete: 'refresh_token', header: { id_session: login.id_session }, msg: {} }), 32);
      const basic = Buffer.from('api:secret2').toString('base64');
      await measure('vm_token', info.port, raw('/vm/token', { Authorization: `Basic ${basic}`, 'Content-Type': 'application/json' }, BODY), 8);
      await measure('init', info.port, xJson({ requete: 'init', header: { login: 'sup', password: 'secret', account_type: 'supervisor' }, msg: {} }), 8);
    });
    await sleep(100);
  } finally {
    await loader.stop();
  }
  const bare = out.bare_post!;
  const refresh = out.refresh_token!;
  const vm = out.vm_token!;
  const init = out.init!;
  const scrypt = `scrypt N=${SCRYPT_PARAMS.N}, r=${SCRYPT_PARAMS.r}, p=${SCRYPT_PARAMS.p}, ${SCRYPT_PARAMS.keylen}-byte key`;
  return {
    entry: {
      ours: Math.round(refresh),
      bare: Math.round(bare),
      ratio: ratio(refresh, bare),
      unit: 'requests/s (refresh_token ÷ bare Fastify JSON POST)',
      vm_token: { ours: Math.round(vm), bare: Math.round(bare), ratio: ratio(vm, bare), unit: 'requests/s' },
      init: { ours: Math.round(init), unit: 'requests/s', scrypt: SCRYPT_PARAMS, threadpool: Number(process.env.UV_THREADPOOL_SIZE ?? 4) },
      seconds: ms / 1000,
      connections: { bare_post: 32, refresh_token: 32, vm_token: 8, init: 8 },
    },
    rows: [
      { scenario: 'Auth', metric: '`refresh_token` requests/s vs bare Fastify JSON POST', ours: fmt(refresh), bare: fmt(bare), ratio: ratio(refresh, bare).toFixed(2), goal: '' },
      { scenario: '', metric: '`/vm/token` requests/s vs bare Fastify JSON POST', ours: fmt(vm), bare: fmt(bare), ratio: ratio(vm, bare).toFixed(3), goal: '' },
      { scenario: '', metric: `\`init\` requests/s (${scrypt})`, ours: fmt(init), bare: '—', ratio: '—', goal: '' },
    ],
    notes: [
      `Auth: \`/vm/token\` checks the API user's password with scrypt on every request (HTTP Basic), like \`init\`, so both are bound by the hash (${scrypt}: ~16 MiB and tens of ms of CPU per check, on the libuv pool) on the server's core; that is the cost of the password hash, by design, not of the stack.`,
    ],
  };
}
