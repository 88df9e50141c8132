// The audit of supervisor, admin and platform actions: every call-control route that
// declares `config.audit` (its action's name) is recorded once answered, by one
// onResponse hook: who (the principal's role, id and login), what (the action, the
// operator, call, group and pause of the URL and body), when, from which address, and the
// result (ok, or the refusal's code). An operator acting on itself is not recorded (its
// toolbar's every click would be); a request whose credentials were not recognised (401)
// names nobody and is not either. Kept 90 days and at most 50,000 entries per account
// (housekeeping, src/http/app.ts).
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, onResponseHookHandler } from 'fastify';
import { refusalOf } from './errors.ts';
import type { AuditEntry, AuditStore } from '../store/types.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route changes an operator's or a call's state: the action's name in the audit. */
    audit?: string;
  }
}

/** How long audit entries are kept (ms). */
export const AUDIT_RETENTION_MS = 90 * 86_400_000;
/** At most this many entries per account (the newest). */
export const AUDIT_KEEP_PER_ACCOUNT = 50_000;
/** A body longer than this (JSON) is not copied into the entry's details. */
const DETAILS_MAX = 512;

const int = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : null;
};

/** The body's fields as the entry keeps them: small bodies whole, else only that one was given. */
function detailsOf(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const json = JSON.stringify(body);
  return json.length <= DETAILS_MAX ? (JSON.parse(json) as Record<string, unknown>) : { truncated: true };
}

/** The entry of an answered request, or undefined when it is not audited. */
export function auditEntry(request: FastifyRequest, statusCode: number, errorCode: string | undefined, at: number): AuditEntry | undefined {
  const action = request.routeOptions.config.audit;
  const p = request.principal;
  if (!action || !p) return undefined;
  const params = request.params as Record<string, unknown>;
  const accountId = int(params.id);
  const operatorId = int(params.op);
  if (accountId === null || accountId <= 0) return undefined;
  if (p.role === 'operator' && operatorId === p.subject) return undefined;
  const result = statusCode < 400 ? 'ok' : (errorCode ?? `HTTP_${statusCode}`);
  // A request on an account that does not exist is nobody's business to audit.
  if (result === 'UNKNOWN_ACCOUNT') return undefined;
  const body = request.body as Record<string, unknown> | undefined;
  return {
    accountId,
    at,
    actor: { role: p.role, id: p.subject, login: p.token?.login ?? '' },
    action,
    operatorId,
    callId: int(params.call),
    groupId: int(body?.group),
    pauseId: int(body?.pause),
    details: { ...(params.push !== undefined ? { push: int(params.push) } : {}), ...detailsOf(body) },
    ip: request.ip,
    result,
  };
}

/** Installs the audit hooks on the routes that declare `config.audit` (call before the routes). */
export function installAudit(app: FastifyInstance, deps: { audit: AuditStore; now: () => number; logger: FastifyBaseLogger }): void {
  const onResponse: onResponseHookHandler = async (request, reply) => {
    const entry = auditEntry(request, reply.statusCode, refusalOf(request), deps.now());
    if (!entry) return;
    await deps.audit.add(entry).catch((err: unknown) => deps.logger.error({ err, entry }, 'audit entry not stored'));
  };
  // Route-level hooks: the other routes pay nothing.
  const list = <T>(h: T | T[] | undefined): T[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);
  app.addHook('onRoute', (route) => {
    if (!route.config?.audit) return;
    route.onResponse = [...list(route.onResponse), onResponse];
  });
}
