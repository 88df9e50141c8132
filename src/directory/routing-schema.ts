// Optional routing fields of the account file (issue 3): IVR menus, opening hours, group
// distribution settings, alerts, forbidden destinations and web callback. Every field is
// optional with a documented default, so a plain directory file stays valid.
import { Type, type Static, type TSchema } from 'typebox';
import { Day } from '../protocol/index.ts';

const Id = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Seconds = Type.Number({ minimum: 0, maximum: 86_400 });
const Digits = Type.String({ pattern: '^[0-9]{1,20}$' });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' });
/**
 * A sound to play: the id of one of the account's sounds, or a built-in one
 * (`default:welcome`, `default:menu`, `default:hold`, `default:goodbye`, `default:closed`).
 */
export const SoundRef = Type.String({ pattern: '^(default:)?[a-z0-9][a-z0-9_-]{0,63}$' });

/** Where a call goes: a group queue, a trunk, an IVR menu, or hang up. */
export const RouteSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('group'), Type.Literal('trunk'), Type.Literal('ivr'), Type.Literal('hangup')]),
    id: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type Route = Static<typeof RouteSchema>;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const Weekday = Type.Enum(WEEKDAYS);

/** Opening hours of a number; outside them the number's `fallback` route is taken. */
export const OpeningHoursSchema = Type.Object(
  {
    /** IANA time zone of the slots. @default "UTC" */
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    /** Open intervals, e.g. `{days: [mon, tue], from: "08:00", to: "18:00"}`. */
    slots: Type.Array(Type.Object({ days: Type.Array(Weekday, { minItems: 1 }), from: HHMM, to: HHMM }), { maxItems: 50 }),
    /** Whole days closed (holidays), `YYYY-MM-DD` in the time zone. */
    closed_dates: Type.Optional(Type.Array(Day('YYYY-MM-DD'), { maxItems: 400 })),
  },
  { additionalProperties: true },
);
export type OpeningHours = Static<typeof OpeningHoursSchema>;

/** Routing fields of a number (all optional). */
export const NumberRoutingFields = {
  name: Type.Optional(Name),
  /** Opening hours; always open when absent. */
  hours: Type.Optional(OpeningHoursSchema),
  /** Route taken outside opening hours. @default {type: "hangup"} */
  fallback: Type.Optional(RouteSchema),
  /** Calls on this number are recorded (`rec: 1`). @default false */
  rec: Type.Optional(Type.Boolean()),
  /** A message is played on arrival, which answers the call (`num/answer`). @default false */
  announcement: Type.Optional(Type.Boolean()),
  /** The sound of the announcement. @default "default:welcome" */
  announcement_sound: Type.Optional(SoundRef),
} satisfies Record<string, TSchema>;

/** One choice of an IVR menu, reached by a DTMF key or by speech containing a keyword. */
export const IvrOptionSchema = Type.Object(
  {
    dtmf: Type.Optional(Type.String({ pattern: '^[0-9*#]$' })),
    speech: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50 })),
    label: Type.Optional(Name),
    route: RouteSchema,
  },
  { additionalProperties: true },
);

/** An IVR menu, the target of a `{type: "ivr", id}` route. */
export const IvrSchema = Type.Object(
  {
    id: Id,
    name: Name,
    /** Accepted input. @default "both" */
    input: Type.Optional(Type.Union([Type.Literal('dtmf'), Type.Literal('speech'), Type.Literal('both')])),
    /** Seconds to wait for an input. @default 10 */
    timeout: Type.Optional(Seconds),
    /** Extra attempts after no input or no match. @default 1 */
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
    /** Speech recognised below this score (0–100) is not trusted. @default 50 */
    min_score: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    options: Type.Array(IvrOptionSchema, { minItems: 1, maxItems: 20 }),
    /** Route after the last failed attempt. @default {type: "hangup"} */
    default_route: Type.Optional(RouteSchema),
    /** The menu's prompt, played on entry and on each retry. @default "default:menu" */
    prompt: Type.Optional(SoundRef),
  },
  { additionalProperties: true },
);
export type Ivr = Static<typeof IvrSchema>;

