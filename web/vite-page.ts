// The Vite build of one of the server's pages (web/<name> → dist/<name>, served at /<name>/
// by src/http/routes/pages.ts). `npm run build` builds them all (run by `npm install`'s prepare).
import { defineConfig, type UserConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** `pages`: more HTML entries than index.html (file names in web/<name>), built alongside it. */
export function pageConfig(name: 'wallboard' | 'operator', chunkSizeWarningLimit: number, pages: string[] = []): UserConfig {
  return defineConfig({
    root: here(`./${name}`),
    base: `/${name}/`,
    // The SDK from its sources, so a page does not depend on the SDK's own build order.
    resolve: { alias: { '@voice-management/client': here('../packages/client/src/index.ts') } },
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: here(`../dist/${name}`),
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit,
      ...(pages.length ? { rollupOptions: { input: Object.fromEntries(['index.html', ...pages].map((p) => [p.replace(/\.html$/, ''), here(`./${name}/${p}`)])) } } : {}),
    },
    logLevel: 'warn',
    clearScreen: false,
  });
}
