import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time: vitest's default on a 2-core machine is one (the suite: ~815 s;
    // two: ~486 s). The telephony-demo flake seen with two was the media worker loading on
    // a server's first call (13 s under load): the plane now loads it at start.
    maxWorkers: 2,
  },
});
