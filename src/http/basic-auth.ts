// HTTP Basic credentials, and the `?user=&password=` form the guide also shows.
import type { FastifyRequest } from 'fastify';
import { vmError } from '../errors/registry.ts';

export function basicCredentials(request: FastifyRequest, allowQuery = false): { login: string; password: string } {
  const h = request.headers.authorization;
  if (h && /^basic /i.test(h)) {
    const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) return { login: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  if (allowQuery) {
    const q = request.query as Record<string, unknown> | undefined;
    if (typeof q?.user === 'string' && typeof q.password === 'string' && q.user) return { login: q.user, password: q.password };
  }
  throw vmError('AUTH_REQUIRED', 'Send HTTP Basic credentials of an API user (-u login:password).');
}
