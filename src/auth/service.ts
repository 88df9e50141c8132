// Authentication: supervisor, operator and API logins, 2-hour IP-bound session tokens,
// refresh with overlap, `keep` tokens whose expiry slides while they are used. Tokens are
// random 256-bit strings; only their sha256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { DirectoryStore, TokenIssuer, TokenKind, TokenRecord, TokenStore } from '../store/types.ts';
import { roleOfToken, type Principal } from './principal.ts';
import { groupScope, operatorScope, seesOperator } from './scope.ts';
import { vmError } from '../errors/registry.ts';
import { safeEqual, verifyPassword } from './passwords.ts';
import { LoginThrottle, type Attempt, type ThrottleOptions } from './throttle.ts';
import { normalizeIp } from './addresses.ts';

export { normalizeIp } from './addresses.ts';

/** Token lifetime: two hours (guide §3.1). */
export const TOKEN_TTL_MS = 2 * 60 * 60 * 1000;

/**
 * A `keep` token (`POST /vm/token` with `"keep": 1`, an operator's sign-in) lives while it is
 * used: each use (a request, a stream init, and every KEEP_TICK_MS while a socket opened
 * with it stays open) moves its expiry to a full lifetime later, up to this long after it
 * was issued. Unused, it expires like any token.
 */
export const KEEP_MAX_MS = 24 * 60 * 60 * 1000;

export interface IssuedToken {
  token: string;
  record: TokenRecord;
}

export interface AuthOptions {
  clock: Clock;
  directory: DirectoryStore;
  tokens: TokenStore;
  throttle?: ThrottleOptions;
  /** @default 7200000 (2 h) */
  tokenTtlMs?: number;
}

/** What a token remembers of its user's password: a digest of the stored hash. */
export function credentialFingerprint(passwordHash: string): string {
  return createHash('sha256').update(`cred\u0000${passwordHash}`).digest('hex');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}


export class AuthService {
  readonly throttle: LoginThrottle;
  private readonly adminThrottle: LoginThrottle;
  private readonly ttl: number;

  constructor(private readonly opts: AuthOptions) {
    this.throttle = new LoginThrottle(opts.clock, opts.throttle);
    this.adminThrottle = new LoginThrottle(opts.clock, opts.throttle);
    this.ttl = opts.tokenTtlMs ?? TOKEN_TTL_MS;
  }

  private async issue(
    kind: TokenKind,
    accountId: number,
    subject: number,
    ip: string,
    user: { login: string; cred: string; issuer: TokenIssuer | '' },
    keep = false,
  ): Promise<IssuedToken> {
    const token = randomBytes(32).toString('base64url');
    const { login, cred, issuer } = user;
    const now = this.opts.clock.now();
    const record: TokenRecord = {
      hash: hashToken(token),
      kind,
      accountId,
      subject,
      ip: normalizeIp(ip),
      expiresAt: now + this.ttl,
      login,
      cred,
      revoked: false,
      issuer,
      keepUntil: keep ? now + KEEP_MAX_MS : 0,
    };
    await this.opts.tokens.save(record);
    return { token, record };
  }

  private async checkPassword(login: string, password: string, hash: string | undefined, ip: string): Promise<void> {
    const attempt = this.attempt(login, ip);
    if (!(await verifyPassword(password, hash))) {
      attempt.failed();
      throw vmError('BAD_CREDENTIALS');
    }
    attempt.succeeded();
  }

  /**
   * Refuses (429) while (login, source) or the source is locked, else reserves an attempt:
   * the reservation counts against the limit until its verdict, so a burst of concurrent
   * guesses all passing this check at once gets no more verdicts than the limit.
   */
  private attempt(login: string, ip: string, throttle = this.throttle): Attempt {
    const source = normalizeIp(ip);
    const wait = throttle.blockedFor(login, source);
    if (wait > 0) throw vmError('TOO_MANY_ATTEMPTS', `Too many failed attempts from your address; retry in ${wait} s.`, { retryAfter: wait });
    return throttle.begin(login, source);
  }

  /**
   * Whether `presented` is the admin bearer token. Wrong tokens are counted per source
   * like wrong passwords (429 once it is locked, even for the right token), on their own
   * counters: failed logins from an address do not stop its telephony system publishing.
   */
  checkAdminToken(presented: string, adminToken: string, ip: string): boolean {
    const attempt = this.attempt('admin', ip, this.adminThrottle);
    if (safeEqual(presented, adminToken)) {
      attempt.succeeded();
      return true;
    }
    attempt.failed();
    return false;
  }

