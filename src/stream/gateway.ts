// The Socket.IO side of the stream (PROTOCOL §4): `init` authentication, subscriptions as
// rooms (per account and type; per operator and type for agent and operator tokens; per
// group and type for a supervisor scoped to groups), `since` replay that hands over to the
// live stream without a gap or a duplicate, and the fan-out.
import type { Server, Socket } from 'socket.io';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { EventLog, LoggedEvent, TokenRecord } from '../store/types.ts';
import type { AccountDirectory } from '../directory/schema.ts';
import { eventGroups, seesEvent, snapshotInScope, type Scope } from '../auth/scope.ts';
import type { RealtimeSnapshot } from '../protocol/index.ts';
import {
  DEFAULT_TYPES,
  operatorOf,
  operatorRoom,
  parseTypes,
  statsRoom,
  typeRoom,
  type ClientToServerEvents,
  type ErrorBody,
  type InitAck,
  type InitOptions,
  type InitUserType,
  type NotificationType,
  type ServerToClientEvents,
  type SocketData,
  type Update,
} from '../protocol/index.ts';
import { errorBody, vmError, VmError } from '../errors/registry.ts';
import type { AuthService } from '../auth/service.ts';
import type { Publisher } from './publisher.ts';
import { Outbox } from './outbox.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';

export type StreamServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type StreamSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface GatewayOptions {
  io: StreamServer;
  auth: AuthService;
  publisher: Publisher;
  log: EventLog;
  clock: Clock;
  logger: Logger;
  /** Disconnect sockets that send no valid init within this time. @default 30000 */
  initTimeoutMs?: number;
  /** Events read from the log per replay page (small pages keep the garbage of concurrent replays low). @default 64 */
  replayPage?: number;
  /**
   * Most bytes the server holds for one socket that its client has not taken yet (queued in
   * Engine.IO plus unwritten in the transport). Past it the socket gets a `stream_error`
   * SLOW_CONSUMER and is disconnected; the client resumes with `since`. @default 4 MiB
   */
  maxBufferedBytes?: number;
  /** A `since` replay sends while the socket holds at most this many bytes, then waits for it to drain. @default 64 KiB */
  replayBufferBytes?: number;
  /** A socket cut as a slow consumer that still has not taken its last packets is closed after this. @default 2000 */
  slowConsumerGraceMs?: number;
  /** Log pages read at once by all replays together (the rest wait their turn). @default 2 */
  replayReadConcurrency?: number;
  /** How a socket's client IP is found (behind a trusted proxy, X-Forwarded-For). */
  clientIp?: (socket: StreamSocket) => string;
  /** An account's directory (which operators are in which groups, for scoped subscriptions). */
  directory: (accountId: number) => Promise<AccountDirectory | undefined>;
  /** How often the keep tokens of open sockets are renewed, in ms. @default 300000 */
  keepTickMs?: number;
}

/** The room of one group's events of one type (a scoped supervisor's subscription). */
const groupRoom = (accountId: number, groupId: number, type: NotificationType) => `a${accountId}:g${groupId}:${type}`;
/** The room of the scoped supervisors who asked for `stats`: each gets the snapshot cut to its scope. */
const scopedStatsRoom = (accountId: number) => `a${accountId}:stats:scoped`;

const USER_TYPES = new Set(['supervisor', 'api', 'agent']);

export function toUpdate(e: LoggedEvent, now: number): Update {
  return { ts: Math.floor(now / 1000), elapse: Math.max(0, Math.floor((now - e.at) / 1000)), cpt: e.cpt, event: e.notification };
}

