// A live feed opened with a token the wallboard was given (URL `?id_session=…&target=…`, or
// the token kept from an earlier login in this tab), since the SDK's connect() takes only
// credentials. Same contract as the SDK: init with `since` after every reconnect, drop any
// cpt already delivered, renew a supervisor token before it expires.
import { io, type Socket } from 'socket.io-client';
import { refreshSupervisorToken, VmClientError, type Directory, type InitAck, type RealtimeSnapshot, type StreamToken, type Update } from '@voice-management/client';
import { fetchRealtime } from './api.ts';
import { WALLBOARD_TYPES, type LinkState, type LiveSource } from './source.ts';

type Listener<A extends unknown[]> = (...args: A) => void;

export class TokenSource implements LiveSource {
  private current: StreamToken;
  private readonly socket: Socket;
  private lastCpt: number | undefined;
  private everLive = false;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = { event: [] as Listener<[Update]>[], state: [] as Listener<[LinkState, { resumed?: boolean; reason?: string }]>[], token: [] as Listener<[StreamToken]>[] };

  /** Opens the stream; resolves once `init` is acknowledged, rejects if the token is refused. */
  static async open(base: string, token: StreamToken, directory: Directory | undefined): Promise<TokenSource> {
    const src = new TokenSource(base, token, directory);
    // A supervisor token is renewed at once: that checks it and tells how long it lives.
    if (token.userType === 'supervisor') await src.renew(true);
    await src.start();
    return src;
  }

  private constructor(
    private readonly base: string,
    token: StreamToken,
    readonly directory: Directory | undefined,
  ) {
    this.current = token;
    const url = new URL(base);
    this.socket = io(url.origin, { path: `${url.pathname.replace(/\/?$/, '/')}socket.io/`, autoConnect: false, transports: ['websocket', 'polling'], reconnectionDelayMax: 5000 });
  }

  private start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let first = true;
      this.socket.on('connect', () => {
        const opts = { types: [...WALLBOARD_TYPES], ...(this.lastCpt !== undefined ? { since: this.lastCpt } : {}) };
        const t = this.current;
        this.socket.emit('init', t.userType, t.target, t.idSession, opts, (ack: InitAck) => {
          if (!ack.ok) {
            const err = new VmClientError(ack.error, ack.message);
            if (first) reject(err);
            this.close(ack.message);
            return;
          }
          this.lastCpt = Math.max(this.lastCpt ?? ack.cpt, ack.cpt);
          const resumed = this.everLive;
          this.everLive = true;
          this.emitState('live', { resumed });
          if (first) resolve();
          first = false;
        });
      });
      this.socket.on('disconnect', (reason) => {
        this.emitState('reconnecting', { reason });
        if (reason === 'io server disconnect') setTimeout(() => this.socket.connect(), 1000);
      });
      this.socket.on('connect_error', (e) => {
        if (first) {
          first = false;
          reject(new VmClientError('NETWORK', e.message));
          this.close(e.message);
        }
      });
      this.socket.on('update', (u: Update) => {
        if (this.lastCpt !== undefined && u.cpt <= this.lastCpt) return;
        this.lastCpt = u.cpt;
        for (const fn of this.listeners.event) fn(u);
      });
      this.socket.connect();
    });
  }

  private async renew(first = false): Promise<void> {
    clearTimeout(this.renewTimer);
    try {
      this.current = await refreshSupervisorToken(this.base, this.current);
      for (const fn of this.listeners.token) fn(this.current);
      this.renewTimer = setTimeout(() => void this.renew(), Math.max(10_000, this.current.lifetimeMs * 0.9));
    } catch (e) {
      if (first) throw e;
      // Try again in a minute while the old token still lives.
      this.renewTimer = setTimeout(() => void this.renew(), 60_000);
    }
  }

  private emitState(state: LinkState, detail: { resumed?: boolean; reason?: string }) {
    for (const fn of this.listeners.state) fn(state, detail);
  }

  token(): StreamToken {
    return this.current;
  }

  snapshot(): Promise<RealtimeSnapshot> {
    return fetchRealtime(this.base, this.current.idSession);
  }

  onEvent(fn: (u: Update) => void): void {
    this.listeners.event.push(fn);
  }

  onState(fn: (state: LinkState, detail: { resumed?: boolean; reason?: string }) => void): void {
    this.listeners.state.push(fn);
  }

  onToken(fn: (token: StreamToken) => void): void {
    this.listeners.token.push(fn);
  }

  close(reason = 'closed'): void {
    clearTimeout(this.renewTimer);
    this.socket.disconnect();
    this.emitState('closed', { reason });
  }
}
