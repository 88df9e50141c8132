// The one error type of the SDK: the server's `{error, message}` refusals and the client's
// own failures, with a stable `code`.

/**
 * Codes the SDK raises itself; every other `code` is the server's (its error registry:
 * `BAD_CREDENTIALS`, `TOKEN_INVALID`, `TOO_MANY_ATTEMPTS`, `INIT_BAD_OPTIONS`…).
 *
 * @example
 * client.on('error', (e) => { if (e.code === 'CPT_REWOUND') reloadEverything(); });
 */
export type ClientErrorCode =
  /** The server could not be reached over HTTP. */
  | 'NETWORK'
  /** The server answered something that is not the protocol's JSON. */
  | 'BAD_RESPONSE'
  /** `init` got no acknowledgement in time; the client reconnects. */
  | 'INIT_TIMEOUT'
  /** The server's `cpt` went backwards (its event log was reset): exactly-once is lost. */
  | 'CPT_REWOUND'
  /** An `update` without a usable `cpt` or `event` was skipped. */
  | 'BAD_UPDATE'
  /** The client was closed. */
  | 'CLOSED';

/**
 * An error from the server (its registry code in `code`, its sentence in `message`) or
 * from the SDK (a {@link ClientErrorCode}).
 *
 * @example
 * try {
 *   await connect({ url, login: 'sup', password: 'wrong' });
 * } catch (e) {
 *   if (e instanceof VmClientError && e.code === 'BAD_CREDENTIALS') console.error('check the login');
 * }
 */
export class VmClientError extends Error {
  /** Stable code: the server's registry code, or a {@link ClientErrorCode}. */
  readonly code: string;
  /** HTTP status, for errors answered over HTTP. */
  declare readonly status?: number;
  /** Seconds to wait before retrying (`429` answers' `Retry-After`). */
  declare readonly retryAfter?: number;
  /** True when the client gave up and closed because of this error. */
  fatal = false;

  constructor(code: ClientErrorCode | (string & {}), message: string, opts: { status?: number; retryAfter?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VmClientError';
    this.code = code;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.retryAfter !== undefined) this.retryAfter = opts.retryAfter;
  }
}

/** Server codes that mean "this token is no good": get a new one and try again. */
export const TOKEN_ERRORS: ReadonlySet<string> = new Set(['TOKEN_INVALID', 'TOKEN_IP_MISMATCH', 'TOKEN_REVOKED', 'INIT_BAD_TARGET']);

/** Codes worth retrying later (the server or the network may come back). */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof VmClientError)) return true;
  return e.code === 'NETWORK' || e.code === 'BAD_RESPONSE' || e.code === 'TOO_MANY_ATTEMPTS' || e.code === 'RATE_LIMITED' || (e.status ?? 0) >= 500;
}
