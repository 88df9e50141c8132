// `GET /api/v1/me`: who a token is, for a page opened with only a token in its URL (the
// operator toolbar's `?token_session=`): its role, account and operator, the operator's name
// and language, and what the toolbar lists: the account's pauses and dispositions, and the
// groups the principal sees (names for the call's group, transfer targets), and the
// operator's screen pop.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { principalOf, type RouteAuth } from '../auth.ts';
import { seesGroup, seesOperator } from '../../auth/scope.ts';

const Me = Type.Object({
  role: Type.String(),
  id_client: Type.Integer(),
  id_operator: Type.Union([Type.Integer(), Type.Null()], { description: 'the operator of an operator token, else null' }),
  name: Type.Union([Type.String(), Type.Null()]),
  lang: Type.Union([Type.String(), Type.Null()], { description: "the operator's `lang` in the account file, when set" }),
  pauses: Type.Array(Type.Object({ id: Type.Integer(), label: Type.String(), max_duration: Type.Optional(Type.Integer()) })),
  dispositions: Type.Array(Type.Object({ id: Type.Integer(), label: Type.String() })),
  groups: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
  operators: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
  targets: Type.Object(
    { groups: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })), operators: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })) },
    { description: "where the toolbar may transfer a call or consult: every group and operator of the account for an operator (names only), else those the principal sees" },
  ),
  popup: Type.Union([
    Type.Object({ url: Type.String(), on: Type.Union([Type.Literal('ring'), Type.Literal('answer')]), target: Type.String() }),
    Type.Null(),
  ], { description: "the operator's screen pop (`popup_url`, `popup_on`, `popup_target` of the account file), else null" }),
});

export const meRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.get('/api/v1/me', {
    config: { auth: { roles: ['operator', 'supervisor', 'api', 'admin'], query: true } satisfies RouteAuth },
    schema: {
      summary: 'Who this token is (role, account, operator, name, lang) and the account’s pauses, dispositions and the groups it sees (extension: the toolbar)',
      tags: ['toolbar'],
      querystring: Type.Object({ id_session: Type.Optional(Type.String({ maxLength: 256 })) }),
      response: { 200: Me, '4xx': errorSchema },
    },
  }, async (request) => {
    const p = principalOf(request);
    const dir = await services.store.directory.getDirectory(p.accountId);
    const op = p.role === 'operator' ? dir?.operators?.find((o) => o.id === p.subject) : undefined;
    const lang = (op as { lang?: unknown } | undefined)?.lang;
    return {
      role: p.role,
      id_client: p.accountId,
      id_operator: p.role === 'operator' ? p.subject : null,
      name: op?.name ?? null,
      lang: typeof lang === 'string' ? lang : null,
      pauses: (dir?.pauses ?? []).map((x) => ({ id: x.id, label: x.label, ...(x.max_duration !== undefined ? { max_duration: x.max_duration } : {}) })),
      dispositions: (dir?.dispositions ?? []).map((x) => ({ id: x.id, label: x.label })),
      groups: (dir?.groups ?? []).filter((g) => seesGroup(p.scope, g.id)).map((g) => ({ id: g.id, name: g.name })),
      operators: (dir?.operators ?? []).filter((o) => seesOperator(p.scope, o.id)).map((o) => ({ id: o.id, name: o.name })),
      targets: {
        groups: (dir?.groups ?? []).filter((g) => p.role === 'operator' || seesGroup(p.scope, g.id)).map((g) => ({ id: g.id, name: g.name })),
        operators: (dir?.operators ?? []).filter((o) => p.role === 'operator' || seesOperator(p.scope, o.id)).map((o) => ({ id: o.id, name: o.name })),
      },
      popup: op?.popup_url ? { url: op.popup_url, on: op.popup_on ?? 'answer', target: op.popup_target ?? '_blank' } : null,
    };
  });
};
