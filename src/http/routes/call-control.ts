// The call-control API: the telephony side drives the engine (calls on numbers, answer, hang
// up, transfer, IVR input: the admin token only, or in-process from src/telephony) and
// operators act (the toolbar: login, pause, answer, push…: the operator itself, a
// supervisor of its groups, an API user of its account, or the admin token). Who may call
// each route is its `config.auth` (src/http/auth.ts); what changes a state names its action
// in `config.audit`, and the audit records who asked (src/http/audit.ts).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import type { Engine, EngineResult } from '../../engine/index.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { CallId as CallIdField, Digits, Id as IdField } from '../../protocol/index.ts';
import { RING_FAILURES } from '../../engine/telephony.ts';
import { principalOf, type RouteAuth } from '../auth.ts';
import { seesGroup, seesOperator } from '../../auth/scope.ts';

const Id = IdField();
const CallId = CallIdField();
const E164 = Digits(1, 32);
const TransferTarget = Type.Union([
  Type.Object({ type: Type.Literal('operator'), id: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('group'), id: Id }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('number'), e164: E164 }, { additionalProperties: false }),
]);
const ConsultTarget = TransferTarget;
const Account = Type.Object({ id: Id });
const CallParams = Type.Object({ id: Id, call: CallId });
const OpParams = Type.Object({ id: Id, op: Id });
const PushParams = Type.Object({ id: Id, op: Id, push: Id });
const OkAnswer = Type.Object({ ok: Type.Literal(true), id_call: Type.Optional(Type.Integer()), id_operator: Type.Optional(Type.Integer()), id_push: Type.Optional(Type.Integer()), matched: Type.Optional(Type.Boolean()), merged: Type.Optional(Type.Boolean()) });
const responses = { 200: OkAnswer, '4xx': errorSchema, '5xx': errorSchema };

/** The telephony side: the engine's inputs (a PBX, or the B2BUA in-process). */
const telephony = { auth: { roles: ['platform'], account: 'id' } satisfies RouteAuth };
/** An operator's toolbar actions: the operator itself, a supervisor of its groups, the account's API user. */
const toolbar = { auth: { roles: ['operator', 'supervisor', 'api', 'platform'], account: 'id', operator: 'op' } satisfies RouteAuth };
/** The account's own requests and reads. */
const account = { auth: { roles: ['supervisor', 'api', 'platform'], account: 'id' } satisfies RouteAuth };
/** What a supervisor does to one of their operators (not the operator to themself). */
const supervise = { auth: { roles: ['supervisor', 'api', 'platform'], account: 'id', operator: 'op' } satisfies RouteAuth };
/** A route config whose answers the audit records under `action` (src/http/audit.ts). */
const audited = <C extends object>(config: C, action: string) => ({ ...config, audit: action });

function unwrap<T extends object>(r: EngineResult<T>): { ok: true } & T {
  if (!r.ok) throw vmError(r.error, r.message);
  return r;
}

