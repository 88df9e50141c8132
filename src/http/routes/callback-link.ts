// The web-callback link (the guide's "WebCallBack"): a per-account URL signed with the
// account's `web_callback.secret`, where a visitor leaves a number to be called back. The
// request becomes PUSHCALL/request and UI/push through the account's engine. The link is
// public: requests are rate-limited per source and per account (429 + Retry-After), and a
// number that already waits for its callback is not queued twice.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { createHmac } from 'node:crypto';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import { safeEqual } from '../../auth/passwords.ts';
import { sourceOf } from '../../auth/addresses.ts';
import type { AccountDirectory } from '../../directory/schema.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { Digits, Id } from '../../protocol/index.ts';

function secretOf(dir: AccountDirectory): string | undefined {
  const cb = dir.web_callback;
  return cb && cb.enabled !== false ? cb.secret : undefined;
}

export function signAccount(secret: string, accountId: number): string {
  return createHmac('sha256', secret).update(`vm-callback:${accountId}`).digest('base64url').slice(0, 22);
}

/** The account's signed callback link, or undefined when web callback is off or has no secret. */
export function callbackLink(baseUrl: string, dir: AccountDirectory): string | undefined {
  const secret = secretOf(dir);
  return secret ? `${baseUrl}/callback/${dir.account.id}?sig=${signAccount(secret, dir.account.id)}` : undefined;
}

// The page has no inline script or style (the Content-Security-Policy allows neither):
// they are served beside it, at fixed paths.
const PAGE_CSS = `body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
input,button{font:inherit;padding:.5rem;margin:.3rem 0;width:100%;box-sizing:border-box}button{background:#2b6cb0;color:#fff;border:0;border-radius:4px}
#result{margin-top:1rem}
`;
const PAGE_JS = `document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.target));
  const res = await fetch(location.href, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  const body = await res.json();
  document.getElementById('result').textContent = res.ok ? 'Thank you: we will call you back shortly.' : body.message;
});
`;

const page = (name: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Call me back — ${name}</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/callback/page.css"></head>
<body><h1>${name}</h1><p>Leave your number: an advisor calls you back.</p>
<form id="f"><label>Phone number (international, digits only)<input name="e164" inputmode="tel" pattern="[0-9]{3,20}" required placeholder="33612345678"></label>
<label>Name (optional)<input name="name" maxlength="100"></label><button>Call me back</button></form><p id="result" role="status"></p>
<script src="/callback/page.js"></script></body></html>`;

/** Requests one source may send to callback links (all accounts together). */
export const CALLBACK_PER_SOURCE = { max: 5, windowMs: 10 * 60_000 };
/** Requests an account's link takes per hour unless its `web_callback.max_requests_per_hour` says otherwise. */
export const CALLBACK_PER_ACCOUNT_PER_HOUR = 120;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const accountOf = (req: FastifyRequest) => Number((req.params as { id?: unknown }).id);

export const callbackLinkRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const check = async (id: number, sig: string): Promise<AccountDirectory> => {
    const dir = await services.store.directory.getDirectory(id);
    const secret = dir && secretOf(dir);
    if (!dir || !secret || !safeEqual(sig, signAccount(secret, id))) throw vmError('CALLBACK_LINK_INVALID');
    return dir;
  };
  // The directory of a request whose signature was checked (its account's quota).
  const checked = new WeakMap<FastifyRequest, AccountDirectory>();
  // Local, bounded (LRU) counters; `global: false`: only the limits below, only here.
  await app.register(rateLimit, { global: false, cache: 100_000 });
  const perSource = app.createRateLimit({
    max: CALLBACK_PER_SOURCE.max,
    timeWindow: CALLBACK_PER_SOURCE.windowMs,
    keyGenerator: (req) => `source:${sourceOf(req.ip)}`,
  });
  const perAccount = app.createRateLimit({
    max: (req) => checked.get(req)?.web_callback?.max_requests_per_hour ?? CALLBACK_PER_ACCOUNT_PER_HOUR,
    timeWindow: 3600_000,
    keyGenerator: (req) => `account:${accountOf(req)}`,
  });
  const limit = async (limiter: typeof perSource, req: FastifyRequest, what: string) => {
    const r = await limiter(req);
    if (!r.isAllowed && r.isExceeded) {
      const wait = Math.max(1, r.ttlInSeconds);
      throw vmError('RATE_LIMITED', `${what} allows ${r.max} requests per ${r.timeWindow / 60_000} min; retry in ${wait} s.`, { retryAfter: wait });
    }
  };
  const params = Type.Object({ id: Id('Account id') });
  const querystring = Type.Object({ sig: Type.String({ maxLength: 64 }) });

  app.get('/callback/page.css', { schema: { hide: true } }, async (_req, reply) => reply.type('text/css; charset=utf-8').send(PAGE_CSS));
  app.get('/callback/page.js', { schema: { hide: true } }, async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(PAGE_JS));
  app.get('/callback/:id', { schema: { summary: 'The web-callback page of an account (signed link)', tags: ['call control'], params, querystring } }, async (req, reply) => {
    const dir = await check(req.params.id, req.query.sig);
    return reply.type('text/html; charset=utf-8').send(page(escapeHtml(dir.account.name)));
  });

  app.post('/callback/:id', {
    bodyLimit: 4096,
    schema: {
      summary: 'A visitor asks to be called back (signed link)', tags: ['call control'], params, querystring,
      body: Type.Object({ e164: Digits(3, 20), name: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ ok: Type.Literal(true), id_push: Type.Integer(), merged: Type.Optional(Type.Boolean()) }), '4xx': errorSchema, '5xx': errorSchema },
    },
    // Every request counts against its source, signed or not (before the body is read).
    onRequest: async (req) => limit(perSource, req, 'The callback link'),
  }, async (req) => {
    checked.set(req, await check(req.params.id, req.query.sig));
    // Only signed requests count against the account: strangers cannot use up its quota.
    await limit(perAccount, req, "This account's callback link");
    const vars = { source: 'web', ...(req.body.name ? { name: req.body.name } : {}) };
    // Answered once the request's events are durable.
    const r = await services.engines.run(req.params.id, (engine) => engine.callbackRequest({ e164: req.body.e164, vars }));
    if (!r) throw vmError('UNKNOWN_ACCOUNT');
    if (!r.ok) throw vmError(r.error, r.message);
    return r;
  });
};
