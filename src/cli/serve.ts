// `vm serve`: runs the server on a data directory until SIGINT/SIGTERM.
import { InvalidArgumentError, type Command } from 'commander';
import { pino } from 'pino';
import { buildApp, DEFAULT_RETENTION_MS, type App } from '../http/app.ts';
import { createSqliteStore } from '../store/sqlite/index.ts';
import { dataDir, parseDuration, parsePort } from './options.ts';
import { startLiveSimulation } from '../sim/index.ts';

export interface ServeOptions {
  port?: number;
  host?: string;
  data?: string;
  retention?: number;
  logLevel?: string;
  trustProxy?: boolean;
  json?: boolean;
  /** Drive these accounts (or all with `true`) with live simulated traffic. */
  simulate?: boolean | number[];
}

/**
 * Starts live traffic on accounts; their engines also take call-control commands. The
 * host builds them (durable ids, events acknowledged once durable) and rebuilds them if
 * their events cannot be stored; the app's close drains and stops them.
 */
export async function startSimulations(app: App, which: true | number[]): Promise<number[]> {
  const { store, engines } = app.services;
  const ids = which === true ? (await store.directory.listAccounts()).map((a) => a.id) : which;
  for (const id of ids) {
    if (!(await store.directory.getDirectory(id))) throw new Error(`--simulate: no account ${id}`);
    await engines.attach(id, (dir, parts) => startLiveSimulation(dir, parts));
  }
  return ids;
}

/** Starts a server as `vm serve` does; resolves once it listens. */
export async function startServer(o: ServeOptions): Promise<{ app: App; port: number; url: string }> {
  const dir = dataDir(o.data);
  const logger = pino({ level: o.logLevel ?? process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
  const app = await buildApp({
    store: createSqliteStore(dir),
    logger,
    adminToken: process.env.VM_ADMIN_TOKEN || undefined,
    retentionMs: o.retention ?? DEFAULT_RETENTION_MS,
    trustProxy: o.trustProxy ?? false,
    // Short lifetimes are for testing token renewal (e.g. VM_TOKEN_TTL=5s).
    tokenTtlMs: process.env.VM_TOKEN_TTL ? parseDuration(process.env.VM_TOKEN_TTL) : undefined,
  });
  const host = o.host ?? process.env.HOST ?? '0.0.0.0';
  const port = await app.listen(o.port ?? (process.env.PORT ? Number(process.env.PORT) : 8080), host);
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  if (o.simulate) await startSimulations(app, o.simulate);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  return { app, port, url };
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the notification server')
    .option('-p, --port <port>', 'port to listen on (env PORT)', parsePort)
    .option('--host <host>', 'address to listen on (env HOST)', '0.0.0.0')
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .option('--retention <duration>', 'how long the event log keeps events', parseDuration, DEFAULT_RETENTION_MS)
    .option('--trust-proxy', 'trust X-Forwarded-For from a reverse proxy')
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL)')
    .option('--simulate [accounts]', 'drive accounts (comma-separated ids, or all) with live simulated traffic', (v: string) =>
      v.split(',').map((x) => {
        const n = Number(x);
        if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected account ids like 1,3');
        return n;
      }),
    )
    .option('--json', 'print one JSON line once listening')
    .action(async (o: ServeOptions) => {
      const { port, url } = await startServer(o);
      if (o.json) console.log(JSON.stringify({ event: 'listening', port, url, data: dataDir(o.data) }));
      else {
        console.log(`Voice Management listening on ${url} (data in ${dataDir(o.data)})`);
        if (!process.env.VM_ADMIN_TOKEN) console.log('Admin API off (set VM_ADMIN_TOKEN to publish over HTTP).');
      }
    });
}
