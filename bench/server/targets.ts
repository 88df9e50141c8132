// The servers under test, behind one shape: ours (the whole product from buildApp, SQLite
// store, publishing through the Publisher) and the bare baseline (Socket.IO 4.8 on a plain
// http.Server, same options and rooms, emitting the same `update` payloads), plus a bare
// Fastify JSON POST route for the auth scenario.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Server, type ServerOptions } from 'socket.io';
import { buildApp } from '../../src/http/app.ts';
import { createSqliteStore } from '../../src/store/sqlite/index.ts';
import { importAccountFile } from '../../src/cli/directory.ts';
import { DEFAULT_TYPES, operatorOf, operatorRoom, typeRoom, type Notification } from '../../src/protocol/index.ts';
import { ACCOUNT } from '../lib/events.ts';

const FIXTURE = new URL('../fixtures/account.json', import.meta.url).pathname;

export interface Target {
  port: number;
  http: HttpServer;
  /** What a client sends after 'init' (user type, target, id_session). */
  initArgs: unknown[];
  /** Publishes one event; resolves (ours) or returns (bare) its cpt. */
  publish(n: Notification): Promise<number> | number;
  /** Connected Socket.IO clients. */
  clients(): number;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Bare only: Socket.IO connection state recovery (the resume scenario's baseline). */
  csr?: boolean;
  /** Bare only: per-message deflate on (to measure what turning it off is worth). */
  deflate?: boolean;
}

function post(port: number, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A supervisor login through the public route, so the token is bound to 127.0.0.1. */
export async function supervisorLogin(port: number): Promise<{ target: number; id_session: string }> {
  const r = await post(port, '/ws/', { 'X-JSON': JSON.stringify({ requete: 'init', header: { login: 'sup', password: 'secret', account_type: 'supervisor' }, msg: {} }) });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function startOurs(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'vm-bench-'));
  const store = createSqliteStore(dir);
  await importAccountFile(store, FIXTURE);
  const app = await buildApp({ store });
  const port = await app.listen(0, '127.0.0.1');
  const login = await supervisorLogin(port);
  const { publisher } = app.services;
  return {
    port,
    http: app.http.server,
    initArgs: ['supervisor', login.target, login.id_session],
    publish: (n) => publisher.publish(ACCOUNT, n),
    clients: () => app.io.engine.clientsCount,
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Socket.IO options of src/http/app.ts, repeated so the baseline is configured alike. */
const SAME_OPTIONS: Partial<ServerOptions> = {
  allowEIO3: true,
  cors: { origin: true, credentials: true },
  serveClient: true,
  perMessageDeflate: false,
};

export async function startBare(opts: TargetOptions = {}): Promise<Target> {
  const http = createServer();
  const io = new Server(http, {
    ...SAME_OPTIONS,
    perMessageDeflate: opts.deflate ?? false,
    ...(opts.csr ? { connectionStateRecovery: { maxDisconnectionDuration: 120_000, skipMiddlewares: true } } : {}),
  });
  const rooms = DEFAULT_TYPES.map((t) => typeRoom(ACCOUNT, t));
  let cpt = 0;
  io.on('connection', (socket) => {
    // The floor of `init`: no authentication, join the same rooms as a supervisor, ack.
    socket.on('init', (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (a: object) => void) : undefined;
      socket.join(rooms);
      ack?.({ ok: true, id_client: ACCOUNT, cpt });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  return {
    port,
    http,
    initArgs: ['supervisor', 12, 'bare'],
    publish(n) {
      cpt++;
      const type = n.type_notification;
      const op = operatorOf(n);
      const to = op === undefined ? typeRoom(ACCOUNT, type) : [typeRoom(ACCOUNT, type), operatorRoom(ACCOUNT, op, type)];
      const now = Date.now();
      io.to(to).emit('update', { ts: Math.floor(now / 1000), elapse: 0, cpt, event: n });
      return cpt;
    },
    clients: () => io.engine.clientsCount,
    async close() {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

/** A bare Fastify JSON POST route answering a token-sized JSON body: the auth baseline. */
export async function startFastifyBare(): Promise<{ port: number; close(): Promise<void> }> {
  const app = Fastify();
  app.post('/echo', async (req) => ({ id_session: 'x'.repeat(43), expire: '2026-11-25T01:52:56.000000+00:00', user_type: (req.body as { user_type?: string })?.user_type }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return { port, close: () => app.close() };
}
