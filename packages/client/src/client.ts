// The stream client: logs in, opens the Socket.IO stream, renews its token before expiry
// without touching the socket, and after any disconnect or server restart resumes with
// `init(…, {since: last cpt})`, so the application sees every event exactly once, in order.
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, InitAck, InitOptions, NotificationType, RealtimeSnapshot, ServerToClientEvents, Update } from './protocol.ts';
import { apiToken, endpoint, refreshToken, supervisorLogin, type Directory, type StreamToken } from './auth.ts';
import { TOKEN_ERRORS, VmClientError, isTransient } from './errors.ts';
import { TypedEmitter } from './emitter.ts';
import { normalizeUpdate } from './normalize.ts';

/**
 * Options every connection takes.
 *
 * @example
 * await connect({ url: 'https://cc.example.com/vm/', login, password, types: ['queue', 'operator'], since: 1200 });
 */
export interface CommonConnectOptions {
  /** Server URL, e.g. `http://127.0.0.1:8080` (a base path such as `https://host/vm/` is kept). */
  url: string;
  /** Restrict the stream to these types (`num` and `input` are sent only when listed). @default every type but num and input */
  types?: NotificationType[];
  /** Start by replaying every event after this cpt (`0`: the whole log). @default live events only */
  since?: number;
  /** Renew the token at this fraction of its life. @default 0.9 */
  renewAt?: number;
  /** Socket.IO transports, in the order to try. @default ['websocket', 'polling'] */
  transports?: ('websocket' | 'polling')[];
  /** First delay before reconnecting, in ms (doubles up to `reconnectionDelayMax`). @default 500 */
  reconnectionDelay?: number;
  /** Longest delay between reconnection attempts, in ms. @default 5000 */
  reconnectionDelayMax?: number;
  /** Give up on an unacknowledged `init` after this many ms, and reconnect. @default 15000 */
  initTimeoutMs?: number;
  /** Socket.IO path. @default the URL's path + `socket.io/` */
  path?: string;
}

/**
 * A supervisor's login (`POST /ws/`): every event of the supervisor's account.
 *
 * @example
 * await connect({ url, login: 'supervisor', password: 'demo' });
 */
export interface SupervisorConnectOptions extends CommonConnectOptions {
  /** Supervisor login. */
  login: string;
  /** Supervisor password. */
  password: string;
}

/**
 * An API user's credentials (`POST /vm/token`): the whole account, or one operator.
 *
 * @example
 * await connect({ url, apiLogin: 'api', apiPassword: 'demo-api' });
 * await connect({ url, apiLogin: 'api', apiPassword: 'demo-api', userType: 'agent', operatorId: 8 });
 */
export interface ApiConnectOptions extends CommonConnectOptions {
  /** API user login. */
  apiLogin: string;
  /** API user password. */
  apiPassword: string;
  /** `api`: every event of the account; `agent`: one operator's events. @default 'api' */
  userType?: 'api' | 'agent';
  /** The operator of an `agent` subscription. */
  operatorId?: number;
}

/**
 * A token obtained elsewhere (a page's URL, an earlier login): renewed with `refresh_token`.
 * With no credentials to log in again, a token the server refuses closes the client.
 *
 * @example
 * const q = new URLSearchParams(location.search);
 * await connect({ url: location.origin, token: { userType: 'api', target: Number(q.get('id_client')), idSession: q.get('id_session')! } });
 */
export interface TokenConnectOptions extends CommonConnectOptions {
  /**
   * The token and its `init` arguments. Without `lifetimeMs` and `receivedAt` it is renewed
   * at once, which tells how long it lives; with them (a token kept from earlier) it is used
   * as is, and renewed at `renewAt` of its life counted from `receivedAt`.
   */
  token: Pick<StreamToken, 'userType' | 'target' | 'idSession'> & Partial<StreamToken>;
  /** The directory `snapshot()` returns (e.g. kept from the login that gave the token). */
  directory?: Directory;
}

/**
 * How to reach and authenticate: a supervisor login, API user credentials, or a token.
 *
 * @example
 * const opts: ConnectOptions = process.env.VM_LOGIN
 *   ? { url, login: process.env.VM_LOGIN, password: process.env.VM_PASSWORD ?? '' }
 *   : { url, apiLogin: 'api', apiPassword: 'demo-api' };
 */
export type ConnectOptions = SupervisorConnectOptions | ApiConnectOptions | TokenConnectOptions;

