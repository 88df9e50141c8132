// Server side of HTTP digest (RFC 2617 / 3261 §22) for REGISTER and INVITE: self-validating
// nonces (HMAC of their issue time, so nothing is stored per challenge) that expire, and a
// constant-time comparison of the response. MD5 with qop=auth or no qop, as SIP phones do.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SipAuthHeader } from 'sip';

export type DigestResult =
  | { ok: true; user: string }
  | { ok: false; why: 'stale' | 'malformed' | 'unknown-user' | 'wrong-password' };

export interface DigestServer {
  /** A challenge for WWW-Authenticate (401) or Proxy-Authenticate (407). */
  challenge(stale?: boolean): SipAuthHeader;
  /** Checks one Authorization value against `users`. */
  verify(h: SipAuthHeader | undefined, method: string, users: (u: string) => SipCredentials | undefined): DigestResult;
}

export const md5 = (...parts: string[]): string => createHash('md5').update(parts.join(':')).digest('hex');

/** A header parameter without its quotes and backslash escapes. */
export function unquote(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/** Constant-time equality of two strings (false when lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The expected digest response for the parameters (exported for tests and for the client side). */
export function digestResponse(p: { user: string; realm: string; password: string; method: string; uri: string; nonce: string; qop?: string; nc?: string; cnonce?: string } | { ha1: string; method: string; uri: string; nonce: string; qop?: string; nc?: string; cnonce?: string }): string {
  const ha1 = 'ha1' in p ? p.ha1 : md5(p.user, p.realm, p.password);
  const ha2 = md5(p.method, p.uri);
  return p.qop ? md5(ha1, p.nonce, p.nc ?? '', p.cnonce ?? '', p.qop, ha2) : md5(ha1, p.nonce, ha2);
}

/**
 * What the server knows of a SIP user: the password, or only its digest HA1
 * (MD5(username:realm:password)), which is what a store should keep.
 */
export type SipCredentials = { password: string } | { ha1: string };

export function createDigestServer(realm: string, nonceTtlMs = 300_000, now: () => number = Date.now): DigestServer {
  const secret = randomBytes(32);
  const sign = (ts: string) => createHmac('sha256', secret).update(ts).digest('hex').slice(0, 32);
  const nonce = () => {
    const ts = now().toString(36);
    return `${ts}.${sign(ts)}`;
  };
  /** 'ok', 'stale' (ours but old) or 'bad' (not ours). */
  const checkNonce = (n: string): 'ok' | 'stale' | 'bad' => {
    const dot = n.indexOf('.');
    if (dot <= 0 || n.length > 64) return 'bad';
    const ts = n.slice(0, dot);
    if (!safeEqual(n.slice(dot + 1), sign(ts))) return 'bad';
    const age = now() - parseInt(ts, 36);
    return age >= 0 && age <= nonceTtlMs ? 'ok' : 'stale';
  };
  return {
    challenge(stale) {
      const h: SipAuthHeader = { scheme: 'Digest', realm: `"${realm}"`, nonce: `"${nonce()}"`, algorithm: 'MD5', qop: '"auth"' };
      if (stale) h.stale = 'TRUE';
      return h;
    },
    verify(h, method, users) {
      if (!h || (h.scheme ?? '').toLowerCase() !== 'digest') return { ok: false, why: 'malformed' };
      const user = unquote(h.username);
      const uri = unquote(h.uri);
      const n = unquote(h.nonce);
      const response = unquote(h.response)?.toLowerCase();
      const qop = unquote(h.qop)?.toLowerCase();
      const algorithm = unquote(h.algorithm)?.toLowerCase();
      if (!user || user.length > 256 || !uri || !n || !response || unquote(h.realm) !== realm) return { ok: false, why: 'malformed' };
      if (algorithm !== undefined && algorithm !== 'md5') return { ok: false, why: 'malformed' };
      if (qop !== undefined && qop !== 'auth') return { ok: false, why: 'malformed' };
      const nc = unquote(h.nc);
      const cnonce = unquote(h.cnonce);
      if (qop && (!nc || !cnonce)) return { ok: false, why: 'malformed' };
      const fresh = checkNonce(n);
      if (fresh === 'bad') return { ok: false, why: 'malformed' };
      if (fresh === 'stale') return { ok: false, why: 'stale' };
      const account = users(user);
      // Compute anyway for an unknown user, so both refusals cost the same.
      const expected =
        account && 'ha1' in account
          ? digestResponse({ ha1: account.ha1, method, uri, nonce: n, qop, nc, cnonce })
          : digestResponse({ user, realm, password: account?.password ?? '', method, uri, nonce: n, qop, nc, cnonce });
      const match = safeEqual(expected, response);
      if (!account) return { ok: false, why: 'unknown-user' };
      return match ? { ok: true, user } : { ok: false, why: 'wrong-password' };
    },
  };
}
