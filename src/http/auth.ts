// The one authentication layer of the HTTP API. Each route declares who may call it in its
// config (`config: { auth: … }`); one onRequest hook finds the principal once (a Bearer
// token, `?id_session=` where the route allows it, HTTP Basic where the guide has it, or the
// VM_ADMIN_TOKEN) and checks its role before the body is read; one preHandler hook checks,
// on the validated URL, the account and operator it acts on against the principal's
// account, scope and self. Routes under /api/ and /vm/ that declare nothing do not start.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isVmError, vmError } from '../errors/registry.ts';
import { safeEqual } from '../auth/passwords.ts';
import type { Principal, Role } from '../auth/principal.ts';
import { seesOperator } from '../auth/scope.ts';
import { basicCredentials } from './basic-auth.ts';
import type { Services } from './services.ts';

/** Who may call a route. */
export type RouteAuth =
  /** Anyone (a login, a signed link, a page); the reason is documentation. */
  | { public: string }
  | {
      roles: readonly Role[];
      /** The URL parameter holding the account acted on (checked against the principal's). */
      account?: string;
      /** The URL parameter holding the operator acted on (an operator: itself; a supervisor: its scope). */
      operator?: string;
      /** The token may come as `?id_session=` (pages opened with a token in their URL). */
      query?: boolean;
      /** An API user may authenticate with HTTP Basic or `?user=&password=` (the guide's /vm/ API). */
      basic?: boolean;
    };

type RoleRule = Exclude<RouteAuth, { public: string }>;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    /** Who is asking (routes that declare roles). */
    principal: Principal | undefined;
  }
}

const PLATFORM: Principal = { role: 'platform', accountId: 0, subject: 0 };

const platformOnly = (rule: RoleRule) => rule.roles.length === 1 && rule.roles[0] === 'platform';
/** Routes no session of the guide's takes (the admin API): a wrong bearer is told what to send. */
const adminApi = (rule: RoleRule) => rule.roles.every((r) => r === 'platform' || r === 'admin');

function describe(rule: RoleRule): string {
  const how = rule.roles.map((r) => (r === 'platform' ? 'the admin token' : `a${r === 'operator' || r === 'api' || r === 'admin' ? 'n' : ''} ${r} token`));
  const basic = rule.basic ? ', or HTTP Basic credentials of an API user' : '';
  return `Send Authorization: Bearer <${how.join(' or ')}>${basic}.`;
}

/**
 * The principal of a request by `rule`'s ways in, or throws AUTH_REQUIRED, TOKEN_* (401),
 * TOO_MANY_ATTEMPTS (429), ADMIN_API_DISABLED (404) or FORBIDDEN (403: a role the rule
 * does not take).
 */
export async function authenticate(services: Services, request: FastifyRequest, rule: RoleRule): Promise<Principal> {
  const { auth, adminToken } = services;
  if (platformOnly(rule) && !adminToken) throw vmError('ADMIN_API_DISABLED');
  const header = request.headers.authorization ?? '';
  const q = request.query as Record<string, unknown> | undefined;
  let principal: Principal;
  if (rule.basic && (/^basic /i.test(header) || (!/^bearer /i.test(header) && typeof q?.user === 'string'))) {
    const { login, password } = basicCredentials(request, true);
    const { accountId } = await auth.authenticateApiUser(login, password, request.ip);
    principal = { role: 'api', accountId, subject: 0 };
  } else {
    const bearer = /^bearer /i.test(header) ? header.slice(7).trim() : rule.query && typeof q?.id_session === 'string' ? q.id_session : undefined;
    if (!bearer) throw vmError('AUTH_REQUIRED', describe(rule));
    principal = await fromBearer(services, request, bearer, rule);
  }
  allow(rule, principal);
  return principal;
}

async function fromBearer(services: Services, request: FastifyRequest, bearer: string, rule: RoleRule): Promise<Principal> {
  const { auth, adminToken } = services;
  // The admin token first (no store read); a locked source is refused even the right one.
  if (adminToken && safeEqual(bearer, adminToken)) {
    auth.checkAdminToken(bearer, adminToken, request.ip);
    return PLATFORM;
  }
  try {
    return await auth.principal(await auth.verify(bearer, request.ip));
  } catch (e) {
    if (!isVmError(e) || e.code !== 'TOKEN_INVALID') throw e;
    // Neither a session nor the admin token: counted as a guess at the admin token.
    if (adminToken) auth.checkAdminToken(bearer, adminToken, request.ip);
    if (adminApi(rule)) throw vmError('AUTH_REQUIRED', describe(rule));
    throw e;
  }
}

function allow(rule: RoleRule, p: Principal): void {
  if (rule.roles.includes(p.role)) return;
  const who = p.role === 'platform' ? 'the admin token' : `a${p.role === 'operator' || p.role === 'api' || p.role === 'admin' ? 'n' : ''} ${p.role} token`;
  throw vmError('FORBIDDEN', `This route takes ${rule.roles.join(' or ')} credentials; ${who} may not use it.`);
}

/** The principal of a request on a route that declares roles. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw vmError('INTERNAL');
  return request.principal;
}

/** Throws unless `p` may act on this account's operator (itself for an operator, its scope for a supervisor). */
export function checkOperator(p: Principal, operatorId: number): void {
  if (p.role === 'operator' && operatorId !== p.subject) throw vmError('FORBIDDEN', `An operator token acts for operator ${p.subject} only.`);
  if (!seesOperator(p.scope, operatorId)) throw vmError('FORBIDDEN', `Operator ${operatorId} is not in this supervisor's groups.`);
}

/** Installs the layer on the root instance, before any route is registered. */
export function installAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if ((url.startsWith('/api/') || url.startsWith('/vm/')) && !route.config?.auth) {
      throw new Error(`${String(route.method)} ${url} declares no auth (config.auth: roles, or public with the reason)`);
    }
  });
  app.addHook('onRequest', async (request) => {
    const rule = request.routeOptions.config.auth;
    if (!rule || 'public' in rule) return;
    request.principal = await authenticate(services, request, rule);
  });
  app.addHook('preHandler', async (request) => {
    const rule = request.routeOptions.config.auth;
    const p = request.principal;
    if (!rule || 'public' in rule || !p || p.role === 'platform') return;
    const params = request.params as Record<string, unknown>;
    if (rule.account !== undefined) {
      const account = Number(params[rule.account]);
      if (account !== p.accountId) throw vmError('FORBIDDEN', `This token is for account ${p.accountId}, not ${account}.`);
    }
    if (rule.operator !== undefined) checkOperator(p, Number(params[rule.operator]));
  });
}
