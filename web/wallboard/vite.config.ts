// Builds the supervisor wallboard (Preact + uPlot) from web/wallboard into dist/wallboard,
// served by the server at /wallboard/. `npm run build` (run by `npm install`'s prepare).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/wallboard/',
  // The SDK from its sources, so the wallboard does not depend on the SDK's own build order.
  resolve: { alias: { '@voice-management/client': here('../../packages/client/src/index.ts') } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../../dist/wallboard'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  logLevel: 'warn',
  clearScreen: false,
});
