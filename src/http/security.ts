// Web hygiene for every answer: security headers (@fastify/helmet, and the same headers on
// what Socket.IO serves itself), CORS by an allow-list (@fastify/cors, and Socket.IO's
// `cors` from the same list), and `Cache-Control: no-store` for answers carrying a token.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import fastifyCors from '@fastify/cors';
import helmet, { type HelmetOptions } from 'helmet';

export interface WebSecurityOptions {
  /**
   * Who may frame the pages (CSP `frame-ancestors`): `'self'`, `'none'`, origins such as
   * `https://crm.example.com` or `https://*.example.com`. @default ["'self'"]
   */
  frameAncestors?: readonly string[];
  /** Origins (scheme://host[:port]) allowed to call the API from a browser. @default [] (same origin only) */
  corsOrigins?: readonly string[];
}

const KEYWORDS = new Set(["'self'", "'none'"]);
// A CSP source expression without anything that could end the directive or the header.
const SOURCE = /^(?:[a-z][a-z0-9+.-]*:|(?:[a-z][a-z0-9+.-]*:\/\/)?(?:\*\.)?[a-z0-9.-]+(?::(?:\d{1,5}|\*))?(?:\/[^\s;,']*)?)$/i;

/** Checks a frame-ancestors list; throws an Error whose message says what is wrong. */
export function checkFrameAncestors(list: readonly string[]): string[] {
  if (list.length === 0) throw new Error("frame-ancestors needs at least one source ('self', 'none' or an origin).");
  for (const s of list) {
    if (!KEYWORDS.has(s) && !SOURCE.test(s)) throw new Error(`frame-ancestors: ${JSON.stringify(s)} is not a source; use 'self', 'none' or an origin such as https://crm.example.com.`);
  }
  if (list.includes("'none'") && list.length > 1) throw new Error("frame-ancestors: 'none' cannot be combined with other sources.");
  return [...list];
}

/** Checks a CORS allow-list: each entry an exact origin, scheme://host[:port]. */
export function checkCorsOrigins(list: readonly string[]): string[] {
  return list.map((o) => {
    let origin: string | undefined;
    try {
      const u = new URL(o);
      origin = (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o.replace(/\/$/, '') ? u.origin : undefined;
    } catch {
      origin = undefined;
    }
    if (!origin) throw new Error(`CORS origin ${JSON.stringify(o)} is not an origin; write it as scheme://host[:port], e.g. https://crm.example.com.`);
    return origin;
  });
}

/**
 * Parses a comma- or space-separated list from the CLI or the environment. `self` and
 * `none` may be written without their quotes (shells eat them).
 */
export function parseSourceList(v: string): string[] {
  return v
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => (s === 'self' || s === 'none' ? `'${s}'` : s));
}

/**
 * The one policy of the pages (labo, wallboard, callback page, /docs) and API answers: only
 * this server's own scripts, styles, images and connections (Socket.IO's websocket is
 * same-origin), no inline script, no plugins, no <base>, forms post here only.
 */
export function helmetOptions(opts: WebSecurityOptions): HelmetOptions {
  const frameAncestors = checkFrameAncestors(opts.frameAncestors ?? ["'self'"]);
  const onlySelf = frameAncestors.length === 1 && frameAncestors[0] === "'self'";
  return {
    contentSecurityPolicy: {
      // No upgrade-insecure-requests: the server speaks plain HTTP (TLS, if any, is a proxy's).
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': frameAncestors,
      },
    },
    // X-Frame-Options cannot name other origins: sent only when framing is limited to us;
    // browsers that know CSP follow frame-ancestors anyway.
    xFrameOptions: onlySelf ? { action: 'sameorigin' } : false,
    // The URLs of the pages carry id_session: never send them on.
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS belongs to whoever terminates TLS (this server only speaks HTTP).
    strictTransportSecurity: false,
    // The toolbar's screen pop keeps its named window to send the next caller's page to it:
    // with helmet's `same-origin`, a window opened on the CRM's site is cut off at once
    // (closed to its opener) and each call opened another one. Pages opening us stay apart.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
  };
}

/** Registers helmet and CORS on the Fastify app. Call before any route is added. */
export async function registerWebSecurity(app: FastifyInstance, opts: WebSecurityOptions): Promise<void> {
  // (the same options: @fastify/helmet types them from helmet's CommonJS typings)
  await app.register(fastifyHelmet, { ...(helmetOptions(opts) as FastifyHelmetOptions), global: true });
  await app.register(fastifyCors, {
    origin: checkCorsOrigins(opts.corsOrigins ?? []),
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'X-JSON'],
    exposedHeaders: ['Retry-After'],
    // Authentication is by header, never by cookie: no credentials mode.
    credentials: false,
    // A bare OPTIONS (no Origin) answers 204 like any preflight instead of a text/plain 400.
    strictPreflight: false,
    maxAge: 600,
  });
}

/** Socket.IO's `cors` option: the same allow-list, no credentials. */
export function socketIoCors(opts: WebSecurityOptions): { origin: string[]; credentials: false; methods: string[] } {
  return { origin: checkCorsOrigins(opts.corsOrigins ?? []), credentials: false, methods: ['GET', 'POST'] };
}

/**
 * Socket.IO answers its own path (/socket.io/: the client script, long-polling) before
 * Fastify sees it: give those answers the same headers. The client script may be loaded by
 * other origins' pages (a CRM), so its resource policy is cross-origin.
 */
export function secureSocketIoAnswers(server: Server, opts: WebSecurityOptions, path = '/socket.io/'): void {
  const headers = helmet({ ...helmetOptions(opts), crossOriginResourcePolicy: { policy: 'cross-origin' } });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith(path)) headers(req, res, () => undefined);
  });
}

/** Route hook: the answer carries a token (or a refusal to give one): never cache it. */
export function noStore(_req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  void reply.header('Cache-Control', 'no-store');
  done();
}
