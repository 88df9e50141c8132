// Builds the whole product in-process, apart from listen(): Fastify routes, the Socket.IO
// stream, the publisher and their store. Tests build it on port 0 with any store and clock.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Server } from 'socket.io';
import { pino, type Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import type { Store } from '../store/types.ts';
import { AuthService } from '../auth/service.ts';
import type { ThrottleOptions } from '../auth/throttle.ts';
import { Publisher } from '../stream/publisher.ts';
import { StreamGateway, type StreamServer } from '../stream/gateway.ts';
import { clientErrorHandler, installErrorHandling } from './errors.ts';
import { bindSessionsToIp, clientIpOf, trustFunction, type TrustProxy } from './client-ip.ts';
import { registerDocs } from './docs.ts';
import { installPayloadBounds } from './payload-bounds.ts';
import { wsRoutes } from './routes/ws.ts';
import { vmTokenRoutes } from './routes/vm-token.ts';
import { adminEventRoutes } from './routes/admin-events.ts';
import { adminImportRoutes } from './routes/admin-import.ts';
import { webRoutes } from './routes/web.ts';
import { pageRoutes } from './routes/pages.ts';
import { demoPhoneRoutes } from './routes/demo-phone.ts';
import { meRoutes } from './routes/me.ts';
import { softphoneRoutes } from './routes/softphone.ts';
import type { Services } from './services.ts';
import { StatsService } from '../stats/service.ts';
import { statsRoutes } from './routes/stats.ts';
import { callControlRoutes } from './routes/call-control.ts';
import { callbackLinkRoutes } from './routes/callback-link.ts';
import { EngineHost } from '../engine/host.ts';
import { settleAccount } from '../engine/recovery.ts';
import { durableIds } from '../engine/durable-ids.ts';
import { vmHistoryRoutes } from './routes/vm-history.ts';
import { recordingRoutes } from './routes/recordings.ts';
import { purgeRecordings, recordingPath } from '../recordings/files.ts';
import { statsRoom } from '../protocol/index.ts';
import { ChangeWatch } from './change-watch.ts';
import { OperatorContacts, SipUsers, startTelephony, type Telephony, type TelephonySettings } from '../telephony/index.ts';
import { createMediaPlane } from '../media/index.ts';
import { join, resolve } from 'node:path';
import { SoundLibrary } from '../sounds/library.ts';
import { installAuth } from './auth.ts';
import { AUDIT_KEEP_PER_ACCOUNT, AUDIT_RETENTION_MS, installAudit } from './audit.ts';
import { auditRoutes } from './routes/audit.ts';
import { registerWebSecurity, secureSocketIoAnswers, socketIoCors, type WebSecurityOptions } from './security.ts';

export interface AppOptions {
  store: Store;
  /** @default the system clock */
  clock?: Clock;
  /** pino logger; @default silent */
  logger?: Logger;
  /** Admin API bearer token; undefined turns the admin API off. */
  adminToken?: string;
  /** Event log retention in ms; call recordings (rows and files) are kept as long. @default 7 days */
  retentionMs?: number;
  /**
   * Reverse proxies whose X-Forwarded-For is believed (addresses, CIDRs, or `loopback`,
   * `linklocal`, `uniquelocal`); anyone else's X-Forwarded-For is ignored. @default none
   */
  trustProxy?: TrustProxy;
  throttle?: ThrottleOptions;
  /** Stream token lifetime in ms (env VM_TOKEN_TTL for `vm serve`). @default 7200000 (2 h, as the guide says) */
  tokenTtlMs?: number;
  /** @default 30000 */
  initTimeoutMs?: number;
  /** Server number put in `srv` of num events. @default 1 */
  srv?: number;
  /** Events kept in memory per account for resumes without a log read. @default 4096 */
  recentPerAccount?: number;
  /**
   * How often the store is polled for changes made by other processes (`vm import`,
   * `vm token revoke`), in ms. @default 1000
   */
  changeWatchMs?: number;
  /** Security headers and CORS (src/http/security.ts): frame-ancestors, CORS allow-list. */
  web?: WebSecurityOptions;
  /**
   * Most bytes the server holds for one socket its client has not read (both transports);
   * past it the socket is disconnected with a `stream_error` SLOW_CONSUMER and resumes with
   * `since`. @default 4 MiB
   */
  maxBufferedBytes?: number;
  /**
   * SIP and media (`vm serve --sip …`): the B2BUA becomes every engine's telephony port.
   * @default off: engines are driven by the call-control API (a PBX) or a simulation
   */
  telephony?: TelephonySettings;
  /** The data directory (recordings are written under it; rtpengine spools there). */
  dataDir?: string;
  /** `vm demo`: serve the phone page (/demo/phone) that calls this account's main line from a browser. @default off */
  demoPhone?: { accountId: number };
  /** A `since` replay sends while its socket holds at most this many bytes, then waits for the client. @default 64 KiB */
  replayBufferBytes?: number;
  /** A socket cut as a slow consumer is closed after this even if it never reads again. @default 2000 */
  slowConsumerGraceMs?: number;
}

export interface App {
  http: FastifyInstance;
  /** SIP and media when `telephony` was given. */
  telephony?: Telephony;
  io: StreamServer;
  services: Services;
  gateway: StreamGateway;
  /** Listens and resolves with the port. */
  listen(port?: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

export async function buildApp(opts: AppOptions): Promise<App> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: 'silent' });
  const { store } = opts;

  const accounts = new Set((await store.directory.listAccounts()).map((a) => a.id));
  const publisher = new Publisher({
    log: store.events,
    clock,
    srv: opts.srv,
    recentPerAccount: opts.recentPerAccount,
    // Known accounts answer synchronously (no extra await per published event); an
    // account imported by another process (vm import) since we started is looked up once.
    accountExists: (id) =>
      accounts.has(id) ||
      store.directory.getDirectory(id).then((dir) => {
        if (dir) accounts.add(id);
        return dir !== undefined;
      }),
  });
  await publisher.init();
  const stats = new StatsService({ store, clock, logger });
  await stats.init((id) => publisher.deliveredCpt(id));
  publisher.onDurable((events) => stats.onDurable(events));
  const auth = new AuthService({ clock, directory: store.directory, tokens: store.tokens, throttle: opts.throttle, tokenTtlMs: opts.tokenTtlMs });
  let telephony: Telephony | undefined;
  const engines = new EngineHost({
    clock,
    directory: (id) => store.directory.getDirectory(id),
    publish: (id, n, at) => publisher.publishValid(id, n, at, true),
    ids: (id) => durableIds(store.engines, id, (err) => logger.error({ err, account: id }, 'id reservation failed')),
    settle: async (id) => {
      await publisher.idle();
      const closed = await settleAccount(id, {
        readAfter: (a, after, limit) => store.events.readAfter(a, after, limit),
        settledCpt: (a) => store.engines.settledCpt(a),
        setSettledCpt: (a, cpt) => store.engines.setSettledCpt(a, cpt),
        publish: (a, n, at) => publisher.publishValid(a, n, at, true),
        lastCpt: (a) => publisher.deliveredCpt(a),
      });
      if (closed > 0) logger.warn({ account: id, events: closed }, 'closed what the event log left open');
    },
    markSettled: async (id) => {
      await publisher.idle();
      await store.engines.setSettledCpt(id, publisher.deliveredCpt(id));
    },
    onError: (err, id) => logger.error({ err, account: id }, 'engine events not durable'),
    // With SIP on, the B2BUA is every engine's port; a live simulation's port takes what SIP does not.
    telephony: (id, simulated) => {
      if (!telephony) return undefined;
      telephony.b2bua.setFallback(id, simulated);
      return telephony.b2bua.port(id);
    },
    ...(opts.srv !== undefined ? { srv: opts.srv } : {}),
  });
  // Calls and operator states a crash left open in the log are closed before serving.
  await engines.settleAll(accounts);
  // SIP and media: carries the engines' commands out on real calls (src/telephony/).
  const sipUsers = new SipUsers(() => store.directory.listSipUsers());
  const sounds = new SoundLibrary(store.sounds);
  const contacts = new OperatorContacts((id) => store.directory.getDirectory(id));
  if (opts.telephony) {
    await sipUsers.refresh();
    telephony = await startTelephony(opts.telephony, {
      sipUsers: (username) => {
        const u = sipUsers.get(username);
        return u && { ha1: u.ha1 };
      },
      run: (id, command) => engines.run(id, command),
      accountForService: (service) => store.directory.serviceAccount(service),
      operatorContact: (accountId, operatorId) => contacts.get(accountId, operatorId),
      sound: (accountId, id) => sounds.resolve(accountId, id),
      preloadSounds: sounds.builtinFiles(),
      ...(opts.dataDir
        ? {
            recordingDir: join(resolve(opts.dataDir), 'rtpengine'),
            recordings: {
              path: (accountId: number, idCall: number) => recordingPath(opts.dataDir!, accountId, idCall),
              done: (accountId: number, idCall: number, file: string, durationMs: number, bytes: number) =>
                store.recordings.add({ accountId, idCall, file, durationMs, bytes, createdAt: clock.now() }),
            },
          }
        : {}),
      media: createMediaPlane,
      log: logger.child({ component: 'sip' }),
    });
  }
  const services: Services = { clock, store, auth, publisher, stats, engines, adminToken: opts.adminToken };

  // One trust function for HTTP (request.ip) and the stream (token and session binding).
  const trust = trustFunction(opts.trustProxy);
  const http = Fastify({
    // Per-request logs are noise at this volume: Fastify's own logger only reports problems.
    loggerInstance: logger.child({ component: 'http' }, { level: logger.isLevelEnabled('info') ? 'warn' : logger.level }) as FastifyBaseLogger,
    // Fastify computes request.ip from X-Forwarded-For only when some proxy is trusted.
    trustProxy: opts.trustProxy ? trust : false,
    bodyLimit: 1024 * 1024,
    clientErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as FastifyInstance;
  installErrorHandling(http);
  installPayloadBounds(http);
  // ---- Web security: headers on every answer, CORS by allow-list (src/http/security.ts) ----
  const web = opts.web ?? {};
  await registerWebSecurity(http, web);
  // Who may call each route: one layer, before any route is registered (src/http/auth.ts),
  // after the security headers (refusals carry them too).
  installAuth(http, services);
  // Supervisor, admin and platform actions on operators and calls (src/http/audit.ts).
  installAudit(http, { audit: store.audit, now: () => clock.now(), logger: http.log });
  // ------------------------------------------------------------------------------------------
  await registerDocs(http);
  await http.register(wsRoutes, { services });
  await http.register(vmTokenRoutes, { services });
  await http.register(adminEventRoutes, { services });
  await http.register(adminImportRoutes, { services });
  await http.register(statsRoutes, { services });
  await http.register(callControlRoutes, { services });
  await http.register(callbackLinkRoutes, { services });
  await http.register(vmHistoryRoutes, { services });
  await http.register(recordingRoutes, { services });
  await http.register(meRoutes, { services });
  await http.register(auditRoutes, { services });
  await http.register(softphoneRoutes, { services, wsPath: telephony ? opts.telephony?.ws?.path : undefined });
  await http.register(webRoutes);
  await http.register(pageRoutes);
  if (opts.demoPhone) await http.register(demoPhoneRoutes, { services, accountId: opts.demoPhone.accountId, wsPath: telephony ? opts.telephony?.ws?.path : undefined });
  // The gateway's keep-alive state when one is probed (`up`, `down`, `unknown` before its first answer).
  http.get('/healthz', async () => {
    const gw = telephony?.gateway?.monitor?.health();
    return gw ? { ok: true, sip_gateway: gw.state } : { ok: true };
  });

  const io: StreamServer = new Server(http.server, {
    allowEIO3: true,
    cors: socketIoCors(web),
    serveClient: true,
    perMessageDeflate: false,
  });
  secureSocketIoAnswers(http.server, web);
  // Browser softphones: SIP over WebSocket on this port at its own path (Socket.IO keeps its own).
  if (telephony && opts.telephony?.ws) telephony.sip.serveWebSocket(http.server, { path: opts.telephony.ws.path });
  const gateway = new StreamGateway({
    io,
    auth,
    publisher,
    log: store.events,
    clock,
    logger,
    initTimeoutMs: opts.initTimeoutMs,
    maxBufferedBytes: opts.maxBufferedBytes,
    replayBufferBytes: opts.replayBufferBytes,
    slowConsumerGraceMs: opts.slowConsumerGraceMs,
    clientIp: (s) => clientIpOf(s.request, trust),
    directory: (id) => store.directory.getDirectory(id),
  });
  bindSessionsToIp(io.engine, (req) => clientIpOf(req, trust));

  const changes = new ChangeWatch({ store, engines, gateway, logger, onDirectoryChange: async (id) => {
      await stats.directoryChanged(id);
      await gateway.directoryChanged(id);
      contacts.forget(id);
      if (telephony) await sipUsers.refresh().catch((err: unknown) => logger.error({ err }, 'SIP users not reloaded'));
    }, ...(opts.changeWatchMs !== undefined ? { intervalMs: opts.changeWatchMs } : {}) });
  await changes.start();
  services.changes = changes;

  const retention = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const housekeeping = async () => {
    try {
      const pruned = await store.events.prune(clock.now() - retention);
      const tokens = await store.tokens.purgeExpired(clock.now());
      const recordings = await purgeRecordings(store.recordings, clock.now() - retention);
      const audit = await store.audit.prune(clock.now() - AUDIT_RETENTION_MS, AUDIT_KEEP_PER_ACCOUNT);
      if (pruned || tokens || recordings || audit) logger.info({ pruned, tokens, recordings, audit }, 'housekeeping');
    } catch (err) {
      logger.error({ err }, 'housekeeping failed');
    }
  };
  const timer = setInterval(housekeeping, 10 * 60_000);
  timer.unref();
  // Extension: push live metrics each second to the sockets that asked for them.
  const statsTimer = setInterval(() => {
    const rooms = io.of('/').adapter.rooms;
    for (const id of stats.accountIds()) {
      const whole = (rooms.get(statsRoom(id))?.size ?? 0) > 0;
      if (!whole && !gateway.hasScopedStats(id)) continue;
      const snap = stats.snapshotNow(id);
      if (!snap) continue;
      if (whole) io.to(statsRoom(id)).emit('stats', snap);
      gateway.emitScopedStats(id, snap);
    }
  }, 1000);
  statsTimer.unref();
  void housekeeping();

  let closed = false;
  return {
    http,
    io,
    services,
    gateway,
    ...(telephony ? { telephony } : {}),
    async listen(port = 0, host = '127.0.0.1') {
      await http.listen({ port, host });
      const addr = http.server.address();
      return typeof addr === 'object' && addr ? addr.port : port;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      clearInterval(statsTimer);
      changes.stop();
      gateway.stop();
      await engines.drain();
      engines.stop();
      await telephony?.close();
      await publisher.close();
      await stats.flush();
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await http.close().catch(() => undefined);
      await store.close();
    },
  };
}
