// Getting stream tokens over HTTP (PROTOCOL §2 and §3): the supervisor login and refresh of
// `POST /ws/`, and the API/agent tokens of `POST /vm/token`. Uses the global fetch, so it
// runs in Node and in browsers.
import type { InitUserType, VmTokenRequest, VmTokenResponse, WsInitResponse, WsRefreshResponse } from './protocol.ts';
import { VmClientError } from './errors.ts';

/** What the tokens' documented lifetime is when an answer's `expire` can't be read. */
const DEFAULT_LIFETIME_MS = 2 * 3600 * 1000;

/**
 * A token and everything `init` needs to open the stream with it.
 *
 * @example
 * const { token } = await apiToken(url, { login: 'api', password: 'demo-api' });
 * socket.emit('init', token.userType, token.target, token.idSession, { since: 0 }, (ack) => console.log(ack));
 * setTimeout(renew, token.lifetimeMs * 0.9);
 */
export interface StreamToken {
  /** First argument of `init`. */
  userType: InitUserType;
  /** Second argument of `init`: the supervisor id, the account id (api) or the operator id (agent). */
  target: number;
  /** Third argument of `init`: the token itself. */
  idSession: string;
  /** The account. */
  idClient: number;
  /** Expiry as the server wrote it (ISO-8601, six fractional digits, `+00:00`). */
  expire: string;
  /** `Date.now()` when the answer arrived. */
  receivedAt: number;
  /**
   * How long the token is valid from `receivedAt`, in ms: the server's `expire` read
   * against the answer's `Date` header, so a wrong local clock does not matter.
   */
  lifetimeMs: number;
}

/**
 * The account's directory as the supervisor login answers it (names of ids in events).
 *
 * @example
 * const { directory } = await supervisorLogin(url, 'supervisor', 'demo');
 * const opName = new Map(directory.ops.map((o) => [o.id, o.nom]));
 */
export type Directory = Pick<WsInitResponse, 'ops' | 'groupes' | 'trunks' | 'pauses'>;

/**
 * Common options of the token functions.
 *
 * @example
 * await supervisorLogin(url, 'supervisor', 'demo', { timeoutMs: 5000 });
 */
export interface AuthOptions {
  /** Abort the request after this many ms. @default 15000 */
  timeoutMs?: number;
}