  /** `POST /ws/` init: a supervisor's login. */
  async loginSupervisor(login: string, password: string, ip: string) {
    const sup = await this.opts.directory.findSupervisor(login);
    await this.checkPassword(`sup:${login}`, password, sup?.passwordHash, ip);
    const issued = await this.issue('supervisor', sup!.accountId, sup!.id, ip, { login: sup!.login, cred: credentialFingerprint(sup!.passwordHash), issuer: 'supervisor' });
    return { ...issued, supervisorId: sup!.id };
  }

  /** `POST /ws/` init with account_type "operator": an operator's own sign-in (a keep token). */
  async loginOperator(login: string, password: string, ip: string) {
    const op = await this.opts.directory.findOperatorLogin(login);
    await this.checkPassword(`op:${login}`, password, op?.passwordHash, ip);
    return this.issue('operator', op!.accountId, op!.operatorId, ip, { login: op!.login, cred: credentialFingerprint(op!.passwordHash), issuer: 'operator' }, true);
  }

  /** `POST /vm/token`: an API user's login, for an api or agent token. */
  async loginApi(login: string, password: string, ip: string, userType: 'api' | 'agent', operatorId?: number, keep = false) {
    const user = await this.opts.directory.findApiUser(login);
    await this.checkPassword(`api:${login}`, password, user?.passwordHash, ip);
    const accountId = user!.accountId;
    const by = { login: user!.login, cred: credentialFingerprint(user!.passwordHash), issuer: 'api' as const };
    if (userType === 'agent') return this.agentToken(accountId, undefined, operatorId, ip, by, keep);
    return this.issue('api', accountId, 0, ip, by, keep);
  }

  /**
   * `POST /vm/token` with a supervisor's or API user's bearer token (a CRM embedding the
   * toolbar): an agent token for one operator of its account (and scope), issued under the
   * same user, so revoking that user revokes it too.
   */
  async agentFor(principal: Principal, operatorId: number | undefined, ip: string, keep: boolean): Promise<IssuedToken> {
    const t = principal.token;
    if (!t || (principal.role !== 'supervisor' && principal.role !== 'api')) throw vmError('FORBIDDEN', 'Only a supervisor or API token asks for an agent token.');
    return this.agentToken(principal.accountId, principal.scope, operatorId, ip, { login: t.login, cred: t.cred, issuer: t.issuer }, keep);
  }

  private async agentToken(accountId: number, scope: Principal['scope'], operatorId: number | undefined, ip: string, by: { login: string; cred: string; issuer: TokenIssuer | '' }, keep: boolean) {
    if (operatorId === undefined) throw vmError('INVALID_FIELD', 'id_operator is required when user_type is "agent".');
    const dir = await this.opts.directory.getDirectory(accountId);
    if (!dir?.operators?.some((o) => o.id === operatorId)) {
      throw vmError('UNKNOWN_OPERATOR', `Operator ${operatorId} is not in this account.`);
    }
    if (!seesOperator(scope, operatorId)) throw vmError('FORBIDDEN', `Operator ${operatorId} is not in this supervisor's groups.`);
    return this.issue('agent', accountId, operatorId, ip, by, keep);
  }

  /** The principal a token acts as: its role, account and scope (a supervisor's groups, an operator's own). */
  async principal(rec: TokenRecord): Promise<Principal> {
    const role = roleOfToken(rec.kind);
    const p: Principal = { role, accountId: rec.accountId, subject: rec.subject, token: rec };
    if (role === 'operator') {
      p.scope = operatorScope(await this.opts.directory.getDirectory(rec.accountId), rec.subject);
    } else if (role === 'supervisor') {
      const dir = await this.opts.directory.getDirectory(rec.accountId);
      const groups = dir?.supervisors?.find((s) => s.id === rec.subject)?.groups;
      if (groups) p.scope = groupScope(dir, groups);
    }
    return p;
  }

  private readonly basicCache = new Map<string, { accountId: number; passwordHash: string; until: number }>();

  /**
   * Checks an API user's credentials for the REST API (HTTP Basic on every request).
   * A success is remembered for a minute under a digest of login and password, so
   * polling clients do not pay a scrypt hash per request.
   */
  async authenticateApiUser(login: string, password: string, ip: string): Promise<{ accountId: number }> {
    const key = hashToken(`${login}\u0000${password}`);
    const hit = this.basicCache.get(key);
    const now = this.opts.clock.now();
    const user = await this.opts.directory.findApiUser(login);
    // A remembered success holds only while the stored password is the one it was checked
    // against: a re-import that changes or removes it ends it at once.
    if (hit && hit.until > now && user?.passwordHash === hit.passwordHash && user.accountId === hit.accountId) return { accountId: hit.accountId };
    await this.checkPassword(`api:${login}`, password, user?.passwordHash, ip);
    if (this.basicCache.size > 10_000) this.basicCache.clear();
    this.basicCache.set(key, { accountId: user!.accountId, passwordHash: user!.passwordHash, until: now + 60_000 });
    return { accountId: user!.accountId };
  }