export const callControlRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const engine = async (params: { id: number }): Promise<Engine> => {
    const e = await services.engines.get(params.id);
    if (!e) throw vmError('UNKNOWN_ACCOUNT', `No account ${params.id}.`);
    return e;
  };
  /** Runs a command; answers once its events are durable (or with the reason they are not). */
  const run = async <T extends object>(params: { id: number }, command: (e: Engine) => EngineResult<T>) => {
    const r = await services.engines.run(params.id, command);
    if (!r) throw vmError('UNKNOWN_ACCOUNT', `No account ${params.id}.`);
    return unwrap(r as EngineResult<T>);
  };
  const tags = ['call control'];

  // ---- Telephony -----------------------------------------------------------------
  app.post('/api/v1/accounts/:id/calls', {
    config: audited(telephony, 'call-new'),
    schema: {
      summary: 'A new inbound call on a service number', tags, params: Account, response: responses,
      body: Type.Object({ service: Type.Optional(E164), id_num: Type.Optional(Id), caller: E164 }, { additionalProperties: false }),
    },
  }, async (req) => {
    if (req.body.service === undefined && req.body.id_num === undefined) throw vmError('INVALID_FIELD', 'Give the called number as service (E.164) or id_num.');
    const { caller, service, id_num } = req.body;
    return run(req.params, (e) => e.inboundCall({ caller, ...(service !== undefined ? { service } : { numberId: id_num! }) }));
  });
  app.post('/api/v1/accounts/:id/calls/:call/answer', { config: audited(telephony, 'call-answer'), schema: { summary: 'The external party (trunk destination, outgoing call) answered', tags, params: CallParams, response: responses } },
    async (req) => run(req.params, (e) => e.callAnswer(req.params.call)));
  app.post('/api/v1/accounts/:id/calls/:call/hangup', { config: audited(telephony, 'call-hangup'), schema: { summary: 'The caller hung up', tags, params: CallParams, response: responses } },
    async (req) => run(req.params, (e) => e.callHangup(req.params.call)));
  app.post('/api/v1/accounts/:id/calls/:call/ring-failed', {
    config: audited(telephony, 'call-ring-failed'),
    schema: {
      summary: "An operator's phone refused the call it rang for (busy, declined, no answer, unreachable): the next operator rings",
      tags, params: CallParams, response: responses,
      body: Type.Object({ id_operator: Id, reason: Type.Enum(RING_FAILURES) }, { additionalProperties: false }),
    },
  }, async (req) => run(req.params, (e) => e.ringFailed(req.params.call, req.body.id_operator, req.body.reason)));
  app.post('/api/v1/accounts/:id/calls/:call/transfer', { config: audited(telephony, 'call-transfer'), schema: { summary: 'Transfer a connected call', tags, params: CallParams, body: TransferTarget, response: responses } },
    async (req) => run(req.params, (e) => e.callTransfer(req.params.call, req.body as Static<typeof TransferTarget>)));
  app.post('/api/v1/accounts/:id/calls/:call/ivr', {
    config: audited(telephony, 'call-ivr'),
    schema: {
      summary: 'IVR input: a DTMF key, or recognised speech with its score', tags, params: CallParams, response: responses,
      body: Type.Union([
        Type.Object({ dtmf: Type.String({ pattern: '^[0-9*#]$' }) }, { additionalProperties: false }),
        Type.Object({ speech: Type.String({ minLength: 1, maxLength: 200 }), score: Type.Integer({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }),
      ]),
    },
  }, async (req) => run(req.params, (e) => e.ivrInput(req.params.call, req.body)));

  // ---- Operator toolbar -------------------------------------------------------------
  const opAction = (path: string, summary: string, act: (e: Engine, op: number) => EngineResult<object>) =>
    app.post(`/api/v1/accounts/:id/operators/:op/${path}`, { config: audited(toolbar, path), schema: { summary, tags, params: OpParams, response: responses } },
      async (req) => run(req.params, (e) => act(e, req.params.op)));
  opAction('login', 'Operator logs in', (e, op) => e.operatorLogin(op));
  opAction('logout', 'Operator logs out', (e, op) => e.operatorLogout(op));
  opAction('unpause', 'Operator ends a pause', (e, op) => e.operatorUnpause(op));
  opAction('answer', 'Operator answers the ringing call', (e, op) => e.operatorAnswer(op));
  opAction('hangup', 'Operator hangs up', (e, op) => e.operatorHangup(op));
  opAction('reject', 'Operator refuses the call ringing for them (as a 603 Decline: the next operator is rung)', (e, op) => e.operatorReject(op));
  opAction('hold', 'Operator puts the caller on hold (the caller hears the group music)', (e, op) => e.operatorHold(op));
  opAction('unhold', 'Operator takes the caller back from hold', (e, op) => e.operatorUnhold(op));
  opAction('end-wrapup', 'Operator ends their wrap-up early', (e, op) => e.operatorEndWrapup(op));
  app.post('/api/v1/accounts/:id/operators/:op/disposition', {
    config: audited(toolbar, 'disposition'),
    schema: { summary: "Operator tags their call (or the one they wrap up) with a disposition", tags, params: OpParams, body: Type.Object({ disposition: Id }, { additionalProperties: false }), response: responses },
  }, async (req) => run(req.params, (e) => e.operatorDisposition(req.params.op, req.body.disposition)));
  for (const [path, on] of [['suspend', true], ['unsuspend', false]] as const) {
    app.post(`/api/v1/accounts/:id/operators/:op/${path}`, {
      config: audited(supervise, path),
      schema: { summary: on ? 'Supervisor suspends the operator in one group' : "Supervisor lifts the operator's suspension in one group", tags, params: OpParams, body: Type.Object({ group: Id }, { additionalProperties: false }), response: responses },
    }, async (req) => {
      // A supervisor of some groups suspends its operators in its own groups only.
      if (!seesGroup(principalOf(req).scope, req.body.group)) throw vmError('FORBIDDEN', `Group ${req.body.group} is not one of this supervisor's groups.`);
      return run(req.params, (e) => e.operatorSuspend(req.params.op, req.body.group, on));
    });
  }
  app.post('/api/v1/accounts/:id/operators/:op/pause', {
    config: audited(toolbar, 'pause'),
    schema: { summary: 'Operator takes a pause', tags, params: OpParams, body: Type.Object({ pause: Id }, { additionalProperties: false }), response: responses },
  }, async (req) => run(req.params, (e) => e.operatorPause(req.params.op, req.body.pause)));
  app.post('/api/v1/accounts/:id/operators/:op/transfer', { config: audited(toolbar, 'transfer'), schema: { summary: "Operator transfers their call", tags, params: OpParams, body: TransferTarget, response: responses } },
    async (req) => run(req.params, (e) => e.operatorTransfer(req.params.op, req.body as Static<typeof TransferTarget>)));
  app.post('/api/v1/accounts/:id/operators/:op/consult', {
    config: toolbar,
    schema: {
      summary: 'Operator puts the caller on hold and rings another operator (the longest-idle available one of a group, or an external number) to talk first (consultative transfer)',
      tags, params: OpParams, body: ConsultTarget, response: responses,
    },
  }, async (req) => run(req.params, (e) => e.operatorConsult(req.params.op, req.body as Static<typeof ConsultTarget>)));
  opAction('consult/complete', 'Operator hands the caller on hold to the operator or number they consult, and wraps up', (e, op) => e.operatorConsultComplete(op));
  opAction('consult/cancel', 'Operator ends the consultation: the consulted operator is freed (or the number hung up), the caller stays on hold until resumed', (e, op) => e.operatorConsultCancel(op));
  app.post('/api/v1/accounts/:id/operators/:op/call', {
    config: audited(toolbar, 'call'),
    schema: { summary: 'Operator dials a number (outgoing call)', tags, params: OpParams, body: Type.Object({ e164: E164 }, { additionalProperties: false }), response: responses },
  }, async (req) => run(req.params, (e) => e.operatorCall(req.params.op, req.body.e164)));
  app.post('/api/v1/accounts/:id/operators/:op/pushes/:push/accept', { config: audited(toolbar, 'push-accept'), schema: { summary: 'Operator accepts a pushed callback', tags, params: PushParams, response: responses } },
    async (req) => run(req.params, (e) => e.pushAccept(req.params.op, req.params.push)));
  app.post('/api/v1/accounts/:id/operators/:op/pushes/:push/refuse', { config: audited(toolbar, 'push-refuse'), schema: { summary: 'Operator refuses a pushed callback', tags, params: PushParams, response: responses } },
    async (req) => run(req.params, (e) => e.pushRefuse(req.params.op, req.params.push)));

  // ---- Web callback --------------------------------------------------------------------
  app.post('/api/v1/accounts/:id/callbacks', {
    config: audited(account, 'callback'),
    schema: {
      summary: 'Ask for a callback (what the signed web link does)', tags, params: Account, response: responses,
      body: Type.Object({
        e164: E164,
        priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        type: Type.Optional(Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')])),
        group: Type.Optional(Id),
        vars: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }, { additionalProperties: false }),
    },
  }, async (req) => {
    const { e164, priority, type, group, vars } = req.body;
    const { scope } = principalOf(req);
    if (scope && (group === undefined || !seesGroup(scope, group))) throw vmError('FORBIDDEN', 'A supervisor of some groups asks for callbacks in one of its groups: give group.');
    return run(req.params, (e) => e.callbackRequest({ e164, ...(priority ? { priority } : {}), ...(type ? { type } : {}), ...(group ? { groupId: group } : {}), ...(vars ? { vars } : {}) }));
  });
  app.delete('/api/v1/accounts/:id/callbacks/:push', { config: audited(account, 'callback-cancel'), schema: { summary: 'Cancel a callback request', tags, params: Type.Object({ id: Id, push: Id }), response: responses } },
    async (req) => {
      // A push names no group once it is queued: only who sees the whole account cancels one.
      if (principalOf(req).scope) throw vmError('FORBIDDEN', 'A supervisor of some groups cannot cancel callbacks; ask one of the whole account.');
      return run(req.params, (e) => e.callbackCancel(req.params.push));
    });

  // ---- What the engine holds ---------------------------------------------------------------
  app.get('/api/v1/accounts/:id/calls', { config: account, schema: { summary: 'Calls in progress (a supervisor of some groups: those in its queues or with its operators)', tags, params: Account, response: { 200: Type.Unknown(), '4xx': errorSchema } } }, async (req) => {
    const e = await engine(req.params);
    const { scope } = principalOf(req);
    return e.activeCalls().flatMap((id) => {
      const c = e.call(id);
      if (!c) return [];
      const seen = !scope || (c.id_queue !== null && seesGroup(scope, c.id_queue)) || (c.id_operator !== null && seesOperator(scope, c.id_operator));
      return seen ? [c] : [];
    });
  });
};
