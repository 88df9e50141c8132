// Who is asking, once per request or socket: a role, its account and what of the account
// it may see. Every route declares the roles it takes (src/http/auth.ts); the stream takes
// the same principal from its init token.
import type { TokenRecord } from '../store/types.ts';
import type { Scope } from './scope.ts';

/**
 * - operator: one operator (an agent token from `POST /vm/token`, or the operator's own
 *   sign-in): its own state and calls only.
 * - supervisor: its account, or its `groups` when it has some.
 * - api: an API user: its account.
 * - admin: its account's configuration (reserved; issued by the admin console).
 * - platform: the `VM_ADMIN_TOKEN`: every account, and the engine-driving routes.
 */
export type Role = 'operator' | 'supervisor' | 'api' | 'admin' | 'platform';

export const ROLES: readonly Role[] = ['operator', 'supervisor', 'api', 'admin', 'platform'];

export interface Principal {
  role: Role;
  /** The account it acts in; 0 for platform (any account). */
  accountId: number;
  /** The operator id (operator), the supervisor id (supervisor, admin), else 0. */
  subject: number;
  /** What of the account it sees; undefined: the whole account. */
  scope?: Scope;
  /** The session token it came with (none for platform or HTTP Basic). */
  token?: TokenRecord;
}

/** The role a token kind acts in. */
export function roleOfToken(kind: TokenRecord['kind']): Role {
  return kind === 'agent' ? 'operator' : kind;
}
