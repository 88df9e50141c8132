// Failed-login throttling per login and per IP: after too many failures in a window the
// key is refused with 429 and Retry-After, before any password is hashed.
import type { Clock } from '../clock.ts';

export interface ThrottleOptions {
  /** Failures allowed per login within the window. @default 10 */
  perLogin?: number;
  /** Failures allowed per IP within the window. @default 50 */
  perIp?: number;
  /** Window length in ms. @default 900000 (15 min) */
  windowMs?: number;
  /** Keys remembered at most (oldest dropped first). @default 100000 */
  maxKeys?: number;
}

interface Entry {
  count: number;
  resetAt: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly perLogin: number;
  private readonly perIp: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(
    private readonly clock: Clock,
    opts: ThrottleOptions = {},
  ) {
    this.perLogin = opts.perLogin ?? 10;
    this.perIp = opts.perIp ?? 50;
    this.windowMs = opts.windowMs ?? 15 * 60_000;
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.resetAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Seconds to wait if the login or IP is blocked, else 0. */
  blockedFor(login: string, ip: string): number {
    const now = this.clock.now();
    let wait = 0;
    const l = this.live(`l:${login}`);
    if (l && l.count >= this.perLogin) wait = Math.max(wait, l.resetAt - now);
    const i = this.live(`i:${ip}`);
    if (i && i.count >= this.perIp) wait = Math.max(wait, i.resetAt - now);
    return Math.ceil(wait / 1000);
  }

  recordFailure(login: string, ip: string): void {
    for (const key of [`l:${login}`, `i:${ip}`]) {
      const e = this.live(key);
      if (e) e.count++;
      else {
        if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(key, { count: 1, resetAt: this.clock.now() + this.windowMs });
      }
    }
  }

  /**
   * A login that turned out right: forgets the login's failures and gives back the IP's
   * attempt (AuthService counts every attempt as a failure before the slow hash).
   */
  recordSuccess(login: string, ip: string): void {
    this.entries.delete(`l:${login}`);
    const i = this.live(`i:${ip}`);
    if (i && i.count > 0) i.count--;
  }
}
