// The event catalogue of PROTOCOL §5: every `type_notification` / `event` pair and the
// fields of its `msg`. Defined once as JSON Schema (TypeBox) so the same definition gives
// the TypeScript types, the publish-time validator, and the AsyncAPI/OpenAPI documents.
import { Type, type Static, type TSchema } from 'typebox';
import { CallerNumber, CallId as CallIdField, Digits, Id as IdField, IdOrZero } from './fields.ts';

const Id = IdField();
/** Call ids may be negative: outgoing calls are numbered below zero (guide §4.2.1). */
const CallId = CallIdField();
const Seconds = Type.Number({ minimum: 0, description: 'Seconds' });
const E164 = Digits(1, 32);
/** The caller's number: digits (a spreadsheet or a dialler must never see a formula here). */
const Caller = CallerNumber();

export const OPERATOR_STATUSES = [
  'available',
  'ringing',
  'calling',
  'connected',
  'unavailable',
  'transfert_start',
  'transfert_end',
] as const;
export type OperatorStatus = (typeof OPERATOR_STATUSES)[number];

const msg = <P extends Record<string, TSchema>>(props: P) =>
  // Extra fields are tolerated (the guide itself shows `stype`): a telephony system may
  // push more than we know of; the fields we know are type-checked.
  Type.Object(props, { additionalProperties: true });

const OperatorStatusMsg = msg({
  status: Type.Enum(OPERATOR_STATUSES),
  id_operator: Id,
  id_client: Id,
  id_call: Type.Optional(CallId),
  id_queue: Type.Optional(IdOrZero()),
  caller_id_num: Type.Optional(Caller),
  call_duration: Type.Optional(Seconds),
  step: Type.Optional(Type.Integer()),
  rec: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
  catchup: Type.Optional(Seconds),
  service: Type.Optional(E164),
  duration_in_queue: Type.Optional(Type.Number({ minimum: 0, description: 'Extension, with `ringing`: seconds the caller has waited in this queue' })),
  ivr: Type.Optional(Type.String({ maxLength: 1024, description: 'Extension, with `ringing` and `connected`: the caller’s choice in the IVR (the DTMF key, or the speech recognised)' })),
  ivr_label: Type.Optional(Type.String({ maxLength: 200, description: 'Extension, with `ivr`: the `label` of the IVR option chosen, when the account file gives one' })),
});

const UiMsg = msg({
  id_operator: Id,
  id_client: Id,
  supp: Type.Union([Type.String({ maxLength: 64 }), Type.Integer()]),
});

/**
 * Our extensions (additive, PROTOCOL §5 "Extensions"): an operator puts a call on hold and
 * takes it back (`hold` / `unhold`), tags it with a disposition (`disposition`, `supp` = the
 * disposition id), consults someone while the caller is on hold (`consult`, `supp` = who is
 * consulted, `operator:<id>` or `number:<e164>`; `consult_answer` when they answer; `consult_end`,
 * `supp` = `complete` (the caller is now theirs), `cancel`, `failed` (no answer, busy,
 * unreachable) or `ended` (the call or the consulted party hung up)), and a supervisor suspends / unsuspends an
 * operator in one group (`suspend` / `unsuspend`, `id_queue`).
 */
const UiCallMsg = msg({
  id_operator: Id,
  id_client: Id,
  id_call: CallId,
  supp: Type.Union([Type.String({ maxLength: 64 }), Type.Integer()]),
});

const UiGroupMsg = msg({
  id_operator: Id,
  id_client: Id,
  id_queue: Id,
  supp: Type.Union([Type.String({ maxLength: 64 }), Type.Integer()]),
});

const PushMsg = msg({
  id_operator: Id,
  id_client: Id,
  type: Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')]),
  priority: Type.Integer({ minimum: 1, maximum: 100 }),
  e164: E164,
  ring_timeout: Type.Optional(Seconds),
  retry_timeout: Type.Optional(Seconds),
  auto_timeout: Type.Optional(Seconds),
  unassign_timeout: Type.Optional(Seconds),
  retries: Type.Optional(Type.Integer({ minimum: 0 })),
  expire: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()])),
  vars: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  id_push: Type.Optional(Id),
});