/**
 * - `connecting`: before the first `init` is acknowledged;
 * - `live`: subscribed; events flow;
 * - `reconnecting`: the connection dropped; the client is reconnecting and will resume;
 * - `closed`: `close()` was called, or a fatal error.
 *
 * @example
 * if (client.state !== 'live') banner.show('reconnecting…');
 */
export type ClientState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/**
 * What the `state` event carries.
 *
 * @example
 * client.on('state', ({ state, cpt, resumed, since, reason }) => {
 *   if (state === 'live' && resumed) console.log(`resumed after ${since}, live at ${cpt}`);
 *   if (state === 'reconnecting') console.log(`lost the stream (${reason})`);
 * });
 */
export interface StateChange {
  state: ClientState;
  /** The last cpt the application has been given (or the stream went live at). */
  cpt: number | undefined;
  /** `live`: true when the stream resumed after a disconnect. */
  resumed?: boolean;
  /** `live`: the `since` sent with `init` (undefined for a first live-only subscription). */
  since?: number;
  /** `reconnecting` / `closed`: why. */
  reason?: string;
}

/**
 * Events of {@link VmClient}.
 *
 * @example
 * client.on('event', (u) => render(u));
 * client.on('token', (t) => sessionStorage.setItem('vm-token', JSON.stringify(t)));
 * client.on('error', (e) => { if (e.fatal) alert(e.message); });
 */
export interface ClientEvents {
  /** One notification, exactly once, in cpt order. */
  event: (update: Update) => void;
  /** The connection's state changed. */
  state: (change: StateChange) => void;
  /** Something went wrong; `error.fatal` says the client closed because of it. */
  error: (error: VmClientError) => void;
  /** A new token was obtained (login, renewal, or after a refusal). */
  token: (token: StreamToken) => void;
}

/**
 * What {@link VmClient.snapshot} returns.
 *
 * @example
 * const { cpt, realtime } = await client.snapshot();
 * client.on('event', (u) => { if (u.cpt > cpt) apply(realtime, u); });
 */
export interface Snapshot {
  /** The last cpt the snapshot reflects: apply only events with a larger cpt to it. */
  cpt: number;
  /** `realtime`: from `GET /api/v1/realtime`; `init`: the directory from the login. */
  source: 'realtime' | 'init';
  /** Live state and today's metrics (source `realtime`). */
  realtime?: RealtimeSnapshot;
  /** The account's directory (ops, groupes, trunks, pauses); supervisors only. */
  directory?: Directory;
}

/**
 * Counters, for monitoring and tests.
 *
 * @example
 * setInterval(() => console.log(client.stats), 60_000); // { resumes: 2, renewals: 11, duplicates: 0 }
 */
export interface ClientStats {
  /** Times the stream resumed after a disconnect. */
  resumes: number;
  /** Tokens obtained after the first (renewals and re-logins). */
  renewals: number;
  /** Updates dropped because their cpt had already been delivered. */
  duplicates: number;
}

interface Consumer {
  push(u: Update): void;
  end(error?: unknown): void;
}

type StreamSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Retry delay after a failed renewal: a quarter of what is left, between 1 s and 30 s. */
const renewRetryMs = (left: number) => Math.min(30_000, Math.max(1_000, left / 4));

/**
 * The delay before trying again after `e`: never less than `ms`, never less than the
 * server's `Retry-After`, and on a 429 without one, doubling from 1 s to 5 min.
 */
function retryDelayMs(e: unknown, ms: number, failures: number): number {
  if (!(e instanceof VmClientError)) return ms;
  if (e.retryAfter !== undefined) return Math.max(ms, e.retryAfter * 1000);
  if (e.status === 429) return Math.max(ms, Math.min(300_000, 1000 * 2 ** Math.min(failures, 9)));
  return ms;
}

/**
 * A live subscription to the notification stream. Get one with {@link connect}.
 *
 * @example
 * const client = await connect({ url: 'http://127.0.0.1:8080', login: 'supervisor', password: 'demo' });
 * client.on('event', ({ cpt, event }) => {
 *   if (event.type_notification === 'queue' && event.event === 'insert_call') console.log(cpt, event.msg.id_queue);
 * });
 * client.on('state', (s) => console.log(s.state, s.cpt));
 */
export class VmClient extends TypedEmitter<ClientEvents> implements AsyncIterable<Update> {
  /**
   * The underlying socket.io-client socket (for diagnostics; the client owns it: do not
   * emit `init` on it).
   */
  readonly socket: StreamSocket;
  /** Counters of resumes, renewals and dropped duplicates. */
  readonly stats: ClientStats = { resumes: 0, renewals: 0, duplicates: 0 };

