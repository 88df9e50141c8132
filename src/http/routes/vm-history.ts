// The history and status REST API of PROTOCOL §7 (`/vm/...`), with its published field
// names. HTTP Basic with an API user, or ?user=&password= (the guide), or a supervisor's or
// API user's bearer token; a supervisor of some groups sees those groups' operators and calls.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import type { AccountDirectory } from '../../directory/schema.ts';
import type { CallRecord } from '../../stats/records.ts';
import type { Services } from '../services.ts';
import { principalOf, type RouteAuth } from '../auth.ts';
import { seesCall, seesOperator, snapshotInScope } from '../../auth/scope.ts';
import { errorSchema } from '../schemas.ts';
import { Day, Digits, Id } from '../../protocol/index.ts';
import { addMonths, parseDay } from '../dates.ts';
import { recordingUrl } from './recordings.ts';

/** operators_init: at most this many requests per API user per window (the published service asks for one per 30 s). */
export const OPERATORS_INIT_LIMIT = { requests: 10, windowMs: 10_000 };

const DateFilter = Type.Object({
  date: Day('YYYY-MM-DD (UTC), required'),
  date_end: Type.Optional(Day('YYYY-MM-DD, at most one month after date')),
  service_number: Type.Optional(Digits(1, 32, 'Only calls to this number (digits)')),
  caller_number: Type.Optional(Digits(1, 32, 'Only calls from this number (digits)')),
});
type DateFilter = Static<typeof DateFilter>;

function range(f: DateFilter): { from: number; to: number } {
  const from = parseDay(f.date);
  const endDay = parseDay(f.date_end ?? f.date);
  if (from === undefined) throw vmError('INVALID_FIELD', `date ${JSON.stringify(f.date)} is not a day of the calendar; write it YYYY-MM-DD.`);
  if (endDay === undefined) throw vmError('INVALID_FIELD', `date_end ${JSON.stringify(f.date_end)} is not a day of the calendar; write it YYYY-MM-DD.`);
  if (endDay < from) throw vmError('INVALID_FIELD', 'date_end is before date.');
  // Calendar months: from 2026-01-31 the last day allowed is 2026-02-28.
  const last = addMonths(from, 1);
  if (endDay > last) throw vmError('INVALID_FIELD', `date_end may be one month after date at most (${new Date(last).toISOString().slice(0, 10)}).`);
  return { from, to: endDay + 86_400_000 };
}

const iso = (ms: number) => new Date(ms).toISOString();

function callRow(c: CallRecord, dir: AccountDirectory | undefined, recorded: boolean) {
  const group = (id: number | null) => (id === null ? '' : (dir?.groups?.find((g) => g.id === id)?.name ?? ''));
  const op = c.operatorId === null ? undefined : dir?.operators?.find((o) => o.id === c.operatorId);
  const trunk = c.trunkId === null ? undefined : dir?.trunks?.find((t) => t.id === c.trunkId);
  const called = c.direction === 'out' ? c.called : (trunk?.destination ?? op?.e164 ?? '');
  return {
    id_appel: c.direction === 'out' ? -Math.abs(c.idCall) : c.idCall,
    date: iso(c.start),
    service_number: c.service,
    caller_number: c.direction === 'out' ? (op?.e164 ?? '') : c.caller,
    called_number: called,
    status: c.status,
    group_name: group(c.groupId),
    first_group_name: group(c.firstGroupId),
    id_op: c.operatorId ?? 0,
    op_name: op?.name ?? '',
    duration: c.durations.total,
    duration_ring: c.durations.ring,
    duration_svi: c.durations.ivr,
    duration_wait: c.durations.wait,
    duration_comm: c.durations.comm,
    duration_hold: c.durations.hold,
    post_appel: c.durations.wrapup,
    // Additive: the operator's disposition (id and label), when the call was given one.
    ...(c.disposition !== undefined ? { disposition: c.disposition, disposition_label: dir?.dispositions?.find((d) => d.id === c.disposition)?.label ?? '' } : {}),
    // Additive: only on rows of recorded calls (GET recording_url with a token of the account).
    ...(recorded ? { recording: true, recording_url: recordingUrl(c.accountId, c.idCall) } : {}),
  };
}

