// `POST /api/v1/accounts/:id/events`: the publishing seam over HTTP, so a telephony system
// can push notifications. Guarded by the admin bearer token (VM_ADMIN_TOKEN).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { Id, IdOrZero } from '../../protocol/index.ts';

/** Throws unless the request carries the admin bearer token (wrong ones are throttled per source). */
export function requireAdmin(services: Services, request: FastifyRequest): void {
  if (!services.adminToken) throw vmError('ADMIN_API_DISABLED');
  const h = request.headers.authorization ?? '';
  const m = /^Bearer (.+)$/i.exec(h);
  if (!m || !services.auth.checkAdminToken(m[1]!.trim(), services.adminToken, request.ip)) {
    throw vmError('AUTH_REQUIRED', 'Send Authorization: Bearer <admin token>.');
  }
}

export const adminEventRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post(
    '/api/v1/accounts/:id/events',
    {
      bodyLimit: 64 * 1024,
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
      // onRequest, before the body is read or validated: no token, no word about the body.
      onRequest: async (request) => requireAdmin(services, request),
    },
    async (request) => ({ cpt: await services.publisher.publish(request.params.id, request.body) }),
  );
};
