// `GET /api/v1/accounts/:id/operators/:op/softphone`: what the operator's browser softphone
// (the toolbar's JsSIP) needs to register over SIP over WebSocket: the WebSocket path on this
// server, the SIP identity, and the digest secret as HA1 with its realm (JsSIP's `ha1` and
// `realm`), never the password itself: the store has only HA1, and HA1 opens nothing but SIP
// digest in our realm. For the operator themself (and the platform), nobody else; no-store.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import { Id } from '../../protocol/index.ts';
import { SIP_REALM } from '../../directory/schema.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import type { RouteAuth } from '../auth.ts';

export interface SoftphoneOptions {
  services: Services;
  /** The SIP-over-WebSocket path (`--sip-ws`), undefined when softphones are off. */
  wsPath: string | undefined;
}

const Softphone = Type.Object({
  ws_path: Type.String({ description: 'Path of SIP over WebSocket on this server (ws:// or wss:// as the page is served)' }),
  username: Type.String(),
  realm: Type.String(),
  ha1: Type.String({ description: 'MD5(username:realm:password), for JsSIP `ha1`' }),
});

export const softphoneRoutes: FastifyPluginAsyncTypebox<SoftphoneOptions> = async (app, { services, wsPath }) => {
  app.get('/api/v1/accounts/:id/operators/:op/softphone', {
    config: { auth: { roles: ['operator', 'platform'], account: 'id', operator: 'op' } satisfies RouteAuth },
    onRequest: async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    },
    schema: {
      summary: "The operator's browser softphone registration (SIP over WebSocket): path, identity, digest HA1",
      tags: ['toolbar'],
      params: Type.Object({ id: Id(), op: Id() }),
      response: { 200: Softphone, '4xx': errorSchema, '5xx': errorSchema },
    },
  }, async (req) => {
    if (!wsPath) throw vmError('SOFTPHONE_OFF');
    const { id, op } = req.params;
    // The operator's device username from the directory, its HA1 by that username (not a scan of every account's users).
    const username = (await services.store.directory.getDirectory(id))?.operators?.find((o) => o.id === op)?.sip?.username;
    const user = username === undefined ? undefined : await services.store.directory.findSipUser(username);
    if (!user || user.accountId !== id || user.operatorId !== op) throw vmError('SOFTPHONE_NO_CREDENTIALS', `Operator ${op} has no SIP device credentials: give them \`sip: {username, password}\` in the account file.`);
    // The page registers as sip:<username>@<the host it was served from>.
    return { ws_path: wsPath, username: user.username, realm: SIP_REALM, ha1: user.ha1 };
  });
};