  /** Resolves a token used from `ip`, or throws TOKEN_INVALID / TOKEN_IP_MISMATCH / TOKEN_REVOKED. */
  async verify(token: unknown, ip: string): Promise<TokenRecord> {
    const rec = await this.find(token, ip);
    if (!(await this.holds(rec))) throw vmError('TOKEN_REVOKED');
    return this.keep(rec);
  }

  /**
   * A used `keep` token's expiry slides to a full lifetime from now (capped at its
   * keepUntil); written only once it gained an eighth of a lifetime, so a busy token costs
   * one write per quarter hour, not one per request.
   */
  async keep(rec: TokenRecord): Promise<TokenRecord> {
    if (rec.keepUntil === 0) return rec;
    const now = this.opts.clock.now();
    const until = Math.min(now + this.ttl, rec.keepUntil);
    if (until - rec.expiresAt < this.ttl / 8) return rec;
    return (await this.opts.tokens.extend(rec.hash, until, now)) ? { ...rec, expiresAt: until } : rec;
  }

  private async find(token: unknown, ip: string): Promise<TokenRecord> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) throw vmError('TOKEN_INVALID');
    const rec = await this.opts.tokens.find(hashToken(token));
    if (!rec || rec.expiresAt <= this.opts.clock.now()) throw vmError('TOKEN_INVALID');
    if (rec.ip !== normalizeIp(ip)) throw vmError('TOKEN_IP_MISMATCH');
    return rec;
  }

  /**
   * True while nothing revoked the token: no logout or `vm token revoke`, its user is still
   * there with the password it was issued under, an agent token's operator still exists.
   */
  private async holds(rec: TokenRecord): Promise<boolean> {
    if (rec.revoked) return false;
    // Issued before revocation existed: only an explicit revocation (or expiry) ends it.
    if (rec.login === '') return true;
    const { directory } = this.opts;
    const same = (u: { accountId: number; passwordHash: string } | undefined) =>
      u !== undefined && u.accountId === rec.accountId && credentialFingerprint(u.passwordHash) === rec.cred;
    const issuer = rec.issuer || (rec.kind === 'supervisor' ? 'supervisor' : 'api');
    if (issuer === 'operator') {
      const op = await directory.findOperatorLogin(rec.login);
      return same(op) && op!.operatorId === rec.subject;
    }
    if (issuer === 'supervisor') {
      const sup = await directory.findSupervisor(rec.login);
      if (!same(sup)) return false;
      if (rec.kind !== 'agent') return sup!.id === rec.subject;
    } else if (!same(await directory.findApiUser(rec.login))) return false;
    return rec.kind !== 'agent' || directory.hasOperator(rec.accountId, rec.subject);
  }

  /**
   * Whether a socket opened with `rec` may stay open: not revoked, user and password
   * unchanged. Its expiry does not matter (open sockets are not cut at expiry).
   */
  async stillValid(rec: TokenRecord): Promise<boolean> {
    return this.holds((await this.opts.tokens.find(rec.hash)) ?? rec);
  }

  /**
   * `DELETE /vm/token/<id_session>`: revokes the token presented (logout). A token already
   * revoked answers the same; unknown, expired or used from another IP is refused.
   */
  async logout(token: unknown, ip: string): Promise<TokenRecord> {
    const rec = await this.find(token, ip);
    if (!rec.revoked) await this.opts.tokens.revoke({ hash: rec.hash }, this.opts.clock.now());
    return { ...rec, revoked: true };
  }

  /** `refresh_token`: a new token of the same kind; the old one stays valid until its own expiry. */
  async refresh(token: string, ip: string): Promise<IssuedToken> {
    const rec = await this.verify(token, ip);
    // A token from before revocation existed names no user: it lives out its expiry, but a
    // refresh would carry it past every revocation. Its holder logs in again instead.
    if (rec.login === '') throw vmError('TOKEN_REVOKED', 'This token dates from an older server version and cannot be refreshed: log in again.');
    return this.issue(rec.kind, rec.accountId, rec.subject, ip, { login: rec.login, cred: rec.cred, issuer: rec.issuer }, rec.keepUntil > 0);
  }
}
