// Test helpers: a real server on port 0 over a fresh SQLite data directory, and real
// HTTP calls shaped exactly as the guide shows them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { buildApp, type App, type AppOptions } from '../../src/http/app.ts';
import { createSqliteStore } from '../../src/store/sqlite/index.ts';
import { importAccountFile } from '../../src/cli/directory.ts';

export const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;
export const ADMIN_TOKEN = 'test-admin-token';

export interface TestServer {
  app: App;
  url: string;
  port: number;
  dataDir: string;
  close(opts?: { keepData?: boolean }): Promise<void>;
}

/** Starts a server on 127.0.0.1:0 (or `listenHost`) with the given account files imported. */
export async function startTestServer(
  files: string[] = ['acme.json'],
  { listenHost = '127.0.0.1', ...opts }: Partial<AppOptions> & { dataDir?: string; listenHost?: string } = {},
): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'vm-test-'));
  const store = createSqliteStore(dataDir);
  for (const f of files) await importAccountFile(store, FIXTURES + f);
  const app = await buildApp({ adminToken: ADMIN_TOKEN, dataDir, ...opts, store });
  const port = await app.listen(0, listenHost);
  return {
    app,
    port,
    url: `http://${listenHost}:${port}`,
    dataDir,
    async close(o) {
      await app.close();
      if (!o?.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** A raw HTTP request (node:http, so the source address can be chosen). */
export function http(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.localAddress },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** A request with a bearer token (and a JSON body when one is given). */
export function bearerCall(url: string, token: string, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return http(`${url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

/** The guide's supervisor login: POST /ws/ with the X-JSON header. */
export function wsInit(url: string, login: string, password: string, opts: { localAddress?: string; field?: 'account_type' | 'count_type'; accountType?: 'supervisor' | 'operator' } = {}) {
  const header = { login, password, [opts.field ?? 'account_type']: opts.accountType ?? 'supervisor' };
  return http(`${url}/ws/`, {
    method: 'POST',
    headers: { 'X-JSON': JSON.stringify({ requete: 'init', header, msg: {} }) },
    localAddress: opts.localAddress,
  });
}

export function wsRefresh(url: string, token: string, localAddress?: string) {
  return http(`${url}/ws/`, {
    method: 'POST',
    headers: { 'X-JSON': JSON.stringify({ requete: 'refresh_token', header: { id_session: token }, msg: {} }) },
    localAddress,
  });
}

/** POST /vm/token with HTTP Basic auth. */
export function vmToken(url: string, login: string, password: string, body: object, localAddress?: string) {
  return http(`${url}/vm/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}` },
    body: JSON.stringify(body),
    localAddress,
  });
}

/** Publishes through the admin API; resolves with the answer. */
export function publishHttp(url: string, account: number, n: object, token = ADMIN_TOKEN) {
  return http(`${url}/api/v1/accounts/${account}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(n),
  });
}

/** POST /api/v1/accounts/:account<path> as the platform (the call-control API); resolves with the answer. */
export function accountPost(url: string, account: number, path: string, body?: object) {
  return http(`${url}/api/v1/accounts/${account}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

/** A valid UI/login notification for operator `op` (a cheap event to publish in bulk). */
export function uiLogin(op: number) {
  return { type_notification: 'UI' as const, event: 'login' as const, msg: { id_operator: op, supp: '' } };
}
