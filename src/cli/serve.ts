// `vm serve`: runs the server on a data directory until SIGINT/SIGTERM.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { pino } from 'pino';
import { buildApp, DEFAULT_RETENTION_MS, type App } from '../http/app.ts';
import { trustFunction } from '../http/client-ip.ts';
import { createSqliteStore } from '../store/sqlite/index.ts';
import { dataDir, DEFAULT_HOST, formatDuration, parseDuration, parsePort } from './options.ts';
import { liveSimulation, type LiveSimulationOptions } from '../sim/index.ts';
import { checkCorsOrigins, checkFrameAncestors, parseSourceList } from '../http/security.ts';
import { DEFAULT_GATEWAY_PING_S, parseCidrs, parseCpuList, parseGateway, parseHostPort, parseIpv4, parseMedia, parsePingSeconds, parsePortRange, parseWsPath, SettingError, telephonySettings } from '../telephony/config.ts';

export interface ServeOptions {
  port?: number;
  host?: string;
  data?: string;
  retention?: number;
  logLevel?: string;
  /** Reverse proxies to believe (comma-separated addresses/CIDRs; `true`: loopback). */
  trustProxy?: boolean | string;
  json?: boolean;
  /** Who may frame the pages (env VM_FRAME_ANCESTORS). @default ["'self'"] */
  frameAncestors?: string[];
  /** Origins allowed to call the API from a browser (env VM_CORS_ORIGINS). @default none: same origin only */
  corsOrigins?: string[];
  /** Drive these accounts (or all with `true`) with live simulated traffic. */
  simulate?: boolean | number[];
  /** How the simulation behaves (`vm demo`: which operators are simulated). @default every operator */
  simulation?: LiveSimulationOptions;
  /** SIP: `ADDR:PORT` to listen on (env VM_SIP); off when absent. */
  sip?: string;
  /** `sip:HOST:PORT` where legs to e164 numbers go (env VM_SIP_GATEWAY). */
  sipGateway?: string;
  /** Seconds between keep-alive OPTIONS to the gateway, 0: none (env VM_SIP_GATEWAY_PING). @default 30 */
  sipGatewayPing?: string;
  /** CIDRs allowed to send INVITE without credentials (env VM_SIP_TRUST). @default loopback */
  sipTrust?: string;
  /** SIP over WebSocket for browser softphones on the HTTP port (`true`: /sip, or a path; env VM_SIP_WS). */
  sipWs?: boolean | string;
  /** `node` (embedded, default) or `rtpengine` (env VM_MEDIA). */
  media?: string;
  /** rtpengine's NG control address (env VM_RTPENGINE). */
  rtpengine?: string;
  /** Where an external rtpengine sends DTMF reports (env VM_RTPENGINE_DTMF). */
  rtpengineDtmf?: string;
  /** `MIN-MAX` RTP ports (env VM_RTP_PORTS). */
  rtpPorts?: string;
  /** CPUs of the embedded media plane's worker thread, e.g. `1` (env VM_MEDIA_CPU). */
  mediaCpu?: string;
  /** Where WebRTC legs do ICE when not on the media address (env VM_WEBRTC_ADDRESS). */
  webrtcAddress?: string;
  /** Serve the demo's phone page (/demo/phone) calling this account: `vm demo` only. */
  demoPhone?: { accountId: number };
}

/**
 * Starts live traffic on accounts; their engines also take call-control commands. The
 * host builds them (durable ids, events acknowledged once durable, the app's clock) with
 * the simulation's telephony, and rebuilds them if their events cannot be stored; the
 * app's close drains and stops them.
 */