/** Alert thresholds of a group. */
export const GroupAlertsSchema = Type.Object(
  {
    /** `alert_op` when calls wait and fewer than `min_available` operators are available. */
    op: Type.Optional(Type.Object({ min_available: Type.Integer({ minimum: 1, maximum: 10_000 }), validity: Type.Optional(Seconds) })),
    /** `alert_file` when a call has waited `wait` seconds. */
    file: Type.Optional(Type.Object({ wait: Seconds, validity: Type.Optional(Seconds) })),
  },
  { additionalProperties: true },
);

export const STRATEGIES = ['longest-idle', 'round-robin', 'ring-all'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Routing fields of a group (all optional). */
export const GroupRoutingFields = {
  /** Priority of its calls (1–100), higher served first across an operator's groups. @default 50 */
  priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  /** Weight multiplying the priority when ranking calls across groups. @default 1 */
  vip_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  /** @default "longest-idle" */
  strategy: Type.Optional(Type.Enum(STRATEGIES)),
  /** Seconds an operator rings before the call goes to the next one. @default 20 */
  ring_timeout: Type.Optional(Seconds),
  /** Seconds a call may wait before taking `overflow`. No limit when absent. */
  max_wait: Type.Optional(Seconds),
  /** Route taken after `max_wait`. @default {type: "hangup"} */
  overflow: Type.Optional(RouteSchema),
  /** Wrap-up seconds after each call. @default 0 */
  catchup: Type.Optional(Seconds),
  /** Calls of this group are recorded. @default false */
  rec: Type.Optional(Type.Boolean()),
  alerts: Type.Optional(GroupAlertsSchema),
  /** Music callers hear while they wait. @default "default:hold" */
  music: Type.Optional(SoundRef),
  /** Seconds an operator whose phone refused a call (busy, declined...) is offered no other. @default 5 */
  ring_retry: Type.Optional(Seconds),
} satisfies Record<string, TSchema>;

/** Routing fields of a trunk (all optional). */
export const TrunkRoutingFields = {
  /** Seconds the external number rings before the call is given up. @default 30 */
  ring_timeout: Type.Optional(Seconds),
} satisfies Record<string, TSchema>;

/** Web callback ("WebCallBack") settings of the account. */
export const WebCallbackSchema = Type.Object(
  {
    /** @default true when the section is present */
    enabled: Type.Optional(Type.Boolean()),
    /** Group whose operators receive the pushes; any logged-in operator when absent. */
    group: Type.Optional(Id),
    /** @default "AUTO" */
    type: Type.Optional(Type.Union([Type.Literal('AUTO'), Type.Literal('MANUAL')])),
    /** @default 50 */
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    /** Seconds the visitor's phone rings. @default 30 */
    ring_timeout: Type.Optional(Seconds),
    /** Seconds between two attempts. @default 60 */
    retry_timeout: Type.Optional(Seconds),
    /** AUTO: seconds before the call starts by itself. @default 5 */
    auto_timeout: Type.Optional(Seconds),
    /** MANUAL: seconds before an unaccepted push goes to another operator. @default 60 */
    unassign_timeout: Type.Optional(Seconds),
    /** Attempts after the first. @default 2 */
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 20 })),
    /** Seconds after the request when it expires. @default 3600 */
    expire_after: Type.Optional(Seconds),
    /** Requests the public callback link takes per hour (429 beyond). @default 120 */
    max_requests_per_hour: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** Secret signing the per-account callback link (HMAC); kept out of exports. */
    secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
  },
  { additionalProperties: true },
);
export type WebCallback = Static<typeof WebCallbackSchema>;

/** Account-level routing fields (all optional). */
export const AccountRoutingFields = {
  ivrs: Type.Optional(Type.Array(IvrSchema, { maxItems: 1000 })),
  /** Number prefixes no transfer, outgoing call or callback may reach (e.g. premium rates). */
  forbidden_destinations: Type.Optional(Type.Array(Digits, { maxItems: 1000 })),
  web_callback: Type.Optional(WebCallbackSchema),
} satisfies Record<string, TSchema>;