  private readonly opts: ConnectOptions;
  private readonly renewAt: number;
  private tokenValue: StreamToken | undefined;
  private directory: Directory | undefined;
  private lastCpt: number | undefined;
  private liveCpt: number | undefined;
  private stateValue: ClientState = 'connecting';
  private epoch = 0;
  private everLive = false;
  private needsAuth = false;
  private refusals = 0;
  /** Failed renewals or logins in a row (for the 429 backoff). */
  private authFailures = 0;
  private closed = false;
  private authing: Promise<void> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly pending: Update[] = [];
  private drainScheduled = false;
  private readonly consumers = new Set<Consumer>();
  private first: { resolve: () => void; reject: (e: unknown) => void } | undefined;

  /** Use {@link connect}, which also waits for the stream to be live. */
  constructor(opts: ConnectOptions) {
    super();
    if ('apiLogin' in opts && !('token' in opts) && opts.userType === 'agent' && opts.operatorId === undefined) {
      throw new VmClientError('INVALID_FIELD', 'operatorId is required when userType is "agent".');
    }
    this.opts = opts;
    this.renewAt = Math.min(0.99, Math.max(0.1, opts.renewAt ?? 0.9));
    if (opts.since !== undefined) this.lastCpt = Number(opts.since);
    const url = new URL(opts.url);
    const basePath = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    this.socket = io(url.origin, {
      path: opts.path ?? `${basePath}socket.io/`,
      autoConnect: false,
      forceNew: true,
      reconnection: true,
      reconnectionDelay: opts.reconnectionDelay ?? 500,
      reconnectionDelayMax: opts.reconnectionDelayMax ?? 5_000,
      transports: opts.transports ?? ['websocket', 'polling'],
      // Fall back to long-polling where WebSocket is blocked (a proxy), instead of retrying it forever.
      tryAllTransports: true,
    });
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('disconnect', (reason) => this.onDisconnect(reason));
    this.socket.on('update', (u) => this.onUpdate(u));
    this.socket.on('init_error', (e) => this.onRevoked(e));
    // The server says why it is about to cut the stream (SLOW_CONSUMER): the client
    // reconnects and resumes with `since` as after any disconnect; the error is reported.
    this.socket.on('stream_error', (e) => this.report(new VmClientError(String(e?.error ?? 'NETWORK'), String(e?.message ?? ''))));
  }

  /** The connection's state. */
  get state(): ClientState {
    return this.stateValue;
  }

  /** The last cpt received for the application (or the cpt the stream went live at): the next `since`. */
  get cpt(): number | undefined {
    return this.lastCpt;
  }

  /** The newest token (the one the next `init` will use). */
  get token(): StreamToken | undefined {
    return this.tokenValue;
  }

  /**
   * Logs in and opens the stream; resolves once the first `init` is acknowledged. Called by
   * {@link connect}; rejects (and closes) on bad credentials or a refused subscription.
   */
  async start(): Promise<this> {
    const live = new Promise<void>((resolve, reject) => (this.first = { resolve, reject }));
    try {
      await this.authenticate();
      if (this.closed) throw new VmClientError('CLOSED', 'The client was closed.');
      this.socket.connect();
      await live;
      return this;
    } catch (e) {
      this.first = undefined;
      this.close('start failed');
      throw e;
    }
  }

  /**
   * The current state with the cpt it reflects. Asks `GET /api/v1/realtime` (live state
   * and metrics) when the server has it and the token may read it; otherwise returns the
   * directory from the supervisor's login with the cpt the stream went live at.
   *
   * @example
   * const snap = await client.snapshot();
   * const names = new Map(snap.directory?.ops.map((o) => [o.id, o.nom]));
   * // Events with cpt > snap.cpt are the ones not yet reflected in it.
   */
  async snapshot(opts: { source?: 'auto' | 'realtime' | 'init' } = {}): Promise<Snapshot> {
    const source = opts.source ?? 'auto';
    const token = this.tokenValue;
    // Every token reads it (an agent token: its operator and its groups' queues).
    if (source !== 'init' && token) {
      try {
        const res = await fetch(endpoint(this.opts.url, 'api/v1/realtime'), { headers: { authorization: `Bearer ${token.idSession}` } });
        if (res.ok) {
          const realtime = (await res.json()) as RealtimeSnapshot;
          return { cpt: Number(realtime.cpt), source: 'realtime', realtime, ...(this.directory ? { directory: this.directory } : {}) };
        }
        if (source === 'realtime' || res.status !== 404) {
          const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
          if (source === 'realtime') throw new VmClientError(body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText, { status: res.status });
        }
      } catch (e) {
        if (source === 'realtime') throw e instanceof VmClientError ? e : new VmClientError('NETWORK', (e as Error).message, { cause: e });
      }
    }
    return { cpt: this.liveCpt ?? this.lastCpt ?? 0, source: 'init', ...(this.directory ? { directory: this.directory } : {}) };
  }

