// One engine per account, built lazily from its directory on real time, publishing what it
// produces. The server routes call-control commands and the live simulation to the same
// engine, so an account has one routing state whoever drives it.
import type { AccountDirectory } from '../directory/schema.ts';
import type { Notification } from '../protocol/index.ts';
import { Engine } from './engine.ts';
import type { ReconfigureSummary } from './reconfigure.ts';
import { RealTimeScheduler, type Scheduler } from './scheduler.ts';

export interface EngineHostOptions {
  /** The account's directory, or undefined when there is no such account. */
  directory: (accountId: number) => Promise<AccountDirectory | undefined>;
  /** Where notifications go (the server's publisher), with the time they happened. */
  publish: (accountId: number, n: Notification, at: number) => void;
  /** @default a RealTimeScheduler per engine */
  scheduler?: () => Scheduler;
  /** Server number on num events. @default 1 */
  srv?: number;
}

export class EngineHost {
  private readonly engines = new Map<number, Engine>();
  private readonly schedulers: Scheduler[] = [];

  constructor(private readonly opts: EngineHostOptions) {}

  /** The account's engine, created on first use; undefined when the account does not exist. */
  async get(accountId: number): Promise<Engine | undefined> {
    const existing = this.engines.get(accountId);
    if (existing) return existing;
    const dir = await this.opts.directory(accountId);
    if (!dir) return undefined;
    return this.engines.get(accountId) ?? this.create(dir);
  }

  private create(dir: AccountDirectory): Engine {
    const scheduler = this.opts.scheduler?.() ?? new RealTimeScheduler();
    this.schedulers.push(scheduler);
    const accountId = dir.account.id;
    const engine = new Engine(dir, {
      scheduler,
      srv: this.opts.srv ?? 1,
      sink: (n, at) => this.opts.publish(accountId, n, at),
    });
    this.engines.set(accountId, engine);
    return engine;
  }

  /**
   * Applies a re-imported directory to the account's engine when one runs (an engine built
   * later reads the new directory anyway). @throws RoutingConfigError
   */
  applyDirectory(dir: AccountDirectory): ReconfigureSummary | undefined {
    return this.engines.get(dir.account.id)?.applyDirectory(dir);
  }

  /** Uses an engine built elsewhere (the live simulation) for an account. */
  adopt(engine: Engine): void {
    this.engines.set(engine.accountId, engine);
  }

  /**
   * Ends what the engines hold before a shutdown, so the log stays lawful: every call
   * gets its delete_call and end, pending callbacks are cancelled, operators log out.
   * (After a crash this cannot run; the next start begins with every call ended.)
   */
  drain(): void {
    for (const e of this.engines.values()) {
      for (const id of e.activeCalls()) e.callHangup(id);
      for (const id of e.activePushes()) e.callbackCancel(id);
      for (const op of e.operators()) if (op.logged_in) e.operatorLogout(op.id_operator);
    }
  }

  /** Stops every engine's timers. */
  stop(): void {
    for (const s of this.schedulers) if (s instanceof RealTimeScheduler) s.stop();
    for (const e of this.engines.values()) if (e.scheduler instanceof RealTimeScheduler) e.scheduler.stop();
  }
}
