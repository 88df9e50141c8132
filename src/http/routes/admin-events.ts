// `POST /api/v1/accounts/:id/events`: the publishing seam over HTTP, so a telephony system
// can push notifications. The platform's only (the VM_ADMIN_TOKEN): checked before the body
// is read or validated (src/http/auth.ts), so no token gets no word about the body.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { Id, IdOrZero } from '../../protocol/index.ts';
import type { RouteAuth } from '../auth.ts';

export const adminEventRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/v1/accounts/:id/events',
    {
      bodyLimit: 64 * 1024,
      config: { auth: { roles: ['platform'] } satisfies RouteAuth },
      schema: {
        summary: 'Publish a notification for an account (answers once it is durable)',
        tags: ['admin'],
        params: Type.Object({ id: Id('Account id') }),
        body: Type.Object({
          type_notification: Type.String(),
          event: Type.String(),
          msg: Type.Object({}, { additionalProperties: true }),
          srv: Type.Optional(IdOrZero('Server number')),
        }),
        response: { 200: Type.Object({ cpt: Type.Integer() }), '4xx': errorSchema },
      },
    },
    async (request) => ({ cpt: await services.publisher.publish(request.params.id, request.body) }),
  );
};
