import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time even on a 2-core machine (vitest's default there is one): the SIP
    // and media tests mostly wait on sipp and RTP, so the suite takes about half as long.
    maxWorkers: 2,
  },
});
