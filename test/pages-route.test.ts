// /wallboard and /operator serving: the built page and its assets, the redirect that keeps
// the query (a token in the URL), and a clear *_NOT_BUILT when dist/<page> is missing.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { PAGES, pageRoutes } from '../src/http/routes/pages.ts';
import { installErrorHandling } from '../src/http/errors.ts';
import { http, startTestServer } from './helpers/server.ts';

const dirs: string[] = [];
async function serve(name: 'wallboard' | 'operator', root: string): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandling(app);
  await app.register(pageRoutes, { roots: { wallboard: '/nonexistent/wallboard/', operator: '/nonexistent/operator/', [name]: root } });
  return app;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

for (const { name, notBuilt } of PAGES) describe(`/${name}`, () => {
  it('serves the build, with immutable assets and a revalidated page', async () => {
    const root = mkdtempSync(join(tmpdir(), `vm-${name}-`));
    dirs.push(root);
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Wallboard</title>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), 'export {};');
    const app = await serve(name, `${root}/`);
    const redirect = await app.inject(`/${name}?id_session=T&target=12`);
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe(`/${name}/?id_session=T&target=12`);
    const page = await app.inject(`/${name}/`);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await app.inject(`/${name}/assets/index-abc.js`);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await app.inject(`/${name}/nope.js`)).statusCode).toBe(404);
    await app.close();
  });

  it('says to run npm run build when the page is not built', async () => {
    const app = await serve(name, `/nonexistent/${name}/`);
    const json = await app.inject(`/${name}/`);
    expect(json.statusCode).toBe(503);
    expect(json.json()).toEqual({ error: notBuilt, message: expect.stringContaining('npm run build') });
    const html = await app.inject({ url: `/${name}/assets/x.js`, headers: { accept: 'text/html' } });
    expect(html.statusCode).toBe(503);
    expect(html.body).toContain('npm run build');
    await app.close();
  });
});

describe('/', () => {
  it('is where the product opens: / redirects to it', async () => {
    const srv = await startTestServer([]);
    try {
      const r = await http(`${srv.url}/`);
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe('/wallboard/');
    } finally {
      await srv.close();
    }
  });
});
