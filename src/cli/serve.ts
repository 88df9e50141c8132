// `vm serve`: runs the server on a data directory until SIGINT/SIGTERM.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { pino } from 'pino';
import { buildApp, DEFAULT_RETENTION_MS, type App } from '../http/app.ts';
import { createSqliteStore } from '../store/sqlite/index.ts';
import { dataDir, DEFAULT_HOST, formatDuration, parseDuration, parsePort } from './options.ts';
import { startLiveSimulation, type LiveSimulation } from '../sim/index.ts';

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

/** Starts live traffic on accounts; their engines also take call-control commands. */
export async function startSimulations(app: App, which: true | number[]): Promise<LiveSimulation[]> {
  const { store, publisher, engines } = app.services;
  const ids = which === true ? (await store.directory.listAccounts()).map((a) => a.id) : which;
  const sims: LiveSimulation[] = [];
  for (const id of ids) {
    const dir = await store.directory.getDirectory(id);
    if (!dir) throw new Error(`--simulate: no account ${id}`);
    const sim = startLiveSimulation(dir, {
      sink: (n, at) => void publisher.publishValid(id, n, at).catch(() => undefined),
    });
    engines.adopt(sim.engine);
    sims.push(sim);
  }
  return sims;
}

/** The host part of a URL that reaches a server listening on `host` from this machine. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** `--simulate` with no value or `all`: every account; otherwise comma-separated ids. */
export function parseSimulate(v: string): true | number[] {
  if (v.trim().toLowerCase() === 'all') return true;
  return v.split(',').map((x) => {
    const n = Number(x.trim());
    if (x.trim() === '' || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected all, or account ids like 1,3');
    return n;
  });
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
  const host = o.host ?? (process.env.HOST || DEFAULT_HOST);
  const port = await app.listen(o.port ?? (process.env.PORT ? Number(process.env.PORT) : 8080), host);
  const url = `http://${urlHost(host)}:${port}`;
  const sims = o.simulate ? await startSimulations(app, o.simulate) : [];
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    sims.forEach((s) => s.stop());
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
    .option('--host <host>', `address to listen on, 0.0.0.0 for every interface (env HOST; default: ${DEFAULT_HOST})`)
    .option('-d, --data <dir>', 'data directory (env VM_DATA)')
    .addOption(
      new Option('--retention <duration>', 'how long the event log keeps events (90s, 15m, 8h, 7d)')
        .argParser(parseDuration)
        .default(DEFAULT_RETENTION_MS, formatDuration(DEFAULT_RETENTION_MS)),
    )
    .option('--trust-proxy', 'trust X-Forwarded-For from a reverse proxy')
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL)')
    .option('--simulate [accounts]', 'drive accounts (comma-separated ids, or all; alone: all) with live simulated traffic', parseSimulate)
    .option('--json', 'print one JSON line once listening')
    .action(async (o: ServeOptions) => {
      const { port, url } = await startServer(o);
      if (o.json) console.log(JSON.stringify({ event: 'listening', port, url, data: dataDir(o.data) }));
      else {
        const everywhere = ['0.0.0.0', '::'].includes(o.host ?? (process.env.HOST || DEFAULT_HOST));
        console.log(`Voice Management listening on ${url}${everywhere ? ' and every other interface' : ''} (data in ${dataDir(o.data)}, events kept ${formatDuration(o.retention ?? DEFAULT_RETENTION_MS)})`);
        if (!process.env.VM_ADMIN_TOKEN) console.log('Admin API off (set VM_ADMIN_TOKEN to publish over HTTP).');
      }
    });
}
