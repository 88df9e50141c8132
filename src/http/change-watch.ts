// Changes made to the data directory by another process, applied to this running server.
// `vm import` and `vm token revoke` write the store and bump a per-account revision in the
// same transaction; the server polls the revisions (two small reads, every second by
// default) and, for each account that moved:
// - a directory revision: the account's engine takes the new directory (new operators can
//   log in at once, removed ones finish their call and go; src/engine/reconfigure.ts);
// - either revision: sockets opened with tokens that no longer hold are closed with
//   `init_error` TOKEN_REVOKED (a changed password, a removed user or operator, a logout).
// Logins and the REST API read the store directly, so they see a change at once.
import type { Logger } from 'pino';
import type { Store } from '../store/types.ts';
import type { EngineHost } from '../engine/host.ts';
import type { StreamGateway } from '../stream/gateway.ts';

export interface ChangeWatchOptions {
  store: Store;
  engines: EngineHost;
  gateway: StreamGateway;
  logger: Logger;
  /** Also told of each re-imported account (the live statistics). */
  onDirectoryChange?: (accountId: number) => Promise<void>;
  /** How often the revisions are read, in ms. @default 1000 */
  intervalMs?: number;
}

export class ChangeWatch {
  private directory = new Map<number, number>();
  private tokens = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The check asked for while one runs: it starts when that one ends. */
  private next: Promise<void> | undefined;

  constructor(private readonly opts: ChangeWatchOptions) {}

  /** Takes the current revisions as the baseline (engines are built from the store as it is) and starts polling. */
  async start(): Promise<void> {
    this.directory = await this.opts.store.directory.revisions();
    this.tokens = await this.opts.store.tokens.revisions();
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Applies what changed since the last check; also called right after a change made in
   * this process (a logout, an import over HTTP), which answers once its promise settles.
   * Checks never overlap: one asked for during a check is a fresh check run after it (the
   * running one may have read the revisions before the change), and callers meanwhile share it.
   */
  check(): Promise<void> {
    if (this.running) {
      this.next ??= this.running.then(() => {
        this.next = undefined;
        return this.check();
      });
      return this.next;
    }
    this.running = this.poll()
      .catch((err: unknown) => this.opts.logger.error({ err }, 'change watch failed'))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async poll(): Promise<void> {
    const { store, engines, gateway, logger } = this.opts;
    const directory = await store.directory.revisions();
    const tokens = await store.tokens.revisions();
    const touched = new Set<number>();
    for (const [id, rev] of directory) {
      if (this.directory.get(id) === rev) continue;
      const dir = await store.directory.getDirectory(id);
      if (dir) {
        try {
          const summary = await engines.applyDirectory(dir);
          if (summary) logger.info({ account: id, revision: rev, ...summary }, 're-import applied to the running engine');
        } catch (err) {
          // The import validated the file, so this is a bug: keep serving the old directory.
          logger.error({ err, account: id }, 're-import could not be applied to the running engine');
        }
      }
      await this.opts.onDirectoryChange?.(id);
      this.directory.set(id, rev);
      touched.add(id);
    }
    for (const [id, rev] of tokens) {
      if (this.tokens.get(id) === rev) continue;
      this.tokens.set(id, rev);
      touched.add(id);
    }
    for (const id of touched) {
      const closed = await gateway.closeRevoked(id);
      if (closed > 0) logger.info({ account: id, closed }, 'sockets of revoked tokens closed');
    }
  }
}
