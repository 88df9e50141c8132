// A check asked for while another runs (a logout during the one-second poll) is answered
// only after a check that read the revisions after it: the logout's 204 means its sockets
// are closed, not that a poll which read the store before the logout ended.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ChangeWatch, type ChangeWatchOptions } from '../src/http/change-watch.ts';

describe('ChangeWatch.check', () => {
  it('a check asked for during a running one resolves after a fresh read that sees the change', async () => {
    const ACCOUNT = 7;
    const tokenRevisions = new Map([[ACCOUNT, 1]]);
    // The second read of the token revisions (the first check's) waits for `release`.
    let reads = 0;
    let release!: () => void;
    let readStarted!: () => void;
    const started = new Promise<void>((r) => (readStarted = r));
    const closed: number[] = [];
    const store = {
      directory: { revisions: async () => new Map<number, number>() },
      tokens: {
        revisions: async () => {
          const snapshot = new Map(tokenRevisions);
          if (++reads === 2) {
            readStarted();
            await new Promise<void>((r) => (release = r));
          }
          // Later reads take a turn of the event loop, as a real store's may.
          if (reads > 2) await new Promise((r) => setImmediate(r));
          return snapshot;
        },
      },
    };
    const watch = new ChangeWatch({
      store,
      engines: {},
      gateway: { closeRevoked: async (id: number) => (closed.push(id), 0) },
      logger: pino({ level: 'silent' }),
      intervalMs: 3_600_000,
    } as unknown as ChangeWatchOptions);
    await watch.start();
    try {
      const first = watch.check();
      await started; // the first check has read the revisions: nothing changed yet
      tokenRevisions.set(ACCOUNT, 2); // a logout revokes a token of the account …
      const second = watch.check(); // … and asks for a check
      release();
      await first;
      await second;
      expect(closed).toEqual([ACCOUNT]);
    } finally {
      watch.stop();
    }
  });
});