  /** Adds a listener; the first `event` listener also receives what arrived before it. */
  override on<K extends keyof ClientEvents>(name: K, listener: ClientEvents[K]): () => void {
    const off = super.on(name, listener);
    if (name === 'event') this.scheduleDrain();
    return off;
  }

  /**
   * An async iterator over the events from now on (the first consumer also gets what
   * arrived before it). It ends when the client closes, and throws the fatal error if
   * one closed it. Events queue up while the loop body runs: nothing is dropped.
   *
   * @example
   * for await (const { cpt, event } of client.events()) {
   *   if (event.type_notification === 'operator') console.log(cpt, event.msg.id_operator, event.msg.status);
   * }
   */
  events(): AsyncIterableIterator<Update> {
    const queue: Update[] = [];
    let head = 0;
    let done = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const consumer: Consumer = {
      push: (u) => {
        queue.push(u);
        wake?.();
      },
      end: (e) => {
        done = true;
        failure = e;
        wake?.();
      },
    };
    if (this.closed) done = true;
    else this.consumers.add(consumer);
    this.scheduleDrain();
    const iterator: AsyncIterableIterator<Update> = {
      next: async () => {
        for (;;) {
          if (head < queue.length) {
            const value = queue[head++]!;
            if (head > 1024 && head * 2 > queue.length) queue.splice(0, head), (head = 0);
            return { value, done: false };
          }
          if (done) {
            this.consumers.delete(consumer);
            if (failure !== undefined) {
              const e = failure;
              failure = undefined;
              throw e;
            }
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      return: async () => {
        done = true;
        queue.length = head = 0;
        this.consumers.delete(consumer);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * `for await (const update of client)`: same as {@link VmClient.events}.
   *
   * @example
   * for await (const u of client) console.log(u.cpt, u.event.type_notification, u.event.event);
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Update> {
    return this.events();
  }

  /**
   * Closes the stream for good: stops renewals and reconnections, ends the iterators.
   *
   * @example
   * process.on('SIGINT', () => client.close());
   */
  close(reason = 'closed by the application'): void {
    this.shutdown(reason);
  }

  // ---- connection ----

  private async authenticate(): Promise<void> {
    this.authing ??= (async () => {
      try {
        const o = this.opts;
        if ('token' in o) {
          // First the token given, as it is when its lifetime is known; after that (or when
          // it is refused) a refreshed one — which fails for good once it has expired.
          const given = o.token;
          if (!this.tokenValue && given.lifetimeMs !== undefined && given.receivedAt !== undefined) this.setToken({ idClient: 0, expire: '', ...given } as StreamToken);
          else this.setToken(await refreshToken(o.url, this.tokenValue ?? given));
          if (o.directory) this.directory ??= o.directory;
        } else if ('login' in o) {
          const s = await supervisorLogin(o.url, o.login, o.password);
          this.directory = s.directory;
          this.setToken(s.token);
        } else {
          const s = await apiToken(o.url, { login: o.apiLogin, password: o.apiPassword, userType: o.userType ?? 'api', ...(o.operatorId !== undefined ? { operatorId: o.operatorId } : {}) });
          this.setToken(s.token);
        }
        this.needsAuth = false;
      } finally {
        this.authing = undefined;
      }
    })();
    return this.authing;
  }

  private setToken(token: StreamToken): void {
    if (this.closed) return;
    if (this.tokenValue) this.stats.renewals++;
    this.tokenValue = token;
    this.authFailures = 0;
    this.emit('token', token);
    // From when the token was received: a kept token may already be half-way through its life.
    this.scheduleRenewal(token.receivedAt + token.lifetimeMs * this.renewAt - Date.now());
  }

  private scheduleRenewal(inMs: number): void {
    clearTimeout(this.renewTimer);
    if (this.closed) return;
    this.renewTimer = setTimeout(() => void this.renew(), Math.max(0, inMs));
  }

  /** Gets a fresh token; the socket stays as it is (the next init uses the new token). */
  private async renew(): Promise<void> {
    const token = this.tokenValue;
    if (this.closed || !token) return;
    try {
      const tokenOnly = 'token' in this.opts;
      if (token.userType === 'supervisor' || tokenOnly) {
        try {
          this.setToken(await refreshToken(this.opts.url, token));
        } catch (e) {
          const refused = e instanceof VmClientError && TOKEN_ERRORS.has(e.code);
          // Expired or forgotten: log in again — or, with no credentials, say so and stop trying.
          if (refused && !tokenOnly) await this.authenticate();
          else if (refused) return this.report(e);
          else throw e;
        }
      } else await this.authenticate();
    } catch (e) {
      this.report(e);
      const left = token.receivedAt + token.lifetimeMs - Date.now();
      this.scheduleRenewal(retryDelayMs(e, renewRetryMs(left), this.authFailures++));
    }
  }

  private onConnect(): void {
    const token = this.tokenValue;
    if (this.closed || !token) return;
    const epoch = ++this.epoch;
    const options: InitOptions = {};
    if (this.lastCpt !== undefined) options.since = this.lastCpt;
    if (this.opts.types) options.types = [...this.opts.types];
    const ackTimeout = this.opts.initTimeoutMs ?? 15_000;
    const onAck = (err: Error | null, ack?: InitAck) => {
      if (epoch !== this.epoch || this.closed) return;
      if (err || !ack) {
        this.report(new VmClientError('INIT_TIMEOUT', `init was not acknowledged within ${ackTimeout} ms; reconnecting.`));
        this.restart(false);
      } else if (ack.ok) this.onLive(ack.cpt, ack.id_client, options.since);
      else this.onRefused(new VmClientError(ack.error, ack.message));
    };
    // The typed `init` has optional trailing callbacks, which `timeout().emit` can't infer.
    (this.socket.timeout(ackTimeout) as unknown as { emit: (...args: unknown[]) => void }).emit(
      'init',
      token.userType,
      token.target,
      token.idSession,
      options,
      onAck,
    );
  }

  private onLive(cpt: number, idClient: number, since: number | undefined): void {
    this.refusals = 0;
    // A token given with no account (a supervisor token from a URL) learns it here.
    if (this.tokenValue && !this.tokenValue.idClient) this.tokenValue.idClient = idClient;
    if (this.lastCpt !== undefined && cpt < this.lastCpt) {
      this.report(new VmClientError('CPT_REWOUND', `The server's cpt (${cpt}) is behind the last one received (${this.lastCpt}): its event log was reset.`));
      this.lastCpt = cpt;
    } else this.lastCpt = Math.max(this.lastCpt ?? cpt, cpt);
    this.liveCpt ??= this.lastCpt;
    const resumed = this.everLive;
    if (resumed) this.stats.resumes++;
    this.everLive = true;
    this.setState({ state: 'live', cpt: this.lastCpt, resumed, ...(since !== undefined ? { since } : {}) });
    this.first?.resolve();
    this.first = undefined;
  }

  private onRefused(e: VmClientError): void {
    // A token refused at init (expired while we were away, or the server forgot it): get a
    // new one and try again, a few times; anything else is the application's to fix.
    if (TOKEN_ERRORS.has(e.code) && ++this.refusals <= 3) {
      this.report(e);
      this.needsAuth = true;
      this.restart(true);
    } else this.fail(e);
  }

  /**
   * A live stream whose token the server revoked (a logout, a changed password, a removed
   * user) gets `init_error` TOKEN_REVOKED and is disconnected: log in again before the
   * reconnection — which fails for good (an `error` with `fatal`) if the password changed.
   */
  private onRevoked(e: { error?: unknown; message?: unknown } | undefined): void {
    if (this.closed || this.stateValue !== 'live' || e?.error !== 'TOKEN_REVOKED') return;
    this.report(new VmClientError('TOKEN_REVOKED', typeof e.message === 'string' ? e.message : 'The token was revoked.'));
    this.needsAuth = true;
  }

  private onDisconnect(reason: string): void {
    if (this.closed) return;
    this.epoch++;
    if (this.stateValue !== 'reconnecting') this.setState({ state: 'reconnecting', cpt: this.lastCpt, reason });
    // Socket.IO reconnects by itself except after a disconnect the server asked for.
    if (reason === 'io server disconnect') this.scheduleReconnect();
  }

  /** Drops the connection and reconnects (with a new token first when `needsAuth`). */
  private restart(auth: boolean): void {
    if (auth) this.needsAuth = true;
    this.socket.disconnect();
    this.scheduleReconnect();
  }

  private scheduleReconnect(delay = this.opts.reconnectionDelay ?? 500): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      if (this.closed || this.socket.connected) return;
      if (this.needsAuth) {
        try {
          await this.authenticate();
        } catch (e) {
          if (!isTransient(e)) return this.fail(e);
          this.report(e);
          // A throttled login waits as long as the server says (Retry-After), however short
          // reconnectionDelayMax is.
          return this.scheduleReconnect(retryDelayMs(e, Math.min(delay * 2, this.opts.reconnectionDelayMax ?? 5_000), this.authFailures++));
        }
      }
      if (!this.closed && !this.socket.connected && !this.socket.active) this.socket.connect();
    }, delay);
  }

  // ---- delivery ----

  private onUpdate(raw: unknown): void {
    if (this.closed) return;
    const u = normalizeUpdate(raw);
    if (!u) {
      this.report(new VmClientError('BAD_UPDATE', `Skipped an update without a usable cpt or event: ${JSON.stringify(raw).slice(0, 200)}`));
      return;
    }
    if (this.lastCpt !== undefined && u.cpt <= this.lastCpt) {
      this.stats.duplicates++;
      return;
    }
    this.lastCpt = u.cpt;
    this.pending.push(u);
    this.scheduleDrain();
  }

  private hasConsumer(): boolean {
    return this.consumers.size > 0 || this.listenerCount('event') > 0;
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.pending.length === 0 || !this.hasConsumer()) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      while (this.pending.length > 0 && this.hasConsumer()) {
        const u = this.pending.shift()!;
        this.emit('event', u);
        for (const c of this.consumers) c.push(u);
      }
    });
  }

