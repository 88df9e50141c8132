// The server's REST reads: GET /api/v1/stats/groups|operators (the history aggregated per
// period) and GET /api/v1/stats/series (the last hour's waiting calls and service level).
// The live state (GET /api/v1/realtime) comes through the SDK's snapshot().
import { VmClientError, type SeriesPoint } from '@voice-management/client';

/** Rows of /api/v1/stats/groups and /api/v1/stats/operators (the protocol's types). */
export type { GroupStatsRow as GroupRow, OperatorStatsRow as OperatorRow } from '@voice-management/client';

export async function fetchStats<T>(base: string, token: string, what: 'groups' | 'operators', q: { from: string; to: string; interval: '15m' | '1h' | '1d' }): Promise<T[]> {
  const url = new URL(`api/v1/stats/${what}`, base);
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as { rows?: T[]; error?: string; message?: string };
  if (!res.ok) throw new VmClientError(body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText, { status: res.status });
  return body.rows ?? [];
}

/** GET /api/v1/stats/series: calls waiting and the day's service level every `step` s, from the history, up to now. */
export async function fetchSeries(base: string, token: string, q: { from: string; step: number }): Promise<SeriesPoint[]> {
  const url = new URL('api/v1/stats/series', base);
  url.searchParams.set('from', q.from);
  url.searchParams.set('step', String(q.step));
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  const body = (await res.json().catch(() => ({}))) as { points?: SeriesPoint[]; error?: string; message?: string };
  if (!res.ok) throw new VmClientError(body.error ?? `HTTP_${res.status}`, body.message ?? res.statusText, { status: res.status });
  return body.points ?? [];
}
