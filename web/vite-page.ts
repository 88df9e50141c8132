// The Vite build of one of the server's pages (web/<name> → dist/<name>, served at /<name>/
// by src/http/routes/pages.ts). `npm run build` builds them all (run by `npm install`'s prepare).
import { defineConfig, type UserConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export function pageConfig(name: 'wallboard' | 'operator', chunkSizeWarningLimit: number): UserConfig {
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
    },
    logLevel: 'warn',
    clearScreen: false,
  });
}
