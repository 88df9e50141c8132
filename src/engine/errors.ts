// The engine's refusals: a stable code per rule, its message and the HTTP status a
// call-control route should answer with. Same `{status, message}` shape as the project's
// error registry (src/errors/registry.ts), into which these codes are merged.

export const ENGINE_ERRORS = {
  NUMBER_UNKNOWN: { status: 404, message: 'No such number in this account.' },
  CALLER_INVALID: { status: 400, message: 'The caller number must be 1 to 32 digits.' },
  CALL_UNKNOWN: { status: 404, message: 'No such call in progress.' },
  CALL_NOT_IN_IVR: { status: 409, message: 'The call is not in an IVR menu.' },
  IVR_INPUT_INVALID: { status: 400, message: 'An IVR input is one DTMF key (0-9, *, #) or recognised speech with a score 0-100.' },
  CALL_NOT_RINGING: { status: 409, message: 'The call is not ringing an external party (trunk or outgoing call).' },
  CALL_NOT_CONNECTED: { status: 409, message: 'The call is not connected to an operator.' },
  OPERATOR_UNKNOWN: { status: 404, message: 'No such operator in this account.' },
  OPERATOR_LOGGED_OUT: { status: 409, message: 'The operator is not logged in.' },
  OPERATOR_ALREADY_LOGGED_IN: { status: 409, message: 'The operator is already logged in.' },
  OPERATOR_BUSY: { status: 409, message: 'The operator is already ringing or on a call.' },
  OPERATOR_ALREADY_PAUSED: { status: 409, message: 'The operator is already on a pause.' },
  OPERATOR_NOT_PAUSED: { status: 409, message: 'The operator is not on a pause.' },
  OPERATOR_NOT_RINGING: { status: 409, message: 'The operator has no ringing call to answer.' },
  OPERATOR_NOT_RINGING_CALL: { status: 409, message: "The operator's phone is not ringing for this call." },
  RING_FAILURE_INVALID: { status: 400, message: 'A ring failure is busy, declined, no_answer or unreachable.' },
  OPERATOR_NOT_ON_CALL: { status: 409, message: 'The operator is not on a call.' },
  OPERATOR_NOT_AVAILABLE: { status: 409, message: 'The operator is not available (paused, busy, in wrap-up or logged out).' },
  PAUSE_UNKNOWN: { status: 404, message: 'No such pause in this account.' },
  GROUP_UNKNOWN: { status: 404, message: 'No such group in this account.' },
  DESTINATION_INVALID: { status: 400, message: 'A destination number must be 3 to 20 digits.' },
  DESTINATION_FORBIDDEN: { status: 403, message: "The number is on the account's forbidden-destination list." },
  TRANSFER_FORBIDDEN: { status: 403, message: "Transfers to this number are forbidden by the account's forbidden-destination list." },
  TRANSFER_TARGET_UNKNOWN: { status: 404, message: 'The transfer target (operator or group) does not exist.' },
  TRANSFER_TO_SELF: { status: 400, message: 'An operator cannot transfer a call to themself.' },
  CALLBACK_INVALID: { status: 400, message: 'A callback request needs priority 1-100 and type AUTO or MANUAL.' },
  CALLBACK_DISABLED: { status: 403, message: 'Web callback is not enabled on this account.' },
  CALL_ALREADY_HELD: { status: 409, message: 'The call is already on hold.' },
  CALL_NOT_HELD: { status: 409, message: 'The call is not on hold.' },
  OPERATOR_NOT_IN_WRAPUP: { status: 409, message: 'The operator is not in a wrap-up after a call.' },
  DISPOSITION_UNKNOWN: { status: 404, message: 'No such disposition in this account.' },
  OPERATOR_NOT_IN_GROUP: { status: 409, message: 'The operator is not a member of this group.' },
  OPERATOR_ALREADY_SUSPENDED: { status: 409, message: 'The operator is already suspended in this group.' },
  OPERATOR_NOT_SUSPENDED: { status: 409, message: 'The operator is not suspended in this group.' },
  CONSULT_IN_PROGRESS: { status: 409, message: 'The operator is consulting someone: complete or cancel the consultation first.' },
  NOT_CONSULTING: { status: 409, message: 'The operator is not consulting anyone.' },
  CONSULT_NOT_ANSWERED: { status: 409, message: 'The consulted operator or number has not answered yet: wait, or cancel.' },
  CONSULT_NOT_DIALLED: { status: 409, message: 'The call has no consultation of an external number waiting for that report.' },
  CONSULT_TARGET_BUSY: { status: 409, message: 'No operator of the group is available to consult.' },
  PUSH_UNKNOWN: { status: 404, message: 'No such pending push (callback request).' },
  PUSH_NOT_ASSIGNED: { status: 409, message: 'The push is not assigned to this operator.' },
  // The host's, not a routing rule: the command ran but its events could not be stored.
  EVENTS_NOT_DURABLE: {
    status: 503,
    message: "The command's events could not be stored, so it is not acknowledged; the account's live state was rebuilt from the event log. Retry later.",
  },
  ACCOUNT_RECOVERING: { status: 503, message: "The account's live state is being rebuilt from the event log; retry in a moment." },
} as const satisfies Record<string, { status: number; message: string }>;

export type EngineErrorCode = keyof typeof ENGINE_ERRORS;

/** A refusal: the code names the rule, the message says what was refused and why. */
export interface EngineFailure {
  ok: false;
  error: EngineErrorCode;
  message: string;
}

/** What every engine command returns. */
export type EngineResult<T extends object = object> = ({ ok: true } & T) | EngineFailure;

/** Builds a refusal; `detail` (what exactly was refused) prefixes the registry message. */
export function fail(error: EngineErrorCode, detail?: string): EngineFailure {
  const base = ENGINE_ERRORS[error].message;
  return { ok: false, error, message: detail ? `${detail}: ${base}` : base };
}

export const OK: { ok: true } = Object.freeze({ ok: true as const });

/** Raised when an account directory cannot be turned into a routing model. */
export class RoutingConfigError extends Error {
  readonly code = 'ROUTING_INVALID' as const;
  constructor(readonly problems: readonly string[]) {
    super(`invalid routing: ${problems.join('; ')}`);
    this.name = 'RoutingConfigError';
  }
}
