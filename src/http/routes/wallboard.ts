// The supervisor wallboard: the Vite build of web/wallboard, served from dist/wallboard at
// /wallboard/. `npm install` builds it (prepare); without a build every /wallboard URL
// answers WALLBOARD_NOT_BUILT, which says to run `npm run build`.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { vmError } from '../../errors/registry.ts';
import { sendError } from '../errors.ts';

/** Where `npm run build` puts the wallboard. */
export const WALLBOARD_DIST = fileURLToPath(new URL('../../../dist/wallboard/', import.meta.url));

export interface WallboardOptions {
  /** The built wallboard. @default dist/wallboard */
  root?: string;
}

export const wallboardRoutes: FastifyPluginAsync<WallboardOptions> = async (app, opts) => {
  const root = opts.root ?? WALLBOARD_DIST;
  // `/wallboard?id_session=…` → `/wallboard/?id_session=…`: the page's assets are relative.
  app.get('/wallboard', async (req, reply) => reply.redirect(`/wallboard/${req.url.slice('/wallboard'.length)}`));
  if (existsSync(`${root}index.html`)) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/wallboard/',
      decorateReply: false,
      // Hashed asset names never change; the page itself is revalidated on each load.
      setHeaders: (res, path) => res.setHeader('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
      cacheControl: false,
    });
    return;
  }
  const notBuilt = async (req: FastifyRequest, reply: FastifyReply) => {
    const e = vmError('WALLBOARD_NOT_BUILT');
    if (!(req.headers.accept ?? '').includes('text/html')) return sendError(reply, e);
    return reply
      .code(e.status)
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><meta charset="utf-8"><title>Wallboard not built</title><h1>The wallboard is not built</h1><p>Run <code>npm run build</code> in the server's directory (<code>npm install</code> runs it), then restart the server.</p>`);
  };
  app.get('/wallboard/', notBuilt);
  app.get('/wallboard/*', notBuilt);
};