  // ---- state and errors ----

  private setState(change: StateChange): void {
    this.stateValue = change.state;
    this.emit('state', change);
  }

  private report(e: unknown): void {
    const err = e instanceof VmClientError ? e : new VmClientError('NETWORK', (e as Error)?.message ?? String(e), { cause: e });
    this.emit('error', err);
  }

  private fail(e: unknown): void {
    const err = e instanceof VmClientError ? e : new VmClientError('NETWORK', (e as Error)?.message ?? String(e), { cause: e });
    err.fatal = true;
    if (this.first) {
      // connect() is still waiting: it rejects with the error.
      this.first.reject(err);
      this.first = undefined;
      return;
    }
    this.emit('error', err);
    this.shutdown(err.message, err);
  }

  private shutdown(reason: string, error?: VmClientError): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
    this.first?.reject(error ?? new VmClientError('CLOSED', 'The client was closed.'));
    this.first = undefined;
    this.setState({ state: 'closed', cpt: this.lastCpt, reason });
    // Events already received still reach the iterators before they end.
    for (const u of this.hasConsumer() ? this.pending.splice(0) : []) {
      this.emit('event', u);
      for (const c of this.consumers) c.push(u);
    }
    for (const c of [...this.consumers]) c.end(error);
    this.consumers.clear();
  }
}

