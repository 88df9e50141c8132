// Generates docs/asyncapi.yaml, the AsyncAPI 3 document of the Socket.IO stream, from the
// protocol module: one `update` message per catalogue entry (its msg schema is the
// catalogue's own), `init` with its options and acknowledgement, `init_error`, `stats`.
// `npm run docs:asyncapi` rewrites it; a test fails when the checked-in file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type, type TSchema } from 'typebox';
import { stringify } from 'yaml';
import { CATALOGUE, DEFAULT_TYPES, NOTIFICATION_TYPES, OPT_IN_TYPES } from '../src/protocol/index.ts';

export const ASYNCAPI_FILE = fileURLToPath(new URL('../docs/asyncapi.yaml', import.meta.url));

// The envelope shapes of src/protocol/envelope.ts as schemas. envelope.ts declares them as
// TypeScript interfaces; test/docs.test.ts proves these schemas have exactly those types.
const Types = Type.Array(Type.Enum(NOTIFICATION_TYPES), {
  description: `Restrict the stream to these types. Without it: ${DEFAULT_TYPES.join(', ')}; ${OPT_IN_TYPES.join(' and ')} only when listed.`,
});
export const InitOptionsSchema = Type.Object(
  {
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'Replay every event with a larger cpt, in order, before live ones: no gap, no duplicate.' })),
    types: Type.Optional(Types),
    stats: Type.Optional(Type.Boolean({ description: 'Also receive `stats` events (live metrics each second). Default false.' })),
  },
  { description: 'Extension: the optional 5th argument of init.' },
);
export const ErrorBodySchema = Type.Object(
  { error: Type.String({ description: 'Stable error code' }), message: Type.String({ description: 'A human sentence' }) },
  { description: 'Every refusal, over HTTP and over the socket.' },
);
export const InitAckSchema = Type.Union(
  [
    Type.Object({ ok: Type.Literal(true), id_client: Type.Integer(), cpt: Type.Integer({ description: 'The last cpt: the stream is live from here.' }) }),
    Type.Object({ ok: Type.Literal(false), error: Type.String(), message: Type.String() }),
  ],
  { description: 'Extension: the acknowledgement of init, when the last argument is a function.' },
);
const notification = (type: string, event: string, msg: TSchema) =>
  Type.Object({
    event: Type.Literal(event),
    type_notification: Type.Literal(type),
    msg,
    srv: Type.Optional(Type.Integer({ minimum: 0, description: 'Server/node number (num events)' })),
  });
const envelope = (event: TSchema) =>
  Type.Object({
    ts: Type.Integer({ description: 'Unix seconds when the server sent it' }),
    elapse: Type.Integer({ minimum: 0, description: 'Seconds between the event and its sending (> 0 on replay)' }),
    cpt: Type.Integer({ minimum: 1, description: 'Event number per account: +1 per event, gapless, never reused' }),
    event,
  });
const entries = NOTIFICATION_TYPES.flatMap((type) => Object.entries(CATALOGUE[type] as Record<string, TSchema>).map(([event, msg]) => ({ type, event, msg })));
/** The `update` argument, for any catalogue entry. */
export const UpdateSchema = envelope(Type.Union(entries.map((e) => notification(e.type, e.event, e.msg))));

/** Plain JSON (TypeBox's schemas carry symbols and may share objects). */
const json = (s: unknown) => JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
const ref = (path: string) => ({ $ref: path });

const SUMMARY: Record<string, string> = {
  'operator.status': "An operator's status changed (available, ringing, calling, connected, unavailable, transfert_start, transfert_end)",
  'UI.login': 'An operator logged in',
  'UI.logout': 'An operator logged out',
  'UI.pause': 'An operator took a pause (supp: the pause id)',
  'UI.unpause': 'An operator came back from a pause',
  'UI.push': 'A call was pushed to an operator',
  'UI.push_cancel': 'A push was cancelled',
  'PUSHCALL.request': 'A request to make an operator place an outgoing call (web callback, campaign)',
  'queue.insert_call': 'A call entered a group queue',
  'queue.connect_call': 'A queued call was connected to an operator',
  'queue.delete_call': 'A call left a group queue (answered or abandoned)',
  'queue.alert_op': 'Alert: no operator available for a group',
  'queue.alert_file': 'Alert: a call has waited too long in a queue',
  'trunk.insert_call': 'A call was routed to a trunk',
  'trunk.connect_call': 'A trunk call was answered',
  'trunk.delete_call': 'A trunk call ended',
  'num.start': 'A call reached a service number (opt-in type)',
  'num.answer': 'A call to a service number was answered (opt-in type)',
  'num.end': 'A call to a service number ended (opt-in type)',
  'input.asr': 'Speech recognised in the IVR (opt-in type)',
};

