// The web-callback link (the guide's "WebCallBack"): a per-account URL signed with the
// account's `web_callback.secret`, where a visitor leaves a number to be called back. The
// request becomes PUSHCALL/request and UI/push through the account's engine.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createHmac } from 'node:crypto';
import { Type } from 'typebox';
import { vmError } from '../../errors/registry.ts';
import { safeEqual } from '../../auth/passwords.ts';
import type { AccountDirectory } from '../../directory/schema.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';

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

const page = (name: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Call me back — ${name}</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1d2330}
input,button{font:inherit;padding:.5rem;margin:.3rem 0;width:100%;box-sizing:border-box}button{background:#2b6cb0;color:#fff;border:0;border-radius:4px}
#result{margin-top:1rem}</style></head>
<body><h1>${name}</h1><p>Leave your number: an advisor calls you back.</p>
<form id="f"><label>Phone number (international, digits only)<input name="e164" inputmode="tel" pattern="[0-9]{3,20}" required placeholder="33612345678"></label>
<label>Name (optional)<input name="name" maxlength="100"></label><button>Call me back</button></form><p id="result" role="status"></p>
<script>
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const data = Object.fromEntries(new FormData(e.target));
  const res = await fetch(location.href, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });
  const body = await res.json();
  document.getElementById('result').textContent = res.ok ? 'Thank you: we will call you back shortly.' : body.message;
});
</script></body></html>`;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const callbackLinkRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const check = async (id: number, sig: string): Promise<AccountDirectory> => {
    const dir = await services.store.directory.getDirectory(id);
    const secret = dir && secretOf(dir);
    if (!dir || !secret || !safeEqual(sig, signAccount(secret, id))) throw vmError('CALLBACK_LINK_INVALID');
    return dir;
  };
  const params = Type.Object({ id: Type.Integer({ minimum: 1 }) });
  const querystring = Type.Object({ sig: Type.String({ maxLength: 64 }) });

  app.get('/callback/:id', { schema: { summary: 'The web-callback page of an account (signed link)', tags: ['call control'], params, querystring } }, async (req, reply) => {
    const dir = await check(req.params.id, req.query.sig);
    return reply.type('text/html; charset=utf-8').send(page(escapeHtml(dir.account.name)));
  });

  app.post('/callback/:id', {
    bodyLimit: 4096,
    schema: {
      summary: 'A visitor asks to be called back (signed link)', tags: ['call control'], params, querystring,
      body: Type.Object({ e164: Type.String({ pattern: '^[0-9]{3,20}$' }), name: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ ok: Type.Literal(true), id_push: Type.Integer() }), '4xx': errorSchema },
    },
  }, async (req) => {
    await check(req.params.id, req.query.sig);
    const vars = { source: 'web', ...(req.body.name ? { name: req.body.name } : {}) };
    // Answered once the request's events are durable.
    const r = await services.engines.run(req.params.id, (engine) => engine.callbackRequest({ e164: req.body.e164, vars }));
    if (!r) throw vmError('UNKNOWN_ACCOUNT');
    if (!r.ok) throw vmError(r.error, r.message);
    return r;
  });
};