export async function startSimulations(app: App, which: true | number[], options: LiveSimulationOptions = {}): Promise<number[]> {
  const { store, engines } = app.services;
  const ids = which === true ? (await store.directory.listAccounts()).map((a) => a.id) : which;
  for (const id of ids) {
    if (!(await store.directory.getDirectory(id))) throw new Error(`--simulate: no account ${id}`);
    await engines.attach(id, liveSimulation(options));
  }
  return ids;
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
  const telephony = telephonySettings(o);
  const app = await buildApp({
    ...(telephony ? { telephony } : {}),
    dataDir: dir,
    ...(o.demoPhone ? { demoPhone: o.demoPhone } : {}),
    store: createSqliteStore(dir),
    logger,
    adminToken: process.env.VM_ADMIN_TOKEN || undefined,
    retentionMs: o.retention ?? DEFAULT_RETENTION_MS,
    trustProxy: o.trustProxy === true ? 'loopback' : (o.trustProxy ?? false),
    // Short lifetimes are for testing token renewal (e.g. VM_TOKEN_TTL=5s).
    tokenTtlMs: process.env.VM_TOKEN_TTL ? parseDuration(process.env.VM_TOKEN_TTL) : undefined,
    web: {
      frameAncestors: o.frameAncestors ?? (process.env.VM_FRAME_ANCESTORS ? checkFrameAncestors(parseSourceList(process.env.VM_FRAME_ANCESTORS)) : undefined),
      corsOrigins: o.corsOrigins ?? (process.env.VM_CORS_ORIGINS ? checkCorsOrigins(parseSourceList(process.env.VM_CORS_ORIGINS)) : undefined),
    },
  });
  const host = o.host ?? (process.env.HOST || DEFAULT_HOST);
  const port = await app.listen(o.port ?? (process.env.PORT ? Number(process.env.PORT) : 8080), host);
  const url = `http://${urlHost(host)}:${port}`;
  if (o.simulate) await startSimulations(app, o.simulate, o.simulation);
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

/** A flag checked when read (the value stays the string the settings parse again). */
function checked(v: string, parse: (v: string) => unknown): string {
  try {
    parse(v);
  } catch (err) {
    if (err instanceof SettingError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return v;
}

/** `--trust-proxy 10.0.0.5,192.168.1.0/24`: checked now, so a typo is an error, not trust in nobody. */
function parseTrustProxy(v: string): string {
  try {
    trustFunction(v);
  } catch (e) {
    throw new InvalidArgumentError(`expected comma-separated proxy addresses or CIDRs (${(e as Error).message}).`);
  }
  return v;
}

/** A comma-separated CLI list checked by `check`, whose error becomes commander's. */
function cliList(v: string, check: (list: string[]) => string[]): string[] {
  try {
    return check(parseSourceList(v));
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
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
    .option(
      '--trust-proxy [addresses]',
      'believe X-Forwarded-For only from these reverse proxies: comma-separated addresses or CIDRs, or loopback, linklocal, uniquelocal (bare flag: loopback)',
      parseTrustProxy,
    )
    .option('--log-level <level>', 'pino log level (env LOG_LEVEL)')
    .option('--frame-ancestors <sources>', "who may frame the pages, e.g. 'self',https://crm.example.com (env VM_FRAME_ANCESTORS; default 'self')", (v: string) =>
      cliList(v, checkFrameAncestors),
    )
    .option('--cors-origins <origins>', 'origins allowed to call the API from a browser, comma-separated (env VM_CORS_ORIGINS; default none: same origin only)', (v: string) =>
      cliList(v, checkCorsOrigins),
    )
    .option('--simulate [accounts]', 'drive accounts (comma-separated ids, or all; alone: all) with live simulated traffic', parseSimulate)
    .option('--sip <addr:port>', 'answer and place calls over SIP (UDP and TCP) on this address, e.g. 0.0.0.0:5060 (env VM_SIP)', (v: string) => checked(v, parseHostPort))
    .option('--sip-gateway <uri>', 'where legs to phone numbers go, e.g. sip:10.0.0.5:5060 (env VM_SIP_GATEWAY)', (v: string) => checked(v, parseGateway))
    .option('--sip-gateway-ping <seconds>', `keep-alive OPTIONS to the gateway every this many seconds, 0 for none; 3 unanswered mark it down and legs to phone numbers fail at once until it answers (env VM_SIP_GATEWAY_PING; default ${DEFAULT_GATEWAY_PING_S})`, (v: string) => checked(v, parsePingSeconds))
    .option('--sip-trust <cidrs>', 'carrier and PBX addresses allowed to send calls without credentials (env VM_SIP_TRUST; default: loopback)', (v: string) => checked(v, parseCidrs))
    .option('--sip-ws [path]', 'with --sip: browser softphones (JsSIP) register and take calls over SIP over WebSocket on the HTTP port at this path (default /sip; env VM_SIP_WS=1)', (v: string) =>
      checked(v, parseWsPath),
    )
    .option('--media <kind>', "media plane: node (embedded, default) or rtpengine (env VM_MEDIA); rtpengine alone starts Debian's rtpengine itself", (v: string) => checked(v, parseMedia))
    .option('--rtpengine <host:port>', "rtpengine's NG control address, with --media rtpengine (env VM_RTPENGINE)", (v: string) => checked(v, parseHostPort))
    .option('--rtpengine-dtmf <addr:port>', 'where that rtpengine sends its DTMF reports (its --dtmf-log-dest), with --rtpengine (env VM_RTPENGINE_DTMF)', (v: string) => checked(v, parseHostPort))
    .option('--rtp-ports <min-max>', 'UDP ports for RTP (env VM_RTP_PORTS; default 20000-29999)', (v: string) => checked(v, parsePortRange))
    .option('--media-cpu <cpus>', "keep the embedded media plane's thread on these CPUs, e.g. 1 or 2,3 (env VM_MEDIA_CPU; needs taskset; default: where the server runs)", (v: string) => checked(v, parseCpuList))
    .option('--webrtc-address <ipv4>', "where browsers' WebRTC media (ICE) reaches this server when not the SIP address, e.g. a LAN address while SIP listens on 127.0.0.1 (env VM_WEBRTC_ADDRESS; embedded media plane)", (v: string) => checked(v, parseIpv4))
    .option('--json', 'print one JSON line once listening')
    .action(async (o: ServeOptions) => {
      const { app, port, url } = await startServer(o);
      const sip = app.telephony?.address();
      const gateway = app.telephony?.gateway;
      if (o.json) console.log(JSON.stringify({ event: 'listening', port, url, data: dataDir(o.data), ...(sip ? { sip: `${sip.host}:${sip.port}` } : {}), ...(gateway ? { sip_gateway: gateway.target } : {}) }));
      else {
        if (sip) console.log(`SIP on ${sip.host}:${sip.port} (UDP and TCP): call sip:<service number>@${urlHost(sip.host)}:${sip.port}`);
        const ws = telephonySettings(o)?.ws;
        if (sip && ws) console.log(`SIP over WebSocket (softphones in the browser) on ${url.replace(/^http/, 'ws')}${ws.path}`);
        const gw = gateway;
        if (gw) console.log(`SIP gateway ${gw.target}: ${gw.monitor ? `OPTIONS every ${gw.monitor.intervalMs / 1000} s (state on /healthz; down after 3 unanswered)` : 'no keep-alive (--sip-gateway-ping 0)'}`);
        const everywhere = ['0.0.0.0', '::'].includes(o.host ?? (process.env.HOST || DEFAULT_HOST));
        console.log(`Voice Management listening on ${url}${everywhere ? ' and every other interface' : ''} (data in ${dataDir(o.data)}, events kept ${formatDuration(o.retention ?? DEFAULT_RETENTION_MS)})`);
        if (!process.env.VM_ADMIN_TOKEN) console.log('Admin API off (set VM_ADMIN_TOKEN to publish over HTTP).');
      }
    });
}
