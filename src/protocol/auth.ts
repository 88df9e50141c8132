// Wire shapes of authentication: the X-JSON requests of `POST /ws/` (PROTOCOL §2) and the
// body and answers of `POST /vm/token` (PROTOCOL §3).
import { Type, type Static } from 'typebox';
import { Id } from './fields.ts';

export const WsInitRequest = Type.Object({
  requete: Type.Literal('init'),
  header: Type.Object({
    login: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.String({ maxLength: 1024 }),
    account_type: Type.Optional(Type.String({ maxLength: 32 })),
    count_type: Type.Optional(Type.String({ maxLength: 32 })),
  }),
  msg: Type.Optional(Type.Unknown()),
});
export type WsInitRequest = Static<typeof WsInitRequest>;

export const WsRefreshRequest = Type.Object({
  requete: Type.Literal('refresh_token'),
  header: Type.Object({ id_session: Type.String({ minLength: 1, maxLength: 256 }) }),
  msg: Type.Optional(Type.Unknown()),
});
export type WsRefreshRequest = Static<typeof WsRefreshRequest>;

export const DirectoryEntry = {
  op: Type.Object({ id: Type.Integer(), nom: Type.String(), groupes: Type.Array(Type.Integer()) }),
  groupe: Type.Object({ id: Type.Integer(), nom: Type.String() }),
  trunk: Type.Object({ id: Type.Integer(), nom: Type.String() }),
  pause: Type.Object({ id: Type.Integer(), value: Type.String() }),
};

export const WsInitResponse = Type.Object({
  ops: Type.Array(DirectoryEntry.op),
  groupes: Type.Array(DirectoryEntry.groupe),
  trunks: Type.Array(DirectoryEntry.trunk),
  pauses: Type.Array(DirectoryEntry.pause),
  target: Type.Integer({ description: "The supervisor's id" }),
  id_client: Type.Integer({ description: 'Extension: the account id' }),
  expire: Type.String({ description: 'ISO-8601 UTC, six fractional digits, +00:00' }),
  id_session: Type.String(),
});
export type WsInitResponse = Static<typeof WsInitResponse>;

export const WsRefreshResponse = Type.Object({ id_session: Type.String(), expire: Type.String() });
export type WsRefreshResponse = Static<typeof WsRefreshResponse>;

export const VmTokenRequest = Type.Object({
  user_type: Type.Union([Type.Literal('api'), Type.Literal('agent')]),
  id_operator: Type.Optional(Type.Union([Id('Operator id'), Type.String({ pattern: '^[1-9][0-9]{0,14}$' })])),
  /** Extension: 1 makes a keep token, whose expiry slides while it is used. */
  keep: Type.Optional(Type.Union([Type.Literal(0), Type.Literal(1)])),
});
export type VmTokenRequest = Static<typeof VmTokenRequest>;

export const VmTokenResponse = Type.Object({
  id_session: Type.String(),
  expire: Type.String(),
  id_client: Type.Integer(),
  user_type: Type.Union([Type.Literal('api'), Type.Literal('agent')]),
  id_operator: Type.Optional(Type.Integer()),
});
export type VmTokenResponse = Static<typeof VmTokenResponse>;

/** `expire` as the guide prints it: ISO-8601 UTC with six fractional digits and +00:00. */
export function formatExpire(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');
}
