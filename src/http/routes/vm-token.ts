// `POST /vm/token` (PROTOCOL §3): API and agent tokens for an API user.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { VmTokenRequest, VmTokenResponse, formatExpire, type VmTokenResponse as VmTokenAnswer } from '../../protocol/index.ts';
import type { Services } from '../services.ts';
import { basicCredentials } from '../basic-auth.ts';
import { errorSchema } from '../schemas.ts';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import { noStore } from '../security.ts';

export const vmTokenRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/vm/token',
    {
      // The answer is a token (or why not): never cached.
      onRequest: noStore,
      schema: {
        summary: 'Get a stream token for an API user (api: whole account; agent: one operator)',
        tags: ['auth'],
        body: VmTokenRequest,
        response: { 200: VmTokenResponse, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { login, password } = basicCredentials(request);
      const { user_type, id_operator } = request.body;
      const op = id_operator === undefined ? undefined : Number(id_operator);
      const { token, record } = await services.auth.loginApi(login, password, request.ip, user_type, op);
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
