// Live and aggregated statistics: `GET /api/v1/realtime` (the state with the cpt it
// reflects) and `GET /api/v1/stats/groups|operators` over from/to by 15m/1h/1d, JSON or CSV.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { groupStats, operatorStats, toCsv, waitingSeries, type Bucket } from '../../stats/aggregate.ts';
import { DEFAULT_SL_THRESHOLD_S, slThresholdOf } from '../../stats/realtime.ts';
import { parseInstant } from '../dates.ts';
import { startOfDay } from '../../stats/day.ts';
import type { AccountDirectory } from '../../directory/schema.ts';
import { principalOf, type RouteAuth } from '../auth.ts';
import { callInScope, seesCall, seesGroup, seesOperator, snapshotInScope } from '../../auth/scope.ts';

/** Reads of the account's figures: a supervisor (its groups when it has some) or an API user; the token may come as ?id_session=. */
const reader = { auth: { roles: ['supervisor', 'api'], query: true } satisfies RouteAuth };

const MAX_RANGE_MS = 92 * 86_400_000;

function parseRange(q: { from?: string; to?: string }, now: number): { from: number; to: number } {
  const day = 86_400_000;
  const from = q.from ? parseInstant(q.from) : now - (now % day);
  if (from === undefined) throw vmError('INVALID_FIELD', `from ${JSON.stringify(q.from)} is not a date of the calendar; write it 2026-03-07 or 2026-03-07T08:30:00Z.`);
  const to = q.to ? parseInstant(q.to) : from + day;
  if (to === undefined) throw vmError('INVALID_FIELD', `to ${JSON.stringify(q.to)} is not a date of the calendar; write it 2026-03-08 or 2026-03-08T08:30:00Z.`);
  if (to <= from) throw vmError('INVALID_FIELD', 'to must be after from.');
  if (to - from > MAX_RANGE_MS) throw vmError('INVALID_FIELD', 'from/to may span 92 days at most.');
  return { from, to };
}

function send(request: FastifyRequest, reply: FastifyReply, rows: object[]) {
  if ((request.headers.accept ?? '').includes('text/csv')) return reply.type('text/csv; charset=utf-8').send(toCsv(rows));
  return { rows };
}

/** Each group's service-level threshold (s) by the directory, as the live metrics take it. */
function slThresholds(dir: AccountDirectory | undefined): (group: number) => number {
  const sl = new Map((dir?.groups ?? []).map((g) => [g.id, slThresholdOf(g)]));
  return (group) => sl.get(group) ?? DEFAULT_SL_THRESHOLD_S;
}

const StatsQuery = Type.Object({
  from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date or date-time (inclusive; UTC unless an offset is given); default: today 00:00 UTC' })),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date or date-time (exclusive; UTC unless an offset is given); default: from + 1 day' })),
  interval: Type.Optional(Type.Union([Type.Literal('15m'), Type.Literal('1h'), Type.Literal('1d')], { default: '1h' })),
  id_session: Type.Optional(Type.String({ maxLength: 256 })),
});

