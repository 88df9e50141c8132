// The account file: the directory of one account (PROTOCOL §1), as `vm import` reads it
// and `vm export` writes it (JSON or YAML). Routing extensions are optional, so a plain
// directory file stays valid.
import { Type, type Static } from 'typebox';
import {
  AccountRoutingFields,
  GroupRoutingFields,
  NumberRoutingFields,
  RouteSchema,
  TrunkRoutingFields,
} from './routing-schema.ts';
import { SOUND_ID_PATTERN } from '../sounds/ids.ts';

const Id = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const E164 = Type.String({ pattern: '^[0-9]{3,20}$' });
/** A screen-pop template: http or https, no spaces or control characters. */
export const POPUP_URL_PATTERN = '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s\\x00-\\x1f\\x7f]+$';
/** `_blank`, or a window name (not `_self`, `_top`, `_parent`: the toolbar stays). */
export const POPUP_TARGET_PATTERN = '^(_blank|[A-Za-z0-9][A-Za-z0-9_-]{0,63})$';

/**
 * A sound of the account (prompts, announcements, hold music): `file` is read at `vm import`
 * (a path relative to the account file; WAV or MP3), converted and stored by content; the
 * stored directory keeps `sha256` and `duration_ms` instead. Without `file`, the stored
 * sound with this `sha256`, or else the account's stored sound of this id, is kept.
 */
export const SoundSchema = Type.Object(
  {
    id: Type.String({ pattern: SOUND_ID_PATTERN, description: 'lower-case letters, digits, - and _; up to 64' }),
    name: Name,
    file: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
    duration_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 3_600_000 })),
  },
  { additionalProperties: false },
);
export type Sound = Static<typeof SoundSchema>;

export { RouteSchema } from './routing-schema.ts';
export type { Route } from './routing-schema.ts';

/** The digest realm of operators' SIP phones (their stored HA1 is bound to it). */
export const SIP_REALM = 'voice-management';

export const AccountFileSchema = Type.Object(
  {
    account: Type.Object(
      {
        id: Id,
        name: Name,
        /**
         * The number presented (SIP From) on the calls the account places: an operator's
         * click-to-call and web callbacks. Default: the account's first service number;
         * "anonymous": none (From 0).
         */
        caller_id: Type.Optional(Type.Union([E164, Type.Literal('anonymous')])),
      },
      { additionalProperties: true },
    ),
    groups: Type.Optional(Type.Array(Type.Object({ id: Id, name: Name, ...GroupRoutingFields }, { additionalProperties: true }))),
    operators: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Id,
            name: Name,
            groups: Type.Optional(Type.Array(Id)),
            e164: Type.Optional(E164),
            /** The number this operator's own calls present, instead of the account's `caller_id`. */
            caller_id: Type.Optional(Type.Union([E164, Type.Literal('anonymous')])),
            login: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            /**
             * With `login`, the operator signs in to the toolbar (`POST /ws/` with account_type
             * "operator"). Hashed at import, never exported; left out for an operator who has
             * one, the stored hash stays (as for supervisors).
             */
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
            email: Type.Optional(Type.String({ maxLength: 320 })),
            /**
             * The operator's SIP phone (desk phone or softphone) registers with these
             * credentials; the password is kept as its digest hash (HA1) only.
             */
            sip: Type.Optional(
              Type.Object(
                {
                  username: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
                  password: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
                },
                { additionalProperties: false },
              ),
            ),
            /**
             * Screen pop: the toolbar opens this http(s) URL for an inbound call, its `{caller}`,
             * `{id_call}`, `{service}` and `{id_queue}` replaced by the call's values (URL-encoded).
             */
            popup_url: Type.Optional(Type.String({ pattern: POPUP_URL_PATTERN, maxLength: 2048, description: 'http(s) URL template: {caller} {id_call} {service} {id_queue}' })),
            /** When the toolbar opens `popup_url`: as the call rings, or once answered. @default "answer" */
            popup_on: Type.Optional(Type.Union([Type.Literal('ring'), Type.Literal('answer')])),
            /** `_blank` (a new tab per call) or a window name (one window, reused). @default "_blank" */
            popup_target: Type.Optional(Type.String({ pattern: POPUP_TARGET_PATTERN, description: '_blank, or a window name: letters, digits, - and _, up to 64' })),
          },
          { additionalProperties: true },
        ),
      ),
    ),
    trunks: Type.Optional(
      Type.Array(Type.Object({ id: Id, name: Name, destination: E164, ...TrunkRoutingFields }, { additionalProperties: true })),
    ),
    pauses: Type.Optional(
      Type.Array(
        Type.Object(
          {
            id: Id,
            label: Name,
            /** Seconds after which an operator on this pause is made available again by itself. */
            max_duration: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
          },
          { additionalProperties: true },
        ),
      ),
    ),
    /** What an operator may tag a call with during the call or its wrap-up (stored in its history). */
    dispositions: Type.Optional(Type.Array(Type.Object({ id: Id, label: Name }, { additionalProperties: true }), { maxItems: 1000 })),
    numbers: Type.Optional(
      Type.Array(Type.Object({ id: Id, service: E164, route: RouteSchema, ...NumberRoutingFields }, { additionalProperties: true })),
    ),
    supervisors: Type.Optional(
      Type.Array(
        Type.Object(
          // password may be left out for an existing supervisor (an exported file): the stored hash stays.
          // groups: the supervisor sees and acts on these groups' operators and queues only.
          {
            id: Id,
            login: Type.String({ minLength: 1, maxLength: 200 }),
            password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
            groups: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 10_000 })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    sounds: Type.Optional(Type.Array(SoundSchema, { maxItems: 1000 })),
    api_users: Type.Optional(
      Type.Array(
        Type.Object(
          { login: Type.String({ minLength: 1, maxLength: 200 }), password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })) },
          { additionalProperties: false },
        ),
      ),
    ),
    ...AccountRoutingFields,
  },
  { additionalProperties: true },
);
export type AccountFile = Static<typeof AccountFileSchema>;

/** The account file without secrets, as stored for the engine and written by `vm export`. */
export type AccountDirectory = Omit<AccountFile, 'supervisors' | 'api_users'> & {
  supervisors?: { id: number; login: string; groups?: number[] }[];
  api_users?: { login: string }[];
};
