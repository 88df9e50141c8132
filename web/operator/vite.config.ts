// Builds the operator toolbar (Preact, JsSIP) from web/operator into dist/operator,
// served by the server at /operator/. `npm run build` (run by `npm install`'s prepare).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/operator/',
  // The SDK from its sources, so the toolbar does not depend on the SDK's own build order.
  resolve: { alias: { '@voice-management/client': here('../../packages/client/src/index.ts') } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../../dist/operator'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
  logLevel: 'warn',
  clearScreen: false,
});