export const statsRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/v1/realtime',
    {
      // An operator (its toolbar) sees itself and its groups' queues.
      config: { auth: { roles: ['operator', 'supervisor', 'api'], query: true } satisfies RouteAuth },
      schema: {
        summary: 'Live state and today’s metrics per group and operator, with the cpt they reflect',
        description: 'Take the snapshot, then init the stream with {since: cpt}: nothing is missed or counted twice.',
        tags: ['stats'],
        querystring: Type.Object({ id_session: Type.Optional(Type.String()) }),
        response: { 200: Type.Unknown(), '4xx': errorSchema },
      },
    },
    async (request) => {
      const { accountId, scope } = principalOf(request);
      return snapshotInScope(await services.stats.snapshot(accountId), scope);
    },
  );

  app.get(
    '/api/v1/stats/groups',
    { config: reader, schema: { summary: 'Per-group statistics by 15m / 1h / 1d (JSON, or CSV with Accept: text/csv)', tags: ['stats'], querystring: StatsQuery, response: { 200: Type.Unknown(), '4xx': errorSchema } } },
    async (request, reply) => {
      const { accountId: account, scope } = principalOf(request);
      const { from, to } = parseRange(request.query, services.clock.now());
      // Calls that entered a queue in the range may have started up to a day before. Calls
      // still in progress count too, as the live metrics count them: today's figures here
      // and in GET /api/v1/realtime agree.
      const { calls, open } = await services.stats.callsWithOpen(account, { from: from - 86_400_000, to });
      const dir = await services.store.directory.getDirectory(account);
      const names = new Map((dir?.groups ?? []).map((g) => [g.id, g.name]));
      const rows = groupStats(calls, from, to, (request.query.interval ?? '1h') as Bucket, slThresholds(dir), open).filter((r) => seesGroup(scope, r.id_queue)).map(({ period, id_queue, ...rest }) => ({
        period,
        id_queue,
        group_name: names.get(id_queue) ?? '',
        ...rest,
      }));
      return send(request, reply, rows);
    },
  );

  app.get(
    '/api/v1/stats/series',
    {
      config: reader,
      schema: {
        summary: 'Calls waiting and the day’s service level every step seconds (extension): the wallboard’s last-hour chart from the history',
        description: 'Default: the last hour, every 15 s, up to now. At most 24 hours and 1,440 points. Calls still in progress count as in GET /api/v1/realtime.',
        tags: ['stats'],
        querystring: Type.Object({
          from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date-time (UTC unless an offset is given); default: an hour before to' })),
          to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO date-time (UTC unless an offset is given); default: now (never later than now)' })),
          step: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, default: 15, description: 'seconds between points' })),
          id_session: Type.Optional(Type.String({ maxLength: 256 })),
        }),
        response: { 200: Type.Unknown(), '4xx': errorSchema },
      },
    },
    async (request) => {
      const { accountId: account, scope } = principalOf(request);
      const now = services.clock.now();
      const q = request.query;
      // Parsed as /stats/groups parses them: a date that is not on the calendar is refused, not rolled over.
      const toAsked = q.to ? parseInstant(q.to) : now;
      if (toAsked === undefined) throw vmError('INVALID_FIELD', `to must be an ISO date or date-time of the calendar (${JSON.stringify(q.to)} is not); write it 2026-03-07T09:30:00Z.`);
      const to = Math.min(toAsked, now);
      const from = q.from ? parseInstant(q.from) : to - 3_600_000;
      if (from === undefined) throw vmError('INVALID_FIELD', `from must be an ISO date or date-time of the calendar (${JSON.stringify(q.from)} is not); write it 2026-03-07T08:30:00Z.`);
      if (to < from) throw vmError('INVALID_FIELD', 'to must not be before from (to is never later than now).');
      if (to - from > 86_400_000) throw vmError('INVALID_FIELD', 'from/to may span 24 hours at most.');
      const stepMs = (q.step ?? 15) * 1000;
      if ((to - from) / stepMs >= 1440) throw vmError('INVALID_FIELD', 'from/to and step give more than 1,440 points: take a shorter range or a longer step.');
      const all = await services.stats.callsWithOpen(account, { from: startOfDay(from) - 86_400_000, to });
      // A scope counts its own queues' passages only; `open` keeps telling the open calls apart.
      const open = new Set<typeof all.calls[number]>();
      const calls = all.calls.filter((c) => seesCall(scope, c)).map((c) => {
        const cut = callInScope(scope, c);
        if (all.open.has(c)) open.add(cut);
        return cut;
      });
      const dir = await services.store.directory.getDirectory(account);
      // Points end at `to`: the last one is the moment asked for.
      const first = to - Math.floor((to - from) / stepMs) * stepMs;
      return { step: stepMs / 1000, points: waitingSeries(calls, first, to, stepMs, slThresholds(dir), open) };
    },
  );

  app.get(
    '/api/v1/stats/operators',
    { config: reader, schema: { summary: 'Per-operator statistics by 15m / 1h / 1d (JSON, or CSV with Accept: text/csv)', tags: ['stats'], querystring: StatsQuery, response: { 200: Type.Unknown(), '4xx': errorSchema } } },
    async (request, reply) => {
      const { accountId: account, scope } = principalOf(request);
      const { from, to } = parseRange(request.query, services.clock.now());
      // Closed intervals from the history, plus those still open (an operator logged in now).
      const intervals = [...(await services.store.history.intervals(account, { from: from - 86_400_000, to })), ...services.stats.openIntervals(account)].filter((i) => seesOperator(scope, i.operatorId));
      const dir = await services.store.directory.getDirectory(account);
      const names = new Map((dir?.operators ?? []).map((o) => [o.id, o.name]));
      const rows = operatorStats(intervals, from, to, (request.query.interval ?? '1h') as Bucket).map(({ period, id_operator, ...rest }) => ({
        period,
        id_operator,
        op_name: names.get(id_operator) ?? '',
        ...rest,
      }));
      return send(request, reply, rows);
    },
  );
};
