// The one error registry: every refusal the product makes, with a stable code, an HTTP
// status and a message. The same `{error, message}` body goes out over HTTP, in
// `init_error` and in socket acks. Codes never change once published.
import type { ErrorBody } from '../protocol/index.ts';
import { ENGINE_ERRORS } from '../engine/errors.ts';

export const ERRORS = {
  // Requests
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  BAD_X_JSON: { status: 400, message: 'The X-JSON header is missing or is not a JSON object.' },
  X_JSON_TOO_LARGE: { status: 431, message: 'The X-JSON header is larger than 8 KiB.' },
  UNKNOWN_REQUETE: { status: 400, message: 'Unknown requete; expected "init" or "refresh_token".' },
  INVALID_FIELD: { status: 400, message: 'A field has the wrong type or value.' },
  BAD_ACCOUNT_TYPE: { status: 400, message: 'account_type must be "supervisor" or "operator" on this endpoint.' },
  NOT_FOUND: { status: 404, message: 'No such resource.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  PAYLOAD_OUT_OF_BOUNDS: { status: 400, message: 'The JSON body is nested too deep, has too many values or a string that is too long.' },
  // Authentication
  BAD_CREDENTIALS: { status: 401, message: 'Login or password is incorrect.' },
  AUTH_REQUIRED: { status: 401, message: 'Authentication is required.' },
  TOKEN_INVALID: { status: 401, message: 'The token is unknown, expired or revoked.' },
  TOKEN_IP_MISMATCH: { status: 401, message: 'The token was issued to another IP address.' },
  SESSION_IP_MISMATCH: { status: 403, message: 'This stream session was opened from another IP address.' },
  TOKEN_REVOKED: { status: 401, message: 'This token was revoked (a logout, a changed password or a removed user): log in again.' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed logins; retry later.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  UNKNOWN_OPERATOR: { status: 400, message: 'No such operator in this account.' },
  ADMIN_API_DISABLED: { status: 404, message: 'The admin API is off: set VM_ADMIN_TOKEN to enable it.' },
  // One refusal for every route a principal's role, account, scope or self does not reach
  // (src/http/auth.ts); its message says which.
  FORBIDDEN: { status: 403, message: 'This token may not do that.' },
  // Stream
  INIT_MALFORMED: { status: 400, message: 'init expects (user type, target, id_session[, options][, ack]).' },
  INIT_BAD_TARGET: { status: 401, message: 'The target does not match the token.' },
  INIT_BAD_OPTIONS: { status: 400, message: 'The init options are invalid.' },
  INIT_TIMEOUT: { status: 408, message: 'No valid init within 30 seconds.' },
  ALREADY_INITIALISED: { status: 409, message: 'This socket is already initialised.' },
  SINCE_TOO_OLD: { status: 410, message: 'Events after this cpt are no longer in the log (retention).' },
  SCOPE_CHANGED: { status: 409, message: "This supervisor's groups changed: init again (with since) to see its new scope." },
  SLOW_CONSUMER: { status: 503, message: 'This client did not read its stream fast enough and was disconnected; resume with since.' },
  // Publishing
  UNKNOWN_ACCOUNT: { status: 404, message: 'No such account.' },
  INVALID_NOTIFICATION: { status: 400, message: 'The notification does not match the catalogue.' },
  ACCOUNT_MISMATCH: { status: 400, message: 'msg.id_client does not match the account.' },
  // Import
  INVALID_ACCOUNT_FILE: { status: 400, message: 'The account file is invalid.' },
  ID_OWNED_BY_OTHER_ACCOUNT: { status: 409, message: 'An id, login or service number in the file belongs to another account.' },
  // Sounds and recordings
  INVALID_SOUND: { status: 400, message: 'The sound is not a WAV or MP3 file this server can read, or is too large or too long.' },
  RECORDING_UNKNOWN: { status: 404, message: 'No recording of this call is kept.' },
  RANGE_NOT_SATISFIABLE: { status: 416, message: 'The Range header asks for bytes the file does not have.' },
  // Server
  INTERNAL: { status: 500, message: 'Internal error.' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down.' },
  // Call control: the engine's rules (src/engine/errors.ts)
  ...ENGINE_ERRORS,
  CALLBACK_LINK_INVALID: { status: 403, message: 'This callback link is not valid for this account.' },
  SOFTPHONE_OFF: { status: 404, message: 'Browser softphones are off on this server: start it with --sip and --sip-ws (vm demo turns them on).' },
  SOFTPHONE_NO_CREDENTIALS: { status: 404, message: 'The operator has no SIP device credentials: give them `sip: {username, password}` in the account file.' },
  WALLBOARD_NOT_BUILT: { status: 503, message: 'The wallboard is not built: run `npm run build` (npm install does it).' },
  OPERATOR_NOT_BUILT: { status: 503, message: 'The operator toolbar is not built: run `npm run build` (npm install does it).' },
  DEMO_PHONE_NOT_BUILT: { status: 503, message: 'The demo phone page is not built: run `npm run build` (npm install does it).' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error the product reports to a client: a registry code and a sentence. */
export class VmError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Seconds to put in Retry-After (429). */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message?: string, opts?: { retryAfter?: number }) {
    super(message ?? ERRORS[code].message);
    this.name = 'VmError';
    this.code = code;
    this.status = ERRORS[code].status;
    if (opts?.retryAfter !== undefined) this.retryAfter = opts.retryAfter;
  }

  toBody(): ErrorBody {
    return { error: this.code, message: this.message };
  }
}

export function vmError(code: ErrorCode, message?: string, opts?: { retryAfter?: number }): VmError {
  return new VmError(code, message, opts);
}

export function isVmError(e: unknown): e is VmError {
  return e instanceof VmError;
}

/** The client-facing body of any error: registry errors as they are, anything else as INTERNAL. */
export function errorBody(e: unknown): ErrorBody {
  return isVmError(e) ? e.toBody() : { error: 'INTERNAL', message: ERRORS.INTERNAL.message };
}