const PushCallMsg = msg({
  id_push: Id,
  id_operator: IdOrZero('The operator, 0 until assigned'),
  id_client: Id,
  e164: E164,
  priority: Type.Integer({ minimum: 1, maximum: 100 }),
  type: Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')]),
  vars: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

const QueueInsertMsg = msg({
  id_call: CallId,
  id_queue: Id,
  id_client: Id,
  caller_id_num: Caller,
  priority: Type.Optional(Type.Integer()),
  vip_rate: Type.Optional(Type.Number()),
  call_duration: Type.Optional(Seconds),
  duration_in_queue: Type.Optional(Seconds),
});

const QueueConnectMsg = msg({
  id_call: CallId,
  id_queue: Id,
  id_client: Id,
  id_operator: Id,
  status: Type.Literal('connected'),
  caller_id_num: Type.Optional(Caller),
  call_duration: Type.Optional(Seconds),
  step: Type.Optional(Type.Integer()),
});

const QueueDeleteMsg = msg({
  id_call: CallId,
  id_queue: Id,
  id_client: Id,
  duration_in_queue: Type.Optional(Seconds),
});

const AlertOpMsg = msg({
  id_queue: Id,
  id_client: Id,
  duration_in_queue: Type.Optional(Seconds),
  validity: Seconds,
});

const AlertFileMsg = msg({
  id_queue: Id,
  id_client: Id,
  id_call: CallId,
  duration_in_queue: Seconds,
  validity: Seconds,
});

const TrunkMsg = msg({
  id_call: CallId,
  id_trunk: Id,
  id_client: Type.Optional(Id),
  caller_id_num: Type.Optional(Caller),
  call_duration: Type.Optional(Seconds),
  duration_in_queue: Type.Optional(Seconds),
  status: Type.Optional(Type.Literal('connected')),
});

const NumMsg = msg({
  id_call: CallId,
  id_num: Id,
  id_client: Id,
  service: E164,
  caller_id_num: Caller,
  type_dest: Type.Union([Type.Literal('GROUPE'), Type.Literal('TRUNK'), Type.Literal('NO')]),
});

const AsrMsg = msg({
  id_call: CallId,
  id_client: Id,
  id: Id,
  input: Type.String({ maxLength: 1024 }),
  score: Type.Integer({ minimum: 0, maximum: 100 }),
});

/** type_notification → event → schema of `msg`. The single source of the catalogue. */
export const CATALOGUE = {
  operator: { status: OperatorStatusMsg },
  UI: {
    login: UiMsg,
    logout: UiMsg,
    pause: UiMsg,
    unpause: UiMsg,
    push: PushMsg,
    push_cancel: PushMsg,
    hold: UiCallMsg,
    unhold: UiCallMsg,
    disposition: UiCallMsg,
    consult: UiCallMsg,
    consult_answer: UiCallMsg,
    consult_end: UiCallMsg,
    suspend: UiGroupMsg,
    unsuspend: UiGroupMsg,
  },
  PUSHCALL: { request: PushCallMsg },
  queue: {
    insert_call: QueueInsertMsg,
    connect_call: QueueConnectMsg,
    delete_call: QueueDeleteMsg,
    alert_op: AlertOpMsg,
    alert_file: AlertFileMsg,
  },
  trunk: { insert_call: TrunkMsg, connect_call: TrunkMsg, delete_call: TrunkMsg },
  num: { start: NumMsg, answer: NumMsg, end: NumMsg },
  input: { asr: AsrMsg },
} as const;

type Catalogue = typeof CATALOGUE;
export type NotificationType = keyof Catalogue;
export const NOTIFICATION_TYPES = Object.keys(CATALOGUE) as NotificationType[];

/** Types a subscription gets only when it asks for them (PROTOCOL §4). */
export const OPT_IN_TYPES: readonly NotificationType[] = ['num', 'input'];
/** Types a subscription without `types` gets. */
export const DEFAULT_TYPES: readonly NotificationType[] = NOTIFICATION_TYPES.filter(
  (t) => !OPT_IN_TYPES.includes(t),
);

/**
 * One notification: the `event` object of the `update` envelope, a discriminated union
 * over `type_notification` + `event`.
 */
export type Notification = {
  [T in NotificationType]: {
    [E in keyof Catalogue[T]]: {
      type_notification: T;
      event: E;
      msg: Catalogue[T][E] extends TSchema ? Static<Catalogue[T][E]> : never;
      /** Server/node number; present on `num` events only, as in the guide. */
      srv?: number;
    };
  }[keyof Catalogue[T]];
}[NotificationType];

/** The msg type of one catalogue entry, e.g. `MsgOf<'queue', 'insert_call'>`. */
export type MsgOf<T extends NotificationType, E extends keyof Catalogue[T]> =
  Catalogue[T][E] extends TSchema ? Static<Catalogue[T][E]> : never;

export function isNotificationType(t: unknown): t is NotificationType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(CATALOGUE, t);
}

export function eventsOf(type: NotificationType): string[] {
  return Object.keys(CATALOGUE[type]);
}

export function msgSchema(type: NotificationType, event: string): TSchema | undefined {
  const entry = CATALOGUE[type] as Record<string, TSchema>;
  return Object.prototype.hasOwnProperty.call(entry, event) ? entry[event] : undefined;
}
