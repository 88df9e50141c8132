// The server's REST side of the toolbar: the operator's sign-in (POST /ws/), who a token is
// (GET /api/v1/me), the desk actions (POST …/operators/:op/<action>), the softphone's
// registration (GET …/softphone) and the logout (DELETE /vm/token/<token>). A refusal is
// thrown as ApiError with the server's message, which the page shows as is.
import type { PopupSetting } from './popup.ts';

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

/** The server's base URL: the toolbar is served at `<base>/operator/`. */
export function serverBase(): string {
  return new URL('../', new URL('./', location.href)).href;
}

async function request<T>(path: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...(init.headers as Record<string, string> | undefined) };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, serverBase()), { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string; message?: string };
  if (!res.ok) throw new ApiError(body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText, res.status);
  return body;
}

export interface SignIn {
  id_session: string;
  /** The operator id. */
  target: number;
  id_client: number;
}

/** POST /ws/ with account_type "operator". */
export const signIn = (login: string, password: string) =>
  request<SignIn>('ws/', { method: 'POST', headers: { 'X-JSON': JSON.stringify({ requete: 'init', header: { login, password, account_type: 'operator' }, msg: {} }) } });

export interface Me {
  role: string;
  id_client: number;
  id_operator: number | null;
  name: string | null;
  lang: string | null;
  pauses: { id: number; label: string; max_duration?: number }[];
  dispositions: { id: number; label: string }[];
  groups: { id: number; name: string }[];
  operators: { id: number; name: string }[];
  /** Where a call may be transferred or a consultation rung: the account's groups and operators. */
  targets: { groups: { id: number; name: string }[]; operators: { id: number; name: string }[] };
  /** The screen pop, when the account file gives the operator a `popup_url`. */
  popup: PopupSetting | null;
}

export const whoAmI = (token: string) => request<Me>('api/v1/me', { token });

export interface Softphone {
  ws_path: string;
  username: string;
  realm: string;
  ha1: string;
}

export const softphoneOf = (token: string, account: number, op: number) => request<Softphone>(`api/v1/accounts/${account}/operators/${op}/softphone`, { token });

/** POST …/operators/:op/<action> (`pushes/7/accept` too) with an optional body. */
export const act = (token: string, account: number, op: number, action: string, json?: unknown) =>
  request<{ ok: true }>(`api/v1/accounts/${account}/operators/${op}/${action}`, { method: 'POST', token, ...(json !== undefined ? { json } : {}) });

/** Ends the session (the token is revoked). */
export const signOut = (token: string) => request<unknown>(`vm/token/${encodeURIComponent(token)}`, { method: 'DELETE', token }).catch(() => undefined);