/** The whole document, as an object. */
export function asyncApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    InitOptions: json(InitOptionsSchema),
    InitAck: json(InitAckSchema),
    ErrorBody: json(ErrorBodySchema),
  };
  const messages: Record<string, unknown> = {
    init: {
      name: 'init',
      title: 'init',
      summary: 'Subscribe: emit("init", userType, target, id_session[, options][, ack])',
      description:
        "Sent once after connecting. `target` is the supervisor id (`supervisor`, token from POST /ws/), the account id (`api`) or the operator id (`agent`), tokens from POST /vm/token. Ids may be sent as strings of digits. A bad init gets `init_error` and the socket is closed; nothing valid within 30 s closes it too.",
      payload: {
        type: 'array',
        description: 'The Socket.IO event arguments, in order (the acknowledgement callback, if any, comes last).',
        minItems: 3,
        maxItems: 4,
        items: [
          { type: 'string', enum: ['supervisor', 'api', 'agent'], description: 'userType' },
          { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^[0-9]+$' }], description: 'target' },
          { type: 'string', description: 'id_session' },
          ref('#/components/schemas/InitOptions'),
        ],
      },
    },
    initAck: {
      name: 'init acknowledgement',
      title: 'init acknowledgement',
      summary: 'Extension: the Socket.IO acknowledgement of init',
      payload: ref('#/components/schemas/InitAck'),
    },
    init_error: {
      name: 'init_error',
      title: 'init_error',
      summary: 'init was refused; the socket is then disconnected',
      description: 'Also sent to a live socket whose token was revoked (a logout, a changed password, a removed user or operator), with error TOKEN_REVOKED, before it is disconnected: log in again.',
      payload: ref('#/components/schemas/ErrorBody'),
    },
    stats: {
      name: 'stats',
      title: 'stats',
      summary: 'Extension: live metrics each second, for subscriptions that asked with {stats: true}',
      description: 'The same object as GET /api/v1/realtime answers (see the OpenAPI document at /docs/json).',
      payload: { type: 'object', required: ['id_client', 'cpt'], properties: { id_client: { type: 'integer' }, cpt: { type: 'integer', description: 'The last cpt the metrics reflect' } } },
    },
  };
  const updateRefs: unknown[] = [];
  for (const { type, event, msg } of entries) {
    const key = `${type}.${event}`;
    schemas[key] = json(msg);
    messages[key] = {
      name: 'update',
      title: `${type}/${event}`,
      summary: SUMMARY[key] ?? `${type}/${event}`,
      description: `Socket.IO event \`update\` whose \`event.type_notification\` is \`${type}\` and \`event.event\` is \`${event}\`.`,
      'x-type-notification': type,
      'x-event': event,
      payload: json(envelope(notification(type, event, Type.Unsafe(ref(`#/components/schemas/${key}`))))),
    };
    updateRefs.push(ref(`#/channels/stream/messages/${key}`));
  }
  const channelMessages = Object.fromEntries(Object.keys(messages).map((k) => [k, ref(`#/components/messages/${k}`)]));
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'Voice Management notification stream',
      version: '0.1.0',
      description: [
        'The real-time stream of the Voice Management notifications API, over Socket.IO (v4, and v2/v3 clients with Engine.IO protocol 3; websocket and long-polling).',
        '',
        '1. Get a token: `POST /ws/` (supervisor, X-JSON header) or `POST /vm/token` (API user; api or agent token). See the OpenAPI document at `/docs/json`.',
        '2. Connect to the Socket.IO path `/socket.io/` and emit `init`.',
        '3. Receive `update` events: `{ts, elapse, cpt, event: {type_notification, event, msg}}`. `cpt` is per account, +1 per event, gapless, and survives restarts: resume with `init(..., {since: lastCpt})` and nothing is lost or repeated.',
        '',
        'Each catalogue entry (PROTOCOL §5) is a message of its own below, all sent as the Socket.IO event `update`.',
        'Generated from src/protocol by `npm run docs:asyncapi`.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:8080',
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'A local server (`npm start`). Socket.IO also falls back to HTTP long-polling on the same path.',
      },
    },
    channels: {
      stream: {
        address: '/socket.io/',
        title: 'Notification stream',
        description: 'One Socket.IO connection per subscription, on the default namespace.',
        messages: channelMessages,
      },
    },
    operations: {
      init: {
        action: 'receive',
        title: 'Subscribe',
        summary: 'The client subscribes with a token; the server acknowledges with the current cpt.',
        channel: ref('#/channels/stream'),
        messages: [ref('#/channels/stream/messages/init')],
        reply: { channel: ref('#/channels/stream'), messages: [ref('#/channels/stream/messages/initAck')] },
      },
      update: {
        action: 'send',
        title: 'Notifications',
        summary: 'Every event of the subscription, in cpt order (replayed ones first when init asked for since).',
        channel: ref('#/channels/stream'),
        messages: updateRefs,
      },
      init_error: {
        action: 'send',
        title: 'Refusal',
        channel: ref('#/channels/stream'),
        messages: [ref('#/channels/stream/messages/init_error')],
      },
      stats: {
        action: 'send',
        title: 'Live metrics',
        channel: ref('#/channels/stream'),
        messages: [ref('#/channels/stream/messages/stats')],
      },
    },
    components: { schemas, messages },
  };
}

/** The YAML text of docs/asyncapi.yaml. */
export function asyncApiYaml(): string {
  return `# GENERATED by scripts/gen-asyncapi.ts from src/protocol: do not edit, run \`npm run docs:asyncapi\`.\n${stringify(asyncApiDocument(), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ASYNCAPI_FILE, asyncApiYaml());
  console.log(`wrote ${ASYNCAPI_FILE}`);
}