/**
 * Connects to the notification stream and resolves once it is live. Supervisors log in
 * with `login`/`password` (`POST /ws/`); API users with `apiLogin`/`apiPassword` for an
 * `api` (whole account) or `agent` (one operator) token (`POST /vm/token`); or pass a
 * `token` obtained elsewhere.
 *
 * The client then renews its token at 90 % of its life, reconnects after any disconnect
 * or server restart and resumes with `since`, so each event reaches the application
 * exactly once, in cpt order. Rejects with a {@link VmClientError} (e.g. `BAD_CREDENTIALS`).
 *
 * @example
 * import { connect } from '@voice-management/client';
 *
 * const client = await connect({ url: 'http://127.0.0.1:8080', login: 'supervisor', password: 'demo' });
 * for await (const { cpt, event } of client) console.log(cpt, event.type_notification, event.event, event.msg);
 *
 * @example
 * // An agent's own events, with an API user's credentials, resuming after cpt 1200:
 * const agent = await connect({ url, apiLogin: 'api', apiPassword: 'demo-api', userType: 'agent', operatorId: 8, since: 1200 });
 * agent.on('event', (u) => render(u));
 *
 * @example
 * // A token given to a page (no credentials): renewed with refresh_token while it lives.
 * const page = await connect({ url, token: { userType: 'api', target: 3, idSession: params.get('id_session')! } });
 */
export async function connect(opts: ConnectOptions): Promise<VmClient> {
  return new VmClient(opts).start();
}
