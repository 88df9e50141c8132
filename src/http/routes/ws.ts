// `POST /ws/` (PROTOCOL §2): supervisor login and token refresh, driven by the X-JSON header;
// extension: an operator's own sign-in (account_type "operator") for its toolbar.
import type { FastifyPluginAsync } from 'fastify';
import { Compile } from 'typebox/compile';
import { Type, type TSchema } from 'typebox';
import { dotted, explainIssues, type SchemaIssue } from '../../protocol/index.ts';
import { WsInitRequest, WsInitResponse, WsRefreshRequest, WsRefreshResponse, formatExpire } from '../../protocol/index.ts';
import { vmError } from '../../errors/registry.ts';
import type { Services } from '../services.ts';
import { errorSchema } from '../schemas.ts';
import { noStore } from '../security.ts';
import type { RouteAuth } from '../auth.ts';

const MAX_X_JSON = 8 * 1024;
const checkInit = Compile(WsInitRequest);
const checkRefresh = Compile(WsRefreshRequest);

function parseXJson(raw: string | string[] | undefined): Record<string, unknown> {
  if (Array.isArray(raw)) throw vmError('BAD_X_JSON', 'Send exactly one X-JSON header.');
  if (raw === undefined || raw.trim() === '') throw vmError('BAD_X_JSON', 'The X-JSON header is missing.');
  if (raw.length > MAX_X_JSON) throw vmError('X_JSON_TOO_LARGE');
  let v: unknown;
  try {
    // Header values arrive as latin1; the JSON inside is UTF-8.
    v = JSON.parse(Buffer.from(raw, 'latin1').toString('utf8'));
  } catch {
    throw vmError('BAD_X_JSON', 'The X-JSON header is not valid JSON.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw vmError('BAD_X_JSON', 'X-JSON must be a JSON object.');
  return v as Record<string, unknown>;
}

function invalid(check: typeof checkInit | typeof checkRefresh, schema: TSchema, v: unknown): never {
  const sentence = explainIssues([...check.Errors(v)] as SchemaIssue[], { name: (s) => (s.length ? dotted('')(s) : 'X-JSON'), schema, value: v });
  throw vmError('INVALID_FIELD', `${sentence}.`);
}

export const wsRoutes: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  // The body is ignored (the request is the header): accept any content type, read nothing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { bodyLimit: 64 * 1024 }, (_req, _payload, done) => done(null, undefined));

  app.post(
    '/ws/',
    {
      // The answer is a token (or why not): never cached.
      onRequest: noStore,
      config: { auth: { public: 'a login: the credentials are in X-JSON' } satisfies RouteAuth },
      schema: {
        summary: 'Supervisor or operator login (requete: init) and token refresh (requete: refresh_token), the request in the X-JSON header',
        tags: ['auth'],
        // Read by the handler (precise errors); required in the OpenAPI document (src/http/docs.ts).
        headers: Type.Object({ 'x-json': Type.Optional(Type.String()) }),
        response: { 200: Type.Union([WsInitResponse, WsRefreshResponse]), '4xx': errorSchema },
      },
    },
    async (request) => {
      const x = parseXJson(request.headers['x-json']);
      if (x.requete === 'init') {
        if (!checkInit.Check(x)) invalid(checkInit, WsInitRequest, x);
        const { login, password, account_type, count_type } = x.header;
        const type = account_type ?? count_type ?? 'supervisor';
        if (type !== 'supervisor' && type !== 'operator') {
          throw vmError('BAD_ACCOUNT_TYPE', `account_type "${String(type).slice(0, 32)}" is not valid here; use "supervisor" or "operator" (API users use POST /vm/token).`);
        }
        // An operator's token is a keep token: its toolbar stays signed in while it is open.
        const { token, record } = type === 'operator' ? await services.auth.loginOperator(login, password, request.ip) : await services.auth.loginSupervisor(login, password, request.ip);
        const dir = await services.store.directory.getDirectory(record.accountId);
        const body: WsInitResponse = {
          ops: (dir?.operators ?? []).map((o) => ({ id: o.id, nom: o.name, groupes: o.groups ?? [] })),
          groupes: (dir?.groups ?? []).map((g) => ({ id: g.id, nom: g.name })),
          trunks: (dir?.trunks ?? []).map((t) => ({ id: t.id, nom: t.name })),
          pauses: (dir?.pauses ?? []).map((p) => ({ id: p.id, value: p.label })),
          target: record.subject,
          id_client: record.accountId,
          expire: formatExpire(record.expiresAt),
          id_session: token,
        };
        return body;
      }
      if (x.requete === 'refresh_token') {
        if (!checkRefresh.Check(x)) invalid(checkRefresh, WsRefreshRequest, x);
        const { token, record } = await services.auth.refresh(x.header.id_session, request.ip);
        return { id_session: token, expire: formatExpire(record.expiresAt) };
      }
      throw vmError('UNKNOWN_REQUETE', `Unknown requete ${JSON.stringify(x.requete ?? null).slice(0, 64)}; expected "init" or "refresh_token".`);
    },
  );
};
