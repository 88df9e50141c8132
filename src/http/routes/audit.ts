// `GET /api/v1/accounts/:id/audit`: the audit of actions on the account's operators and calls
// (src/http/audit.ts), newest first, a page at a time (`before` the previous page's last
// id). A supervisor of some groups sees the entries about its operators and groups; a
// supervisor of the whole account, an admin and the admin token see all.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { principalOf, type RouteAuth } from '../auth.ts';
import { Id as IdField } from '../../protocol/index.ts';

const Id = IdField();
const Nullable = (t: ReturnType<typeof Type.Integer>) => Type.Union([t, Type.Null()]);

const Entry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({
    role: Type.String({ description: 'supervisor, api, admin, platform (operator: a refused attempt on another operator)' }),
    id: Type.Integer({ description: 'the supervisor id (supervisor, admin), the operator id (operator), else 0' }),
    login: Type.String({ description: "the supervisor's or API user's login; '' for the admin token" }),
  }),
  action: Type.String({ description: 'pause, unpause, logout, suspend, unsuspend, login, hangup, transfer… (call-…: the call routes; callback, callback-cancel)' }),
  operator: Nullable(Type.Integer()),
  call: Nullable(Type.Integer()),
  group: Nullable(Type.Integer()),
  pause: Nullable(Type.Integer()),
  details: Type.Record(Type.String(), Type.Unknown(), { description: 'the request body (when small): a transfer target, a dialled number…' }),
  ip: Type.String(),
  result: Type.String({ description: "'ok', or the refusal's error code" }),
});

/** One entry as the route answers it. */
export type AuditEntryAnswer = Static<typeof Entry>;

/** The most entries one page holds. */
export const AUDIT_PAGE_MAX = 200;

export const auditRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/api/v1/accounts/:id/audit', {
    config: { auth: { roles: ['supervisor', 'admin', 'platform'], account: 'id' } satisfies RouteAuth },
    schema: {
      summary: "Who paused, logged out, suspended… the account's operators or acted on its calls, newest first (a supervisor of some groups: its operators and groups)",
      tags: ['call control'],
      params: Type.Object({ id: Id }),
      querystring: Type.Object({
        limit: Type.Integer({ minimum: 1, maximum: AUDIT_PAGE_MAX, default: 50 }),
        before: Type.Optional(Type.Integer({ minimum: 1, description: 'only entries with a smaller id: the previous page’s next_before' })),
      }),
      response: {
        200: Type.Object({
          entries: Type.Array(Entry),
          next_before: Type.Union([Type.Integer(), Type.Null()], { description: 'the `before` of the next (older) page; null when this one is the last' }),
        }),
        '4xx': errorSchema,
      },
    },
  }, async (request) => {
    const { scope } = principalOf(request);
    const { limit, before } = request.query;
    const rows = await services.store.audit.list(request.params.id, {
      limit: limit + 1,
      ...(before !== undefined ? { before } : {}),
      ...(scope ? { scope: { operators: [...scope.operators], groups: [...scope.groups] } } : {}),
    });
    const page = rows.slice(0, limit);
    return {
      entries: page.map((r) => ({
        id: r.id,
        at: new Date(r.at).toISOString(),
        actor: r.actor,
        action: r.action,
        operator: r.operatorId,
        call: r.callId,
        group: r.groupId,
        pause: r.pauseId,
        details: r.details,
        ip: r.ip,
        result: r.result,
      })),
      next_before: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  });
};
