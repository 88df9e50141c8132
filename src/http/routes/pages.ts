// The browser pages built by Vite and served by the server: the supervisor wallboard
// (web/wallboard → dist/wallboard, at /wallboard/) and the operator toolbar (web/operator →
// dist/operator, at /operator/). `npm install` builds them (prepare); without a build every
// URL of a page answers its *_NOT_BUILT error, which says to run `npm run build`.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { vmError, type ErrorCode } from '../../errors/registry.ts';
import { sendError } from '../errors.ts';

export interface PageSpec {
  /** URL path and dist folder name. */
  name: 'wallboard' | 'operator';
  /** What the not-built page calls it. */
  title: string;
  notBuilt: ErrorCode;
  /** Files of the build not served under /<name>/ (served by another route, or not at all). */
  unlisted?: readonly string[];
}

export const PAGES: readonly PageSpec[] = [
  { name: 'wallboard', title: 'wallboard', notBuilt: 'WALLBOARD_NOT_BUILT' },
  // phone.html is the demo's phone page: `vm demo` serves it at /demo/phone (demo-phone.ts).
  { name: 'operator', title: 'operator toolbar', notBuilt: 'OPERATOR_NOT_BUILT', unlisted: ['phone.html'] },
];

/** Where `npm run build` puts a page. */
export const pageDist = (name: PageSpec['name']): string => fileURLToPath(new URL(`../../../dist/${name}/`, import.meta.url));
/** Where `npm run build` puts the wallboard. */
export const WALLBOARD_DIST = pageDist('wallboard');
/** Where `npm run build` puts the operator toolbar. */
export const OPERATOR_DIST = pageDist('operator');

export interface PagesOptions {
  /** The built pages' folders, by name. @default dist/<name> */
  roots?: Partial<Record<PageSpec['name'], string>>;
}

export const pageRoutes: FastifyPluginAsync<PagesOptions> = async (app, opts) => {
  for (const page of PAGES) await app.register(onePage(page, opts.roots?.[page.name] ?? pageDist(page.name)));
};

function onePage({ name, title, notBuilt, unlisted = [] }: PageSpec, root: string): FastifyPluginAsync {
  return async (app) => {
    // `/wallboard?id_session=…` → `/wallboard/?id_session=…`: the page's assets are relative.
    app.get(`/${name}`, async (req, reply) => reply.redirect(`/${name}/${req.url.slice(name.length + 1)}`));
    if (existsSync(`${root}index.html`)) {
      await app.register(fastifyStatic, {
        root,
        prefix: `/${name}/`,
        decorateReply: false,
        allowedPath: (path) => !unlisted.some((f) => path === `/${f}`),
        // Hashed asset names never change; the page itself is revalidated on each load.
        setHeaders: (res, path) => res.setHeader('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
        cacheControl: false,
      });
      return;
    }
    const answer = async (req: FastifyRequest, reply: FastifyReply) => sendNotBuilt(req, reply, notBuilt, title);
    app.get(`/${name}/`, answer);
    app.get(`/${name}/*`, answer);
  };
}

/** A page whose build is missing: its *_NOT_BUILT error, as a page saying to build for a browser. */
export function sendNotBuilt(req: FastifyRequest, reply: FastifyReply, code: ErrorCode, title: string): FastifyReply {
  const e = vmError(code);
  if (!(req.headers.accept ?? '').includes('text/html')) return sendError(reply, e);
  return reply
    .code(e.status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><meta charset="utf-8"><title>The ${title} is not built</title><h1>The ${title} is not built</h1><p>Run <code>npm run build</code> in the server's directory (<code>npm install</code> runs it), then restart the server.</p>`);
}
