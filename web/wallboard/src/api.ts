// The server's REST calls: GET /api/v1/stats/groups|operators (the history aggregated per
// period), GET /api/v1/stats/series (the last hour's waiting calls and service level),
// GET /api/v1/me (who the token is, what it sees), a supervisor's actions on an operator
// (pause, unpause, logout, suspend, unsuspend) and the account's audit of such actions.
// The live state (GET /api/v1/realtime) comes through the SDK's snapshot().
import { VmClientError, type SeriesPoint } from '@voice-management/client';

/** Rows of /api/v1/stats/groups and /api/v1/stats/operators (the protocol's types). */
export type { GroupStatsRow as GroupRow, OperatorStatsRow as OperatorRow } from '@voice-management/client';

/** A request with the token; the answer's JSON, or the server's `{error, message}` thrown as a VmClientError. */
async function request<T>(base: string, token: string, path: string, init: { method?: string; query?: Record<string, string>; body?: object } = {}): Promise<T> {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
  if (init.body) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method: init.method ?? 'GET', headers, ...(init.body ? { body: JSON.stringify(init.body) } : {}) });
  } catch (e) {
    throw new VmClientError('NETWORK', `The server could not be reached (${e instanceof Error ? e.message : String(e)}).`);
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: string; message?: string };
  if (!res.ok) throw new VmClientError(body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText, { status: res.status });
  return body;
}

export async function fetchStats<T>(base: string, token: string, what: 'groups' | 'operators', q: { from: string; to: string; interval: '15m' | '1h' | '1d' }): Promise<T[]> {
  return (await request<{ rows?: T[] }>(base, token, `api/v1/stats/${what}`, { query: q })).rows ?? [];
}

/** GET /api/v1/stats/series: calls waiting and the day's service level every `step` s, from the history, up to now. */
export async function fetchSeries(base: string, token: string, q: { from: string; step: number }): Promise<SeriesPoint[]> {
  return (await request<{ points?: SeriesPoint[] }>(base, token, 'api/v1/stats/series', { query: { from: q.from, step: String(q.step) } })).points ?? [];
}

/** GET /api/v1/me: the token's role and account, the pauses, and the groups and operators it sees. */
export interface Me {
  role: string;
  id_client: number;
  pauses: { id: number; label: string }[];
  groups: { id: number; name: string }[];
  operators: { id: number; name: string }[];
}

export const fetchMe = (base: string, token: string) => request<Me>(base, token, 'api/v1/me');

/** What a supervisor does to an operator from its card. */
export type OperatorAction = { action: 'pause'; pause: number } | { action: 'unpause' | 'logout' } | { action: 'suspend' | 'unsuspend'; group: number };

/** POST /api/v1/accounts/:a/operators/:op/<action>; resolves once the server took it (the card changes with the stream). */
export async function operatorAction(base: string, token: string, account: number, op: number, a: OperatorAction): Promise<void> {
  const { action, ...body } = a;
  await request(base, token, `api/v1/accounts/${account}/operators/${op}/${action}`, { method: 'POST', ...(Object.keys(body).length ? { body } : {}) });
}

/** One entry of GET /api/v1/accounts/:a/audit. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: { role: string; id: number; login: string };
  action: string;
  operator: number | null;
  call: number | null;
  group: number | null;
  pause: number | null;
  result: string;
}

/** The newest `limit` entries of the account's audit that the token sees. */
export async function fetchAudit(base: string, token: string, account: number, limit: number): Promise<AuditEntry[]> {
  return (await request<{ entries: AuditEntry[] }>(base, token, `api/v1/accounts/${account}/audit`, { query: { limit: String(limit) } })).entries;
}
