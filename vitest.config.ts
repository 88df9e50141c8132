import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // vitest's default on a 2-core machine is one file at a time (the suite: ~815 s). Two at a
    // time took 486 s, but telephony-demo's first call then got an unexpected BYE once
    // (cause not found yet): kept at the default until that is understood.
  },
});
