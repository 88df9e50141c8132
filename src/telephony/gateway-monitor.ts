// Keep-alive of the outbound gateway (`--sip-gateway`): an OPTIONS every `intervalMs`. A
// gateway that answers nothing `downAfter` times in a row is down (logged once): legs to
// e164 numbers then fail at once as unreachable, so the engine moves on (next operator, end
// of a trunk leg) instead of waiting for an INVITE transaction to time out. Any final
// answer (200, or a 404/405 of a gateway that does not do OPTIONS: it is alive) brings it
// back up (logged once). One probe at a time, each bounded by `timeoutMs`.

export type GatewayState = 'unknown' | 'up' | 'down';

export interface GatewayHealth {
  /** `unknown` until the first answer (or the first `downAfter` misses). */
  state: GatewayState;
  /** Probes in a row without an answer. */
  misses: number;
  /** Status of the last answer, and when it came (ms since the epoch). */
  lastStatus?: number;
  lastAnswerAt?: number;
}

export interface GatewayMonitorOptions {
  /** `sip:HOST:PORT` of the gateway. */
  gateway: string;
  /** Sends one OPTIONS: its final status, undefined without one in `timeoutMs` (SipEndpoint.options). */
  options(target: string, timeoutMs: number): Promise<number | undefined>;
  /** @default 30_000 */
  intervalMs?: number;
  /** How long a probe waits for its answer (at most the interval, at most 30 s). @default 5_000 */
  timeoutMs?: number;
  /** Probes in a row without an answer that mark the gateway down. @default 3 */
  downAfter?: number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  now?: () => number;
}

export const DEFAULT_GATEWAY_PING_MS = 30_000;

export class GatewayMonitor {
  private state: GatewayState = 'unknown';
  private misses = 0;
  private lastStatus: number | undefined;
  private lastAnswerAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly downAfter: number;

  constructor(private readonly opts: GatewayMonitorOptions) {
    this.intervalMs = Math.max(100, opts.intervalMs ?? DEFAULT_GATEWAY_PING_MS);
    this.timeoutMs = Math.max(50, Math.min(opts.timeoutMs ?? 5_000, this.intervalMs, 30_000));
    this.downAfter = Math.max(1, opts.downAfter ?? 3);
  }

  /** Probes now, then every interval (after the previous probe ended: never two at once). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.tick();
  }

  /** No more probes (one on its way ends by its own bound; its answer changes nothing). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Legs to the gateway fail at once while this is true. */
  get down(): boolean {
    return this.state === 'down';
  }

  health(): GatewayHealth {
    return {
      state: this.state,
      misses: this.misses,
      ...(this.lastStatus !== undefined ? { lastStatus: this.lastStatus } : {}),
      ...(this.lastAnswerAt !== undefined ? { lastAnswerAt: this.lastAnswerAt } : {}),
    };
  }

  private tick(): void {
    if (this.stopped) return;
    void this.probe().finally(() => {
      if (this.stopped) return;
      this.timer = setTimeout(() => this.tick(), this.intervalMs);
      this.timer.unref();
    });
  }

  /** One probe and what its answer (or its silence) says. */
  async probe(): Promise<void> {
    let status: number | undefined;
    try {
      status = await this.opts.options(this.opts.gateway, this.timeoutMs);
    } catch {
      status = undefined;
    }
    if (this.stopped) return;
    if (status !== undefined) {
      this.lastStatus = status;
      this.lastAnswerAt = (this.opts.now ?? Date.now)();
      this.misses = 0;
      if (this.state === 'down') this.opts.log?.info({ gateway: this.opts.gateway, status }, 'SIP gateway answers again: legs to phone numbers go to it');
      this.state = 'up';
      return;
    }
    this.misses++;
    if (this.misses >= this.downAfter && this.state !== 'down') {
      this.state = 'down';
      this.opts.log?.warn({ gateway: this.opts.gateway, misses: this.misses }, `SIP gateway down: no answer to ${this.misses} OPTIONS in a row; legs to phone numbers fail at once until it answers`);
    }
  }
}