export const vmHistoryRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const config = { auth: { roles: ['supervisor', 'api'], basic: true } satisfies RouteAuth };
  const hits = new Map<number, { count: number; resetAt: number }>();
  const limitOperatorsInit = (accountId: number) => {
    const now = services.clock.now();
    const h = hits.get(accountId);
    if (!h || h.resetAt <= now) return void hits.set(accountId, { count: 1, resetAt: now + OPERATORS_INIT_LIMIT.windowMs });
    if (++h.count > OPERATORS_INIT_LIMIT.requests) {
      const wait = Math.ceil((h.resetAt - now) / 1000);
      throw vmError('RATE_LIMITED', `operators_init allows ${OPERATORS_INIT_LIMIT.requests} requests per ${OPERATORS_INIT_LIMIT.windowMs / 1000} s; retry in ${wait} s.`, { retryAfter: wait });
    }
  };
  const opParams = Type.Object({ id: Id('Operator id') });
  const any = { 200: Type.Unknown(), '4xx': errorSchema };

  const operators = async (request: FastifyRequest, id?: number) => {
    const { accountId, scope } = principalOf(request);
    const dir = await services.store.directory.getDirectory(accountId);
    const rows = (dir?.operators ?? []).filter((o) => seesOperator(scope, o.id)).map((o) => ({ id: o.id, login: o.login ?? `op${o.id}`, realname: o.name, email: o.email ?? '' }));
    if (id === undefined) return rows;
    const row = rows.find((r) => r.id === id);
    if (!row) throw vmError('NOT_FOUND', `No operator ${id} in this account.`);
    return row;
  };
  app.get('/vm/operators', { config, schema: { summary: 'Operators of the account', tags: ['history'], response: any } }, async (req) => operators(req));
  app.get('/vm/operators/:id', { config, schema: { summary: 'One operator', tags: ['history'], params: opParams, response: any } }, async (req) => operators(req, req.params.id));

  const operatorsInit = async (request: FastifyRequest, id?: number) => {
    const { accountId, scope } = principalOf(request);
    limitOperatorsInit(accountId);
    const snap = snapshotInScope(await services.stats.snapshot(accountId), scope);
    const dir = await services.store.directory.getDirectory(accountId);
    const rows = snap.operators.map((o) => ({
      id: o.id,
      login: dir?.operators?.find((d) => d.id === o.id)?.login ?? `op${o.id}`,
      realname: o.name,
      logged: o.state !== 'logged_out',
      status: o.state,
      pause: o.pause_id,
      id_call: o.call?.id_call ?? null,
      since: o.since,
    }));
    if (id === undefined) return rows;
    const row = rows.find((r) => r.id === id);
    if (!row) throw vmError('NOT_FOUND', `No operator ${id} in this account.`);
    return row;
  };
  const initSummary = `Current state of each operator (at most ${OPERATORS_INIT_LIMIT.requests} requests per ${OPERATORS_INIT_LIMIT.windowMs / 1000} s)`;
  app.get('/vm/operators_init', { config, schema: { summary: initSummary, tags: ['history'], response: any } }, async (req) => operatorsInit(req));
  app.get('/vm/operators_init/:id', { config, schema: { summary: initSummary, tags: ['history'], params: opParams, response: any } }, async (req) => operatorsInit(req, req.params.id));

  for (const direction of ['in', 'out'] as const) {
    app.post(
      `/vm/calls/${direction}`,
      { config, schema: { summary: `One row per ${direction === 'in' ? 'incoming' : 'outgoing'} call`, tags: ['history'], body: DateFilter, response: any } },
      async (request) => {
        const { accountId, scope } = principalOf(request);
        const { from, to } = range(request.body);
        const all = await services.store.history.calls(accountId, {
          from,
          to,
          direction,
          ...(request.body.service_number ? { service: request.body.service_number } : {}),
          ...(request.body.caller_number ? { caller: request.body.caller_number } : {}),
        });
        const calls = scope ? all.filter((c) => seesCall(scope, c)) : all;
        const dir = await services.store.directory.getDirectory(accountId);
        const recorded = await services.store.recordings.having(accountId, calls.map((c) => c.idCall));
        return calls.map((c) => callRow(c, dir, recorded.has(c.idCall)));
      },
    );
  }

  app.post(
    '/vm/calls/status',
    { config, schema: { summary: 'One row per operator state interval (login, break, call_in, call_out, catchup)', tags: ['history'], body: DateFilter, response: any } },
    async (request) => {
      const { accountId, scope } = principalOf(request);
      const { from, to } = range(request.body);
      const intervals = await services.store.history.intervals(accountId, { from, to });
      return intervals.filter((i) => seesOperator(scope, i.operatorId)).map((i) => ({ id_op: i.operatorId, date: iso(i.start), duration: i.duration, id_call: i.idCall, infos: i.infos, type: i.type }));
    },
  );
};