export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** A counting semaphore: at most `n` holders at once, the others queue in order. */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly n: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export class StreamGateway {
  private readonly initTimeoutMs: number;
  private readonly replayPage: number;
  /** Initialised sockets per account, with the token each was opened with. */
  private readonly sessions = new Map<number, Map<StreamSocket, TokenRecord>>();
  private readonly maxBufferedBytes: number;
  private readonly replayBufferBytes: number;
  private readonly replayReads: Limiter;
  private readonly outboxes = new WeakMap<StreamSocket, Outbox>();
  /** Scoped sockets: their scope and the supervisor groups it was made of. */
  private readonly scopes = new WeakMap<StreamSocket, { scope: Scope; groups: string }>();
  /** Per account with scoped sockets open: how many, and each operator's groups. */
  private readonly scoped = new Map<number, { sockets: number; groupsOf: Map<number, number[]> }>();
  private readonly keepTimer: NodeJS.Timeout;
  /** Sockets cut for not reading (SLOW_CONSUMER) since start. */
  slowConsumersCut = 0;

  constructor(private readonly opts: GatewayOptions) {
    this.initTimeoutMs = opts.initTimeoutMs ?? 30_000;
    this.replayPage = opts.replayPage ?? 64;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.replayBufferBytes = Math.min(opts.replayBufferBytes ?? 64 * 1024, Math.floor(this.maxBufferedBytes / 4));
    this.replayReads = new Limiter(opts.replayReadConcurrency ?? 2);
    opts.io.on('connection', (socket) => this.onConnection(socket));
    opts.publisher.onDurable((events) => this.fanOut(events));
    this.keepTimer = setInterval(() => void this.keepAlive(), opts.keepTickMs ?? 300_000);
    this.keepTimer.unref();
  }

  stop(): void {
    clearInterval(this.keepTimer);
  }

  /** Keep tokens of open sockets live on: the page that holds the socket is open. */
  private async keepAlive(): Promise<void> {
    for (const open of this.sessions.values()) {
      for (const [socket, rec] of [...open]) {
        if (rec.keepUntil === 0) continue;
        try {
          const kept = await this.opts.auth.keep(rec);
          if (open.has(socket)) open.set(socket, kept);
        } catch (err) {
          this.opts.logger.warn({ err }, 'keep token not renewed');
        }
      }
    }
  }

  hasScopedStats(accountId: number): boolean {
    return (this.opts.io.of('/').adapter.rooms.get(scopedStatsRoom(accountId))?.size ?? 0) > 0;
  }

  /** The live snapshot a scoped socket that asked for `stats` gets each second. */
  emitScopedStats(accountId: number, snap: RealtimeSnapshot): void {
    const ids = this.opts.io.of('/').adapter.rooms.get(scopedStatsRoom(accountId));
    if (!ids?.size) return;
    for (const id of ids) {
      const socket = this.opts.io.of('/').sockets.get(id);
      const s = socket && this.scopes.get(socket);
      if (s) socket.emit('stats', snapshotInScope(snap, s.scope));
    }
  }

  /**
   * A re-import: scoped rooms follow the operators' new groups; a scoped socket whose
   * supervisor's groups changed gets `init_error` SCOPE_CHANGED and is closed (it inits again,
   * with `since`, to see its new scope).
   */
  async directoryChanged(accountId: number): Promise<void> {
    const entry = this.scoped.get(accountId);
    const open = this.sessions.get(accountId);
    if (!entry || !open) return;
    const dir = await this.opts.directory(accountId);
    entry.groupsOf = groupsByOperator(dir);
    for (const [socket, rec] of [...open]) {
      const s = this.scopes.get(socket);
      if (!s || rec.kind !== 'supervisor') continue;
      const now = JSON.stringify(dir?.supervisors?.find((x) => x.id === rec.subject)?.groups ?? null);
      if (now === s.groups) continue;
      open.delete(socket);
      for (const room of [...socket.rooms]) if (room !== socket.id) socket.leave(room);
      this.refuse(socket, vmError('SCOPE_CHANGED'));
    }
  }

  /** Emits each durable event to the rooms subscribed to its account and type (and operator). */
  fanOut(events: readonly LoggedEvent[]): void {
    const { io, clock } = this.opts;
    const now = clock.now();
    for (const e of events) {
      const type = e.notification.type_notification;
      const op = operatorOf(e.notification);
      const rooms = op === undefined ? [typeRoom(e.accountId, type)] : [typeRoom(e.accountId, type), operatorRoom(e.accountId, op, type)];
      const scoped = this.scoped.get(e.accountId);
      if (scoped) {
        for (const g of eventGroups(e.notification, (id) => scoped.groupsOf.get(id) ?? [])) rooms.push(groupRoom(e.accountId, g, type));
      }
      io.to(rooms).emit('update', toUpdate(e, now));
    }
  }

  private clientIp(socket: StreamSocket): string {
    return this.opts.clientIp ? this.opts.clientIp(socket) : socket.handshake.address;
  }

  private onConnection(socket: StreamSocket): void {
    const outbox = new Outbox(socket.conn, this.maxBufferedBytes, (bytes) => this.cut(socket, outbox, bytes));
    this.outboxes.set(socket, outbox);
    const timer = setTimeout(() => {
      if (!socket.data.accountId) this.refuse(socket, vmError('INIT_TIMEOUT', `No valid init within ${this.initTimeoutMs / 1000} s.`));
    }, this.initTimeoutMs);
    timer.unref();
    socket.once('disconnect', () => clearTimeout(timer));
    let busy = false;
    socket.on('init', (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (a: InitAck) => void) : undefined;
      if (busy || socket.data.accountId) {
        const err = vmError('ALREADY_INITIALISED');
        ack?.({ ok: false, ...err.toBody() });
        return;
      }
      busy = true;
      this.init(socket, args)
        .then((cpt) => {
          clearTimeout(timer);
          ack?.({ ok: true, id_client: socket.data.accountId, cpt });
        })
        .catch((e: unknown) => {
          busy = false;
          if (!(e instanceof VmError)) this.opts.logger.error({ err: e }, 'init failed');
          const body = errorBody(e);
          ack?.({ ok: false, ...body });
          this.refuse(socket, body);
        });
    });
  }

  private refuse(socket: StreamSocket, e: VmError | ErrorBody): void {
    const body = e instanceof VmError ? e.toBody() : e;
    socket.emit('init_error', body);
    // Let the init_error reach the client before closing.
    setTimeout(() => socket.disconnect(true), 50).unref();
  }

  /**
   * Disconnects a socket whose client does not take what it is sent: what never reached the
   * transport is dropped, and it gets a `stream_error` saying why (a client that reads
   * again sees it, then the disconnect, and resumes with `since`); the disconnect leaves
   * its rooms in the same synchronous step. A client that stays stalled is closed after a
   * short grace, whatever it holds.
   */
  private cut(socket: StreamSocket, outbox: Outbox, bytes: number): void {
    if (socket.disconnected) return;
    this.slowConsumersCut++;
    outbox.discardQueued();
    const err = vmError(
      'SLOW_CONSUMER',
      `This client left more than ${this.maxBufferedBytes} bytes of its stream unread (${bytes}); it is disconnected and should resume with since.`,
    );
    this.opts.logger.warn({ account: socket.data.accountId, bytes }, 'slow consumer disconnected');
    socket.emit('stream_error', err.toBody());
    socket.disconnect(true);
    const conn = socket.conn;
    if (conn.readyState === 'closed') return;
    const grace = setTimeout(() => outbox.terminate(), this.opts.slowConsumerGraceMs ?? 2000);
    grace.unref();
    conn.once('close', () => clearTimeout(grace));
  }

  /** Authenticates and subscribes; resolves with the cpt the stream is live from. */
  private async init(socket: StreamSocket, args: unknown[]): Promise<number> {
    const [userType, target, token, rawOpts] = args;
    if (args.length < 3 || args.length > 4) {
      throw vmError('INIT_MALFORMED', `init expects (user type, target, id_session[, options][, ack]); got ${args.length} arguments.`);
    }
    if (typeof userType !== 'string' || !USER_TYPES.has(userType)) {
      throw vmError('INIT_MALFORMED', `init: unknown user type ${JSON.stringify(userType ?? null)?.slice(0, 40)}; expected "supervisor", "api" or "agent".`);
    }
    const targetId = typeof target === 'number' ? target : typeof target === 'string' && /^\d{1,15}$/.test(target) ? Number(target) : NaN;
    if (!Number.isSafeInteger(targetId) || targetId <= 0) throw vmError('INIT_MALFORMED', 'init: the target must be a positive integer id.');
    const options = this.parseOptions(rawOpts);

    const rec = await this.opts.auth.verify(token, this.clientIp(socket));
    if (rec.kind === 'admin') throw vmError('FORBIDDEN', 'An admin token configures its account; it does not open the stream.');
    // An operator's own sign-in opens the stream as an agent token does: its operator's events.
    const kind: InitUserType = rec.kind === 'operator' ? 'agent' : rec.kind;
    const expectedTarget = kind === 'api' ? rec.accountId : rec.subject;
    if (kind !== userType || expectedTarget !== targetId) {
      throw vmError('INIT_BAD_TARGET', `This token is for init('${kind}', ${expectedTarget}, …).`);
    }
    const principal = await this.opts.auth.principal(rec);
    const scope = principal.role === 'supervisor' ? principal.scope : undefined;
    const groupsOf = scope ? groupsByOperator(await this.opts.directory(rec.accountId)) : undefined;
    if (socket.disconnected) throw vmError('INIT_MALFORMED', 'The socket closed during init.');

    const accountId = rec.accountId;
    const types = options.types ?? [...DEFAULT_TYPES];
    const operatorId = kind === 'agent' ? rec.subject : undefined;
    const rooms = types.flatMap((t) =>
      operatorId !== undefined ? [operatorRoom(accountId, operatorId, t)] : scope ? [...scope.groups].map((g) => groupRoom(accountId, g, t)) : [typeRoom(accountId, t)],
    );
    if (options.stats && operatorId === undefined) rooms.push(scope ? scopedStatsRoom(accountId) : statsRoom(accountId));
    socket.data = { accountId, userType: kind, types, ...(operatorId !== undefined ? { operatorId } : {}) };
    this.track(socket, rec);
    if (scope && groupsOf) this.trackScope(socket, accountId, scope, groupsOf);

    if (options.since === undefined) {
      socket.join(rooms);
      return this.opts.publisher.deliveredCpt(accountId);
    }
    return this.replayThenJoin(socket, options.since, new Set(types), operatorId, rooms, scope);
  }

  private trackScope(socket: StreamSocket, accountId: number, scope: Scope, groupsOf: Map<number, number[]>): void {
    const groups = JSON.stringify([...scope.groups]);
    this.scopes.set(socket, { scope, groups });
    let entry = this.scoped.get(accountId);
    if (!entry) this.scoped.set(accountId, (entry = { sockets: 0, groupsOf }));
    entry.sockets++;
    socket.once('disconnect', () => {
      if (--entry.sockets === 0 && this.scoped.get(accountId) === entry) this.scoped.delete(accountId);
    });
  }

  private track(socket: StreamSocket, rec: TokenRecord): void {
    let open = this.sessions.get(rec.accountId);
    if (!open) this.sessions.set(rec.accountId, (open = new Map()));
    open.set(socket, rec);
    socket.once('disconnect', () => {
      open.delete(socket);
      if (open.size === 0 && this.sessions.get(rec.accountId) === open) this.sessions.delete(rec.accountId);
    });
  }

  /**
   * Closes the account's sockets whose token no longer holds (logged out, revoked, its
   * user's password changed, its user or operator removed): they get `init_error`
   * TOKEN_REVOKED and are disconnected. Resolves with how many were closed.
   */
  async closeRevoked(accountId: number): Promise<number> {
    const open = this.sessions.get(accountId);
    if (!open) return 0;
    const verdicts = new Map<string, Promise<boolean>>();
    let closed = 0;
    for (const [socket, rec] of [...open]) {
      let holds = verdicts.get(rec.hash);
      if (!holds) verdicts.set(rec.hash, (holds = this.opts.auth.stillValid(rec)));
      if (await holds) continue;
      if (!open.delete(socket)) continue;
      // Out of the rooms at once: nothing more reaches it while the refusal is delivered.
      for (const room of [...socket.rooms]) if (room !== socket.id) socket.leave(room);
      this.refuse(socket, vmError('TOKEN_REVOKED', 'This token was revoked (a logout, a changed password or a removed user): log in again.'));
      closed++;
    }
    return closed;
  }

  private parseOptions(raw: unknown): InitOptions {
    if (raw === undefined || raw === null) return {};
    if (typeof raw !== 'object' || Array.isArray(raw)) throw vmError('INIT_BAD_OPTIONS', 'init options must be an object.');
    const o = raw as Record<string, unknown>;
    const out: InitOptions = {};
    if (o.since !== undefined && o.since !== null) {
      if (typeof o.since !== 'number' || !Number.isSafeInteger(o.since) || o.since < 0) {
        throw vmError('INIT_BAD_OPTIONS', 'since must be a non-negative integer cpt.');
      }
      out.since = o.since;
    }
    if (o.types !== undefined && o.types !== null) {
      const t = parseTypes(o.types);
      if (!t.ok) throw vmError('INIT_BAD_OPTIONS', t.message);
      if (t.types.length === 0) throw vmError('INIT_BAD_OPTIONS', 'types must name at least one type.');
      out.types = t.types;
    }
    if (o.stats !== undefined) out.stats = o.stats === true;
    return out;
  }

  /**
   * Replays events after `since` from the log page by page, then takes the last ones from
   * memory and joins the live rooms in the same synchronous step: every event is either
   * replayed (cpt <= delivered head) or fanned out to the rooms (cpt > head), never both.
   * The replay is paced by the client: it sends while the socket holds at most
   * `replayBufferBytes`, then waits for it to drain, so a replaying socket costs the
   * server a bounded amount whatever the log's size; log reads take turns
   * (`replayReadConcurrency`) and yield to the event loop between pages.
   */
  private async replayThenJoin(
    socket: StreamSocket,
    since: number,
    types: Set<NotificationType>,
    operatorId: number | undefined,
    rooms: string[],
    scope?: Scope,
  ): Promise<number> {
    const { publisher, log, clock } = this.opts;
    const accountId = socket.data.accountId;
    const outbox = this.outboxes.get(socket)!;
    const high = this.replayBufferBytes;
    const send = (e: LoggedEvent) => {
      if (!types.has(e.notification.type_notification)) return;
      if (operatorId !== undefined && operatorOf(e.notification) !== operatorId) return;
      if (!seesEvent(scope, e.notification)) return;
      socket.emit('update', toUpdate(e, clock.now()));
    };
    const drain = async () => {
      await outbox.drained(high / 2);
      await nextTurn();
    };
    let last = since;
    for (;;) {
      if (socket.disconnected) return last;
      const fromMemory = publisher.recentAfter(accountId, last);
      if (fromMemory) {
        // Synchronous from here to join: no fan-out can run in between. Unless the socket
        // fills up first: then wait and look again (memory may have moved on).
        let i = 0;
        for (; i < fromMemory.length && outbox.bytes <= high; i++) send(fromMemory[i]!);
        if (i === fromMemory.length) {
          socket.join(rooms);
          return publisher.deliveredCpt(accountId);
        }
        last = fromMemory[i - 1]?.cpt ?? last;
        await drain();
        continue;
      }
      const head = publisher.deliveredCpt(accountId);
      const from = last;
      const page = await this.replayReads.run(() => log.readAfter(accountId, from, Math.min(this.replayPage, head - from)));
      if (page.length === 0) {
        // The log holds nothing more up to the head (retention pruned it): skip ahead.
        last = head;
        continue;
      }
      for (const e of page) {
        if (outbox.bytes > high) await drain();
        if (socket.disconnected) return last;
        send(e);
        last = e.cpt;
      }
      await nextTurn();
    }
  }
}

/** Each operator's groups, from the directory. */
function groupsByOperator(dir: AccountDirectory | undefined): Map<number, number[]> {
  return new Map((dir?.operators ?? []).map((o) => [o.id, o.groups ?? []]));
}
