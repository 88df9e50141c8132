// `POST /vm/token` (PROTOCOL §3): API and agent tokens for an API user (HTTP Basic); and,
// extension, an agent token for one operator asked with a supervisor's or API user's bearer
// token (a CRM embedding the toolbar as /operator/?token_session=<id_session>). `keep: 1`
// makes a keep token: its expiry slides while it is used (src/auth/service.ts, KEEP_MAX_MS).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { VmTokenRequest, VmTokenResponse, formatExpire, type VmTokenResponse as VmTokenAnswer } from '../../protocol/index.ts';
import type { Services } from '../services.ts';
import { basicCredentials } from '../basic-auth.ts';
import { errorSchema } from '../schemas.ts';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import { noStore } from '../security.ts';
import { authenticate, type RouteAuth } from '../auth.ts';

export const vmTokenRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/vm/token',
    {
      // The answer is a token (or why not): never cached.
      onRequest: noStore,
      config: { auth: { public: 'a login: HTTP Basic credentials, or a bearer token that asks for an agent token' } satisfies RouteAuth },
      schema: {
        summary: 'Get a stream token for an API user (api: whole account; agent: one operator); with a supervisor or API bearer token, an agent token',
        tags: ['auth'],
        body: VmTokenRequest,
        response: { 200: VmTokenResponse, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { user_type, id_operator, keep } = request.body;
      const op = id_operator === undefined ? undefined : Number(id_operator);
      const kept = keep === 1;
      let issued;
      if (/^bearer /i.test(request.headers.authorization ?? '')) {
        const principal = await authenticate(services, request, { roles: ['supervisor', 'api'] });
        if (user_type !== 'agent') throw vmError('FORBIDDEN', 'A bearer token asks for agent tokens only; an api token takes an API user\'s login (HTTP Basic).');
        issued = await services.auth.agentFor(principal, op, request.ip, kept);
      } else {
        const { login, password } = basicCredentials(request);
        issued = await services.auth.loginApi(login, password, request.ip, user_type, op, kept);
      }
      const { token, record } = issued;
      const body: VmTokenAnswer = { id_session: token, expire: formatExpire(record.expiresAt), id_client: record.accountId, user_type };
      if (user_type === 'agent') body.id_operator = record.subject;
      return body;
    },
  );

  // Extension: logout. Possession of the token is the authentication (from the IP it was
  // issued to); its sockets are closed with init_error TOKEN_REVOKED.
  app.delete(
    '/vm/token/:id_session',
    {
      config: { auth: { public: 'a logout: holding the token is the authentication' } satisfies RouteAuth },
      schema: {
        summary: 'Log out: revoke a token (any kind) and close the sockets opened with it',
        tags: ['auth'],
        params: Type.Object({ id_session: Type.String({ maxLength: 1024 }) }),
        response: { 204: Type.Null({ description: 'Revoked (also when it already was)' }), '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      if (request.params.id_session === '') throw vmError('NOT_FOUND', 'Name the token to revoke: DELETE /vm/token/<id_session>.');
      await services.auth.logout(request.params.id_session, request.ip);
      await services.changes?.check();
      return reply.code(204).send(null);
    },
  );
};