/** `new URL(path, base)` that keeps a base path (a server behind `https://host/vm/`). */
export function endpoint(base: string, path: string): string {
  const u = new URL(base);
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return new URL(path.replace(/^\//, ''), u).href;
}

/** Milliseconds an `expire` leaves, read against the server's clock when it said its time. */
function lifetime(expire: string, serverDate: string | null): number {
  // Six fractional digits are valid ISO-8601 but not every Date.parse takes them.
  const exp = Date.parse(expire.replace(/\.(\d{3})\d+/, '.$1'));
  if (Number.isNaN(exp)) return DEFAULT_LIFETIME_MS;
  let ms = exp - Date.now();
  const date = serverDate ? Date.parse(serverDate) : NaN;
  if (!Number.isNaN(date)) ms = Math.min(ms, exp - date);
  return Math.max(0, ms);
}

/** UTF-8 safe base64 for the Basic header (btoa alone takes latin1 only). */
function base64(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** `Retry-After` in seconds: a number of seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterSeconds(h: string | null): number {
  if (!h) return NaN;
  if (/^\s*\d+\s*$/.test(h)) return Number(h);
  const at = Date.parse(h);
  return Number.isNaN(at) ? NaN : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

async function call<T>(url: string, init: RequestInit, opts: AuthOptions): Promise<{ body: T; token: Pick<StreamToken, 'receivedAt'>; date: string | null }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
  } catch (e) {
    throw new VmClientError('NETWORK', `Cannot reach ${url}: ${(e as Error).message}`, { cause: e });
  }
  const receivedAt = Date.now();
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const obj = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  if (!res.ok) {
    const retry = retryAfterSeconds(res.headers.get('retry-after'));
    throw new VmClientError(
      typeof obj?.error === 'string' ? obj.error : `HTTP_${res.status}`,
      typeof obj?.message === 'string' ? obj.message : `${res.status} ${res.statusText}`,
      { status: res.status, ...(Number.isFinite(retry) && retry > 0 ? { retryAfter: retry } : {}) },
    );
  }
  if (!obj || typeof obj.id_session !== 'string' || typeof obj.expire !== 'string') {
    throw new VmClientError('BAD_RESPONSE', `${url} did not answer a token: ${text.slice(0, 200)}`, { status: res.status });
  }
  return { body: obj as T, token: { receivedAt }, date: res.headers.get('date') };
}

function xJson(requete: string, header: Record<string, string>): Record<string, string> {
  return { 'X-JSON': JSON.stringify({ requete, header, msg: {} }) };
}

/**
 * Logs a supervisor in (`POST /ws/`, `requete: init`): a token for the whole account and
 * the account's directory.
 *
 * @example
 * const { token, directory } = await supervisorLogin('http://127.0.0.1:8080', 'supervisor', 'demo');
 * socket.emit('init', token.userType, token.target, token.idSession);
 * console.log(directory.ops.map((o) => o.nom));
 */
export async function supervisorLogin(
  url: string,
  login: string,
  password: string,
  opts: AuthOptions = {},
): Promise<{ token: StreamToken; directory: Directory; answer: WsInitResponse }> {
  const { body, token, date } = await call<WsInitResponse>(
    endpoint(url, 'ws/'),
    { method: 'POST', headers: xJson('init', { login, password, account_type: 'supervisor' }) },
    opts,
  );
  return {
    token: {
      ...token,
      userType: 'supervisor',
      target: Number(body.target),
      idClient: Number(body.id_client),
      idSession: body.id_session,
      expire: body.expire,
      lifetimeMs: lifetime(body.expire, date),
    },
    directory: { ops: body.ops ?? [], groupes: body.groupes ?? [], trunks: body.trunks ?? [], pauses: body.pauses ?? [] },
    answer: body,
  };
}

/**
 * Renews a token before it expires (`POST /ws/`, `requete: refresh_token`): a new token of
 * the same kind (supervisor, api or agent). The old one stays valid until its own expiry,
 * and sockets opened with it keep running.
 *
 * @example
 * let { token } = await supervisorLogin(url, 'supervisor', 'demo');
 * token = await refreshToken(url, token);
 */
export async function refreshToken(url: string, token: Pick<StreamToken, 'idSession'> & Omit<Partial<StreamToken>, 'idSession'>, opts: AuthOptions = {}): Promise<StreamToken> {
  const { body, token: t, date } = await call<WsRefreshResponse>(
    endpoint(url, 'ws/'),
    { method: 'POST', headers: xJson('refresh_token', { id_session: token.idSession }) },
    opts,
  );
  return {
    userType: 'supervisor',
    target: 0,
    idClient: 0,
    ...token,
    ...t,
    idSession: body.id_session,
    expire: body.expire,
    lifetimeMs: lifetime(body.expire, date),
  };
}

/**
 * The same as {@link refreshToken}, under the name the guide gives it (supervisor tokens).
 *
 * @example
 * token = await refreshSupervisorToken(url, token);
 */
export const refreshSupervisorToken: (url: string, token: StreamToken, opts?: AuthOptions) => Promise<StreamToken> = refreshToken;

/**
 * Who asks `POST /vm/token` for what.
 *
 * @example
 * const req: ApiTokenRequest = { login: 'api', password: 'demo-api', userType: 'agent', operatorId: 8 };
 */
export interface ApiTokenRequest {
  /** API user login. */
  login: string;
  /** API user password. */
  password: string;
  /** `api`: every event of the account; `agent`: one operator's events. @default 'api' */
  userType?: 'api' | 'agent';
  /** The operator of an agent token. */
  operatorId?: number | string;
}

/**
 * Gets an API token (whole account) or an agent token (one operator) with an API user's
 * credentials (`POST /vm/token`, HTTP Basic).
 *
 * @example
 * const { token } = await apiToken('http://127.0.0.1:8080', { login: 'api', password: 'demo-api' });
 * const agent = await apiToken(url, { login: 'api', password: 'demo-api', userType: 'agent', operatorId: 8 });
 */
export async function apiToken(url: string, req: ApiTokenRequest, opts: AuthOptions = {}): Promise<{ token: StreamToken; answer: VmTokenResponse }> {
  const userType = req.userType ?? 'api';
  const payload: VmTokenRequest = userType === 'agent' ? { user_type: 'agent', id_operator: Number(req.operatorId) } : { user_type: 'api' };
  const { body, token, date } = await call<VmTokenResponse>(
    endpoint(url, 'vm/token'),
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${base64(`${req.login}:${req.password}`)}` },
      body: JSON.stringify(payload),
    },
    opts,
  );
  const idClient = Number(body.id_client);
  return {
    token: {
      ...token,
      userType,
      target: userType === 'agent' ? Number(body.id_operator ?? req.operatorId) : idClient,
      idClient,
      idSession: body.id_session,
      expire: body.expire,
      lifetimeMs: lifetime(body.expire, date),
    },
    answer: body,
  };
}
