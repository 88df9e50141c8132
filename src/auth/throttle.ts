// Failed-login throttling per (login, source) and per source. Each key locks after too
// many failures and each new lockout of the same key lasts twice the previous one, so a
// guesser slows down geometrically while the real user, coming from another address,
// is never refused. A locked key is refused with 429 and Retry-After before any password
// is hashed.
import type { Clock } from '../clock.ts';
import { sourceOf } from './addresses.ts';

export { sourceOf } from './addresses.ts';

export interface ThrottleOptions {
  /** Failures allowed per login from one source before that pair is locked. @default 10 */
  perLogin?: number;
  /** Failures allowed per source (every login together) before the source is locked. @default 50 */
  perIp?: number;
  /** Failures are counted over this window; it is also the first lockout. @default 900000 (15 min) */
  windowMs?: number;
  /** The longest lockout (each lockout of a key doubles the previous one up to this). @default 86400000 (24 h) */
  maxLockMs?: number;
  /** Keys remembered at most (least recently failed dropped first). @default 100000 */
  maxKeys?: number;
}

interface Entry {
  /** Failures in the current window. */
  failures: number;
  /** Attempts whose verdict is not known yet (the password is being hashed). */
  pending: number;
  windowEnd: number;
  lockedUntil: number;
  /** Lockouts so far: the next one lasts windowMs × 2^strikes. */
  strikes: number;
  /** When an idle entry is forgotten (strikes included). */
  forgetAt: number;
}

/** One attempt under way: tell the throttle how it went. */
export interface Attempt {
  succeeded(): void;
  failed(): void;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly perLogin: number;
  private readonly perIp: number;
  private readonly windowMs: number;
  private readonly maxLockMs: number;
  private readonly maxKeys: number;

  constructor(
    private readonly clock: Clock,
    opts: ThrottleOptions = {},
  ) {
    this.perLogin = opts.perLogin ?? 10;
    this.perIp = opts.perIp ?? 50;
    this.windowMs = opts.windowMs ?? 15 * 60_000;
    this.maxLockMs = Math.max(this.windowMs, opts.maxLockMs ?? 24 * 3600_000);
    this.maxKeys = opts.maxKeys ?? 100_000;
  }

  private keys(login: string, ip: string): [string, number][] {
    const source = sourceOf(ip);
    return [
      [`l:${source}\u0000${login}`, this.perLogin],
      [`s:${source}`, this.perIp],
    ];
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.pending === 0 && e.forgetAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    if (e.windowEnd <= now) e.failures = 0;
    return e;
  }

  private entry(key: string, now: number): Entry {
    let e = this.live(key, now);
    if (e) {
      // Most recently used last: the oldest keys are the ones dropped when full.
      this.entries.delete(key);
    } else {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
      e = { failures: 0, pending: 0, windowEnd: 0, lockedUntil: 0, strikes: 0, forgetAt: 0 };
    }
    this.entries.set(key, e);
    return e;
  }

  /**
   * Seconds to wait before (login, source) may try again, else 0. Attempts still being
   * checked count against the limit, so a burst of concurrent guesses gets no more
   * verdicts than the limit allows.
   */
  blockedFor(login: string, ip: string): number {
    const now = this.clock.now();
    let wait = 0;
    for (const [key, limit] of this.keys(login, ip)) {
      const e = this.live(key, now);
      if (!e) continue;
      if (e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
      else if (e.failures + e.pending >= limit) wait = Math.max(wait, 1000);
    }
    return Math.ceil(wait / 1000);
  }

  /** Reserves an attempt; call `blockedFor` first. */
  begin(login: string, ip: string): Attempt {
    const now = this.clock.now();
    const entries = this.keys(login, ip).map(([key, limit]) => ({ key, limit, e: this.entry(key, now) }));
    for (const { e } of entries) e.pending++;
    let settled = false;
    return {
      succeeded: () => {
        if (settled) return;
        settled = true;
        for (const { e } of entries) e.pending--;
        // The right password from this source: the pair starts afresh. The source keeps
        // its record (one valid account must not launder a guessing source).
        this.entries.delete(entries[0]!.key);
      },
      failed: () => {
        if (settled) return;
        settled = true;
        const at = this.clock.now();
        for (const { key, limit } of entries) {
          const e = this.entry(key, at);
          e.pending = Math.max(0, e.pending - 1);
          if (e.windowEnd <= at) e.windowEnd = at + this.windowMs;
          e.failures++;
          if (e.failures >= limit) {
            const lock = Math.min(this.maxLockMs, this.windowMs * 2 ** Math.min(e.strikes, 40));
            e.strikes++;
            e.lockedUntil = at + lock;
            e.failures = 0;
            e.windowEnd = e.lockedUntil;
          }
          e.forgetAt = Math.max(e.forgetAt, e.windowEnd, e.lockedUntil ? e.lockedUntil + this.maxLockMs : 0);
        }
      },
    };
  }
}
