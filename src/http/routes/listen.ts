// A supervisor listens to an operator's call (src/telephony/listen.ts):
//   POST   /api/v1/accounts/:id/operators/:op/listen {mode}  → a one-time SIP identity their
//          browser softphone (or any SIP phone) registers with; the server then calls it, and
//          once answered it hears the call (listen), speaks to the operator only (whisper) or
//          to both (barge);
//   PUT    …/listen {mode}  switches the mode;
//   DELETE …/listen         hangs the listener up (so does hanging up the phone, or the call's end).
// For a supervisor within their groups, the account's admin and the platform; no-store.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import { Id } from '../../protocol/index.ts';
import type { Listenings } from '../../telephony/listen.ts';
import { errorSchema } from '../schemas.ts';
import type { RouteAuth } from '../auth.ts';

/** What the routes need of the B2BUA's listenings (src/telephony/listen.ts). */
export type ListenControl = Pick<Listenings<unknown>, 'modes' | 'start' | 'switch' | 'stop'>;

export interface ListenOptions {
  /** The B2BUA's listenings; undefined without telephony. */
  listening: ListenControl | undefined;
  /** The SIP-over-WebSocket path (`--sip-ws`), undefined when browser softphones are off. */
  wsPath: string | undefined;
}

const Mode = Type.Union([Type.Literal('listen'), Type.Literal('whisper'), Type.Literal('barge')], {
  description: 'listen: hear both sides, nobody hears you; whisper: the operator hears you, the caller does not; barge: everyone hears everyone',
});
const Params = Type.Object({ id: Id(), op: Id() });
const Body = Type.Object({ mode: Mode }, { additionalProperties: false });
const Identity = Type.Object({
  mode: Mode,
  ws_path: Type.Optional(Type.String({ description: 'Path of SIP over WebSocket on this server, when browser softphones are on' })),
  username: Type.String({ description: 'One-time SIP username: register as sip:<username>@<this host>; the server calls that registration' }),
  password: Type.String({ description: 'Its one-time digest password (valid for this listening only)' }),
  realm: Type.String(),
  ha1: Type.String({ description: 'MD5(username:realm:password), for JsSIP `ha1`' }),
});
const State = Type.Object({ mode: Mode });
const errors = { '4xx': errorSchema, '5xx': errorSchema };
const auth = { auth: { roles: ['supervisor', 'admin', 'platform'], account: 'id', operator: 'op' } satisfies RouteAuth };
/** Each listening action is in the audit (src/http/audit.ts) under its name, with its mode. */
const audited = (action: string) => ({ ...auth, audit: action });
const tags = ['supervision'];

export const listenRoutes: FastifyPluginAsyncTypebox<ListenOptions> = async (app, { listening, wsPath }) => {
  const control = (): ListenControl => {
    if (!listening) throw vmError('LISTEN_TELEPHONY_OFF');
    return listening;
  };
  const path = '/api/v1/accounts/:id/operators/:op/listen';

  app.post(path, {
    config: audited('listen'),
    onRequest: async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    },
    schema: { summary: "Supervisor listens to the operator's call: a one-time SIP identity to register, then the server calls it", tags, params: Params, body: Body, response: { 201: Identity, ...errors } },
  }, async (req, reply) => {
    const { id, op } = req.params;
    const r = control().start(id, op, req.body.mode);
    if (r === 'no_call') throw vmError('LISTEN_NO_CALL', `Operator ${op} is on no call with an answered phone: there is nothing to listen to.`);
    if (r === 'busy') throw vmError('LISTEN_BUSY', `Someone listens to operator ${op}'s call already: stop that first (DELETE ${req.url}).`);
    if (r === 'unsupported') throw vmError('LISTEN_MODE_UNSUPPORTED', `This server's media plane cannot ${req.body.mode} (rtpengine 10.5 mixes nothing: use --media node).`);
    reply.code(201);
    return { mode: req.body.mode, ...(wsPath ? { ws_path: wsPath } : {}), ...r };
  });

  app.put(path, {
    config: audited('listen-mode'),
    schema: { summary: 'Supervisor switches the listen mode (listen, whisper, barge)', tags, params: Params, body: Body, response: { 200: State, ...errors } },
  }, async (req) => {
    const { id, op } = req.params;
    const c = control();
    if (!c.modes.includes(req.body.mode)) throw vmError('LISTEN_MODE_UNSUPPORTED', `This server's media plane cannot ${req.body.mode} (rtpengine 10.5 mixes nothing: use --media node).`);
    if (!(await c.switch(id, op, req.body.mode))) throw vmError('LISTEN_NONE', `Nobody listens to operator ${op}'s call.`);
    return { mode: req.body.mode };
  });

  app.delete(path, {
    config: audited('listen-stop'),
    schema: { summary: 'Supervisor stops listening (the listener is hung up)', tags, params: Params, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    const { id, op } = req.params;
    if (!control().stop(id, op)) throw vmError('LISTEN_NONE', `Nobody listens to operator ${op}'s call.`);
    reply.code(204);
    return null;
  });
};
