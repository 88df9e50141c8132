// The login throttle's rules under any sequence of attempts (fast-check, injected clock):
// an address that never failed is never refused; each lockout of a pair is twice as long
// as the one before (up to the cap, until it is forgotten); a source locks after perIp failures;
// concurrent attempts count as they start.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock } from '../src/clock.ts';
import { LoginThrottle, sourceOf, type Attempt } from '../src/auth/throttle.ts';

const PER_LOGIN = 3;
const PER_IP = 7;
const WINDOW = 60_000;
const MAX_LOCK = 16 * WINDOW;

const step = fc.record({
  source: fc.constantFrom('10.0.0.1', '10.0.0.2', '2001:db8::1', '2001:db8:0:0:ffff::2'),
  login: fc.constantFrom('sup:a', 'sup:b', 'api:c'),
  right: fc.boolean(),
  // How many attempts start before the first verdict comes (a burst).
  burst: fc.integer({ min: 1, max: 4 }),
  advance: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * WINDOW })),
});

describe('LoginThrottle', () => {
  it('never refuses an address that never failed, and locks each pair twice as long as last time (up to the cap)', () => {
    let lockouts = 0;
    let repeated = 0;
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const clock = new ManualClock();
        // perIp out of reach: the pairs' own lockouts are what is watched here.
        const t = new LoginThrottle(clock, { perLogin: PER_LOGIN, perIp: 1_000_000, windowMs: WINDOW, maxLockMs: MAX_LOCK });
        const locks = new Map<string, { until: number; ms: number }>();
        for (const s of steps) {
          clock.advance(s.advance);
          const pair = `${sourceOf(s.source)} ${s.login}`;
          const before = t.blockedFor(s.login, s.source);
          const started: Attempt[] = [];
          for (let i = 0; i < s.burst && t.blockedFor(s.login, s.source) === 0; i++) started.push(t.begin(s.login, s.source));
          // Attempts under way count: never more of them than the limit.
          expect(started.length).toBeLessThanOrEqual(PER_LOGIN);
          for (const a of started) (s.right ? a.succeeded() : a.failed());
          if (s.right && started.length > 0) locks.delete(pair);
          const after = t.blockedFor(s.login, s.source) * 1000;
          if (before === 0 && after > 1000) {
            // A new lockout: at least the window, at most the cap.
            expect(after).toBeGreaterThanOrEqual(WINDOW);
            expect(after).toBeLessThanOrEqual(MAX_LOCK);
            const prev = locks.get(pair);
            lockouts++;
            if (prev && clock.now() < prev.until + MAX_LOCK) {
              repeated++;
              // Twice the last one, up to the cap.
              expect(after).toBe(Math.min(2 * prev.ms, MAX_LOCK));
            }
            locks.set(pair, { until: clock.now() + after, ms: after });
          }
          // An address that never tried is never refused, for any login.
          for (const login of ['sup:a', 'sup:b', 'api:c', 'admin']) expect(t.blockedFor(login, '192.0.2.77')).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
    // The runs did lock pairs, again and again.
    expect(lockouts).toBeGreaterThan(0);
    expect(repeated).toBeGreaterThan(0);
  });

  it('locks a source after perIp failures over any logins, and no other source', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), { minLength: PER_IP, maxLength: 3 * PER_IP }), (logins) => {
        const t = new LoginThrottle(new ManualClock(), { perLogin: 1_000, perIp: PER_IP, windowMs: WINDOW });
        let verdicts = 0;
        for (const login of logins) {
          if (t.blockedFor(login, '10.0.0.1') > 0) continue;
          t.begin(login, '10.0.0.1').failed();
          verdicts++;
        }
        expect(verdicts).toBe(PER_IP);
        expect(t.blockedFor('anyone', '10.0.0.1')).toBe(WINDOW / 1000);
        expect(t.blockedFor('a', '10.0.0.2')).toBe(0);
      }),
    );
  });

  it('lets a burst of concurrent attempts reach no more verdicts than the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), (burst) => {
        const t = new LoginThrottle(new ManualClock(), { perLogin: PER_LOGIN, perIp: PER_IP });
        const started: Attempt[] = [];
        for (let i = 0; i < burst; i++) if (t.blockedFor('sup:a', '10.0.0.1') === 0) started.push(t.begin('sup:a', '10.0.0.1'));
        expect(started.length).toBe(Math.min(burst, PER_LOGIN));
        started.forEach((a) => a.failed());
        expect(t.blockedFor('sup:a', '10.0.0.1')).toBe(burst >= PER_LOGIN ? 900 : 0);
      }),
    );
  });

  it('counts an IPv6 /64 as one source', () => {
    expect(sourceOf('2001:db8::1')).toBe(sourceOf('2001:db8:0:0:ffff::2'));
    expect(sourceOf('2001:db8:0:1::1')).not.toBe(sourceOf('2001:db8::1'));
    expect(sourceOf('127.0.0.1')).toBe('127.0.0.1');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 client, not as one /64 shared by every IPv4 client', () => {
    expect(sourceOf('::ffff:203.0.113.5')).toBe('203.0.113.5');
    expect(sourceOf('::ffff:203.0.113.5')).not.toBe(sourceOf('::ffff:198.51.100.7'));
  });
});
