// What the HTTP routes are given: the wired services of one running app.
import type { Clock } from '../clock.ts';
import type { AuthService } from '../auth/service.ts';
import type { Store } from '../store/types.ts';
import type { Publisher } from '../stream/publisher.ts';
import type { StatsService } from '../stats/service.ts';
import type { EngineHost } from '../engine/host.ts';

export interface Services {
  clock: Clock;
  store: Store;
  auth: AuthService;
  publisher: Publisher;
  stats: StatsService;
  /** The call engines, one per account. */
  engines: EngineHost;
  /** Bearer token of the admin API; undefined turns the admin API off. */
  adminToken?: string;
  /** Applies store changes (re-imports, revocations) now rather than at the next poll. */
  changes?: { check(): Promise<void> };
}
