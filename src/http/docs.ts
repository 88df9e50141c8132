// The HTTP API's OpenAPI 3.1 document, generated from the route schemas by @fastify/swagger,
// served as JSON at /docs/json and browsable at /docs. Registered before the routes (it
// collects them as they are added). The Socket.IO stream is described in docs/asyncapi.yaml.
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** Where the pages live: `/docs` (Swagger UI), `/docs/json` and `/docs/yaml`. */
export const DOCS_PREFIX = '/docs';

const X_JSON_DOC =
  'The request itself, a JSON object: `{"requete":"init","header":{"login":"L","password":"P","account_type":"supervisor"},"msg":{}}` ' +
  'to log in, or `{"requete":"refresh_token","header":{"id_session":"T"},"msg":{}}` to renew a token. The body is ignored.';

export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Voice Management',
        version: '0.1.0',
        description:
          'HTTP side of the Voice Management notifications API: authentication, publishing, statistics and history. ' +
          'The real-time stream (Socket.IO `init` / `update`) is described by the AsyncAPI document docs/asyncapi.yaml.',
      },
      tags: [
        { name: 'auth', description: 'Stream tokens (PROTOCOL §2–3)' },
        { name: 'admin', description: 'Publishing seam for telephony systems (VM_ADMIN_TOKEN)' },
        { name: 'stats', description: 'Live state and aggregated statistics' },
        { name: 'history', description: 'The /vm history and status REST API (PROTOCOL §7)' },
      ],
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic', description: 'An API user (or ?user=&password= on /vm routes)' },
          bearer: { type: 'http', scheme: 'bearer', description: 'An id_session (stats) or the admin token (admin)' },
        },
      },
    },
    hideUntagged: true,
    // `POST /ws/` reads X-JSON itself (to give precise errors), so its schema leaves the header
    // optional; the document says what a client must send.
    transform: ({ schema, url }) => {
      if (url !== '/ws/' || !schema) return { schema, url };
      return { schema: { ...schema, headers: { type: 'object', required: ['x-json'], properties: { 'x-json': { type: 'string', description: X_JSON_DOC } } } }, url };
    },
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // Swagger UI injects a <style> element as it renders: its pages alone allow inline styles
    // (never inline scripts) on top of the server's policy (src/http/security.ts).
    transformStaticCSP: (header) => header.replace(/style-src 'self'(?=;|$)/, "style-src 'self' 'unsafe-inline'"),
  });
}
